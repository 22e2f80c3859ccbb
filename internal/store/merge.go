package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"muster"
)

// mergeRecord is what a person.merged event holds, enough to undo it.
type mergeRecord struct {
	Into          int64           `json:"into"`
	Registrations []int64         `json:"registrations"`
	Stage         muster.Stage    `json:"stage"`          // the absorbed person's stage
	IntoStage     muster.Stage    `json:"into_stage"`     // the survivor's stage before
	CaseFrom      int64           `json:"case_from"`      // absorbed person's case
	CaseInto      int64           `json:"case_into"`      // survivor's case
	CaseMembers   []int64         `json:"case_members"`   // members moved with the case (when the cases merged)
	CaseSources   [][2]string     `json:"case_sources"`   // source refs moved with the case
	Hits          []int64         `json:"hits,omitempty"` // hits moved to the survivor
	Reason        string          `json:"reason,omitempty"`
	Evidence      json.RawMessage `json:"evidence,omitempty"`
}

// Merge records that absorbed is the same person as survivor: absorbed's
// registrations move to survivor (none is deleted), absorbed stops being
// counted, and when the two were in different cases the cases merge, every
// source's reference kept. The survivor keeps the further stage on the main
// path. It returns the sequence number of the merge event, which Unmerge
// takes to undo it.
func (s *Store) Merge(ctx context.Context, actor string, survivor, absorbed int64, reason string, evidence json.RawMessage) (int64, error) {
	var seq int64
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var err error
		seq, err = s.mergeTx(ctx, tx, now, actor, MergeOp{Into: survivor, Absorbed: absorbed, Reason: reason, Evidence: evidence})
		return err
	})
	return seq, err
}

// MergeOp is one merge for MergeMany.
type MergeOp struct {
	Into, Absorbed int64
	Reason         string
	Evidence       json.RawMessage
}

// MergeMany applies merges in one transaction (all or none), as the
// linkage engine proposes them by the thousand; it returns each merge's
// event sequence number.
func (s *Store) MergeMany(ctx context.Context, actor string, ops []MergeOp) ([]int64, error) {
	seqs := make([]int64, len(ops))
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		for i, op := range ops {
			var err error
			if seqs[i], err = s.mergeTx(ctx, tx, now, actor, op); err != nil {
				return fmt.Errorf("merge %d into %d: %w", op.Absorbed, op.Into, err)
			}
		}
		return nil
	})
	return seqs, err
}

func (s *Store) mergeTx(ctx context.Context, tx *sql.Tx, now time.Time, actor string, op MergeOp) (seq int64, err error) {
	survivor, absorbed, reason, evidence := op.Into, op.Absorbed, op.Reason, op.Evidence
	if survivor == absorbed {
		return 0, muster.Errorf(muster.EINVALID, "a person cannot merge with themselves")
	}
	type row struct {
		caseID          int64
		stage, cat, prt string
	}
	get := func(id int64) (row, error) {
		var r row
		err := tx.QueryRowContext(ctx, `SELECT case_id, stage, category, partner FROM persons WHERE id = $1 AND merged_into IS NULL`, id).Scan(&r.caseID, &r.stage, &r.cat, &r.prt)
		if err == sql.ErrNoRows {
			return r, muster.Errorf(muster.ENOTFOUND, "no live person %d", id)
		}
		return r, err
	}
	sv, err := get(survivor)
	if err != nil {
		return 0, err
	}
	ab, err := get(absorbed)
	if err != nil {
		return 0, err
	}
	m := mergeRecord{Into: survivor, Stage: muster.Stage(ab.stage), IntoStage: muster.Stage(sv.stage), CaseFrom: ab.caseID, CaseInto: sv.caseID, Reason: reason, Evidence: evidence}
	if m.Registrations, err = ids(ctx, tx, `SELECT id FROM registrations WHERE person_id = $1 ORDER BY id`, absorbed); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE registrations SET person_id = $1 WHERE person_id = $2`, survivor, absorbed); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE persons SET merged_into = $1, updated = $2 WHERE id = $3`, survivor, now.UnixMicro(), absorbed); err != nil {
		return 0, err
	}
	if err := s.unblindPerson(ctx, tx, absorbed); err != nil {
		return 0, err
	}
	// Hits follow the person unless the survivor has one on that entry.
	if m.Hits, err = ids(ctx, tx, `SELECT h.id FROM hits h WHERE h.person_id = $1 AND NOT EXISTS
		(SELECT 1 FROM hits o WHERE o.person_id = $2 AND o.list = h.list AND o.entry_id = h.entry_id) ORDER BY h.id`, absorbed, survivor); err != nil {
		return 0, err
	}
	for _, h := range m.Hits {
		if _, err := tx.ExecContext(ctx, `UPDATE hits SET person_id = $1 WHERE id = $2`, survivor, h); err != nil {
			return 0, err
		}
	}
	if ab.caseID != sv.caseID {
		if m.CaseMembers, err = ids(ctx, tx, `SELECT id FROM persons WHERE case_id = $1 AND merged_into IS NULL AND id <> $2 ORDER BY id`, ab.caseID, absorbed); err != nil {
			return 0, err
		}
		rows, err := tx.QueryContext(ctx, `SELECT source, case_ref FROM case_sources WHERE case_id = $1 ORDER BY source, case_ref`, ab.caseID)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
			var src [2]string
			if err := rows.Scan(&src[0], &src[1]); err != nil {
				rows.Close()
				return 0, err
			}
			m.CaseSources = append(m.CaseSources, src)
		}
		rows.Close()
		for _, q := range []string{
			`UPDATE persons SET case_id = $1 WHERE case_id = $2`,
			`UPDATE case_sources SET case_id = $1 WHERE case_id = $2`,
			`UPDATE cases SET merged_into = $1 WHERE id = $2`,
		} {
			if _, err := tx.ExecContext(ctx, q, sv.caseID, ab.caseID); err != nil {
				return 0, err
			}
		}
	}
	to := muster.Stage(sv.stage)
	if r := muster.Stage(ab.stage).Rank(); r > to.Rank() && to.Rank() >= 0 {
		to = muster.Stage(ab.stage)
	}
	cat := sv.cat
	if cat == "" {
		cat = ab.cat
	}
	if err := s.rebuildPerson(ctx, tx, survivor, to, cat, now); err != nil {
		return 0, err
	}
	if err := s.refreshScreenFlags(ctx, tx, survivor); err != nil {
		return 0, err
	}
	ev := &muster.Event{Actor: actor, Type: muster.EventMerged, PersonID: absorbed, CaseID: ab.caseID, At: now, From: muster.Stage(ab.stage), Data: jsonRaw(m)}
	if err := s.appendEventPartner(ctx, tx, ev, ab.prt, muster.Category(ab.cat)); err != nil {
		return 0, err
	}
	seq = ev.Seq
	if to != muster.Stage(sv.stage) {
		return seq, s.appendEventPartner(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventStage, PersonID: survivor, CaseID: sv.caseID, At: now,
			From: muster.Stage(sv.stage), To: to, Data: jsonRaw(map[string]any{"reason": "merged with a person further along"})}, sv.prt, muster.Category(cat))
	}
	return seq, nil
}

// Unmerge undoes the merge recorded at event seq: the absorbed person comes
// back with their registrations, stage and case. It fails with ECONFLICT if
// the people were changed by later merges that must be undone first.
func (s *Store) Unmerge(ctx context.Context, actor string, seq int64) error {
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var typ string
		var personID int64
		var sealed []byte
		err := tx.QueryRowContext(ctx, `SELECT type, COALESCE(person_id, 0), sealed FROM events WHERE seq = $1`, seq).Scan(&typ, &personID, &sealed)
		if err == sql.ErrNoRows || (err == nil && typ != muster.EventMerged) {
			return muster.Errorf(muster.ENOTFOUND, "event %d is not a merge", seq)
		} else if err != nil {
			return err
		}
		body, err := s.vault.Open(sealed, "event")
		if err != nil {
			return err
		}
		var m mergeRecord
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		var into sql.NullInt64
		var partner, cat string
		if err := tx.QueryRowContext(ctx, `SELECT merged_into, partner, category FROM persons WHERE id = $1`, personID).Scan(&into, &partner, &cat); err != nil {
			return err
		}
		if !into.Valid || into.Int64 != m.Into {
			return muster.Errorf(muster.ECONFLICT, "person %d is no longer merged into %d (already undone?)", personID, m.Into)
		}
		var svLive int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM persons WHERE id = $1 AND merged_into IS NULL`, m.Into).Scan(&svLive); err != nil {
			return err
		}
		if svLive == 0 {
			return muster.Errorf(muster.ECONFLICT, "person %d was merged again since: undo that merge first", m.Into)
		}
		for _, r := range m.Registrations {
			if _, err := tx.ExecContext(ctx, `UPDATE registrations SET person_id = $1 WHERE id = $2 AND person_id = $3`, personID, r, m.Into); err != nil {
				return err
			}
		}
		for _, h := range m.Hits {
			if _, err := tx.ExecContext(ctx, `UPDATE hits SET person_id = $1 WHERE id = $2`, personID, h); err != nil {
				return err
			}
		}
		if m.CaseFrom != m.CaseInto {
			if _, err := tx.ExecContext(ctx, `UPDATE cases SET merged_into = NULL WHERE id = $1`, m.CaseFrom); err != nil {
				return err
			}
			for _, p := range append([]int64{personID}, m.CaseMembers...) {
				if _, err := tx.ExecContext(ctx, `UPDATE persons SET case_id = $1 WHERE id = $2`, m.CaseFrom, p); err != nil {
					return err
				}
			}
			for _, src := range m.CaseSources {
				if _, err := tx.ExecContext(ctx, `UPDATE case_sources SET case_id = $1 WHERE source = $2 AND case_ref = $3`, m.CaseFrom, src[0], src[1]); err != nil {
					return err
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET merged_into = NULL, updated = $1 WHERE id = $2`, now.UnixMicro(), personID); err != nil {
			return err
		}
		var svStage, svCat string
		if err := tx.QueryRowContext(ctx, `SELECT stage, category FROM persons WHERE id = $1`, m.Into).Scan(&svStage, &svCat); err != nil {
			return err
		}
		for _, p := range []struct {
			id    int64
			stage muster.Stage
			cat   string
		}{{personID, m.Stage, cat}, {m.Into, muster.Stage(svStage), svCat}} {
			if err := s.rebuildPerson(ctx, tx, p.id, p.stage, p.cat, now); err != nil {
				return err
			}
			if err := s.refreshScreenFlags(ctx, tx, p.id); err != nil {
				return err
			}
		}
		var caseID int64
		if err := tx.QueryRowContext(ctx, `SELECT case_id FROM persons WHERE id = $1`, personID).Scan(&caseID); err != nil {
			return err
		}
		// A human undid the merge: the two are different people, and the
		// linkage engine must not merge them again.
		a, b := orderPair(personID, m.Into)
		empty, err := s.vault.Seal([]byte(`[]`), "review")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO review_pairs (person_a, person_b, score, state, sealed, created, updated) VALUES ($1, $2, 0, $3, $4, $5, $5)
			ON CONFLICT (person_a, person_b) DO UPDATE SET state = excluded.state, updated = excluded.updated`, a, b, ReviewDifferent, empty, now.UnixMicro()); err != nil {
			return err
		}
		return s.appendEventPartner(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventSplit, PersonID: personID, CaseID: caseID, At: now,
			To: m.Stage, Data: jsonRaw(map[string]any{"undoes": seq, "from": m.Into})}, partner, muster.Category(cat))
	})
}

// rebuildPerson recomputes a person's sealed fields and blind indexes from
// the registrations now linked to them, and sets stage and category.
func (s *Store) rebuildPerson(ctx context.Context, tx *sql.Tx, id int64, stage muster.Stage, cat string, now time.Time) error {
	recs, err := s.personRecords(ctx, tx, id)
	if err != nil {
		return err
	}
	p := personFromRecords(recs)
	body, err := json.Marshal(&p)
	if err != nil {
		return err
	}
	sealed, err := s.vault.Seal(body, "person")
	if err != nil {
		return err
	}
	if err := s.unblindPerson(ctx, tx, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE persons SET sealed = $1, stage = $2, category = $3, updated = $4 WHERE id = $5`, sealed, string(stage), cat, now.UnixMicro(), id); err != nil {
		return err
	}
	return s.blindPerson(ctx, tx, id, &p)
}

func ids(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", q, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

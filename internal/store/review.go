package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"muster"
)

// Review pair states.
const (
	ReviewPending   = "pending"
	ReviewSame      = "same"      // must-link: the reviewer merged them
	ReviewDifferent = "different" // cannot-link: never merge them
)

// RegRecord is a registration's newest version with the person it belongs to.
type RegRecord struct {
	RegID    int64
	PersonID int64
	Record   muster.Record
}

// AllRegistrations returns the newest version of every registration of a
// live person, for the linkage engine (decrypted here, in memory only).
func (s *Store) AllRegistrations(ctx context.Context) ([]RegRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.person_id, v.sealed FROM registrations r
		JOIN registration_versions v ON v.registration_id = r.id AND v.version = r.version
		JOIN persons p ON p.id = r.person_id WHERE p.merged_into IS NULL ORDER BY r.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RegRecord
	for rows.Next() {
		var rr RegRecord
		var sealed []byte
		if err := rows.Scan(&rr.RegID, &rr.PersonID, &sealed); err != nil {
			return nil, err
		}
		body, err := s.vault.Open(sealed, "registration")
		if err != nil {
			return nil, fmt.Errorf("registration %d: %w", rr.RegID, err)
		}
		if err := json.Unmarshal(body, &rr.Record); err != nil {
			return nil, err
		}
		out = append(out, rr)
	}
	return out, rows.Err()
}

// ReviewPair is a doubtful pair for a reviewer, with the engine's
// field-by-field explanation.
type ReviewPair struct {
	ID          int64           `json:"id"`
	PersonA     int64           `json:"person_a"`
	PersonB     int64           `json:"person_b"`
	Score       float64         `json:"score"`
	State       string          `json:"state"`
	Explanation json.RawMessage `json:"explanation"`
	Created     time.Time       `json:"created"`
	// RegA and RegB are the registrations (of PersonA and PersonB) whose
	// comparison is explained: a decision labels that pair of records for
	// the model. 0 when unknown.
	RegA int64 `json:"reg_a,omitempty"`
	RegB int64 `json:"reg_b,omitempty"`
}

func orderPair(a, b int64) (int64, int64) {
	if a > b {
		return b, a
	}
	return a, b
}

// AddReviews queues doubtful pairs; a pair already queued or decided keeps
// its state (a decision is not asked twice) but its score is refreshed.
func (s *Store) AddReviews(ctx context.Context, actor string, pairs []ReviewPair) (int, error) {
	added := 0
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		for _, p := range pairs {
			a, b := orderPair(p.PersonA, p.PersonB)
			ra, rb := p.RegA, p.RegB
			if a != p.PersonA {
				ra, rb = rb, ra
			}
			sealed, err := s.vault.Seal(p.Explanation, "review")
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO review_pairs (person_a, person_b, score, state, sealed, created, updated, reg_a, reg_b) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)
				ON CONFLICT (person_a, person_b) DO NOTHING`, a, b, p.Score, ReviewPending, sealed, now.UnixMicro(), nullID(ra), nullID(rb))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added++
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE review_pairs SET score = $1, sealed = $2, updated = $3, reg_a = $7, reg_b = $8 WHERE person_a = $4 AND person_b = $5 AND state = $6`,
				p.Score, sealed, now.UnixMicro(), a, b, ReviewPending, nullID(ra), nullID(rb)); err != nil {
				return err
			}
		}
		if added > 0 {
			return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: "resolve.review_queued", At: now, Data: jsonRaw(map[string]int{"pairs": added})})
		}
		return nil
	})
	return added, err
}

// ReviewFilter selects review pairs.
type ReviewFilter struct {
	Scope
	State string
	ID    int64
	Limit int
}

// Reviews returns review pairs between live people, highest score first. A
// partner sees a pair only when both people are theirs.
func (s *Store) Reviews(ctx context.Context, f ReviewFilter) ([]ReviewPair, error) {
	if f.Limit <= 0 {
		f.Limit = 1 << 30
	}
	w := &where{}
	w.eq("r.state", f.State != "", f.State)
	w.eq("r.id", f.ID != 0, f.ID)
	w.eqAll(f.Partner != "", f.Partner, "a.partner", "b.partner") // a partner sees pairs of their own people only
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.person_a, r.person_b, r.score, r.state, r.sealed, r.created, r.reg_a, r.reg_b FROM review_pairs r
		JOIN persons a ON a.id = r.person_a JOIN persons b ON b.id = r.person_b
		WHERE a.merged_into IS NULL AND b.merged_into IS NULL`+w.String()+` ORDER BY r.score DESC, r.id LIMIT `+w.arg(f.Limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReviewPair
	for rows.Next() {
		var p ReviewPair
		var sealed []byte
		var created int64
		var ra, rb sql.NullInt64
		if err := rows.Scan(&p.ID, &p.PersonA, &p.PersonB, &p.Score, &p.State, &sealed, &created, &ra, &rb); err != nil {
			return nil, err
		}
		if p.Explanation, err = s.vault.Open(sealed, "review"); err != nil {
			return nil, fmt.Errorf("review %d: %w", p.ID, err)
		}
		p.Created = time.UnixMicro(created).UTC()
		p.RegA, p.RegB = ra.Int64, rb.Int64
		out = append(out, p)
	}
	return out, rows.Err()
}

// Label is a reviewer's decision on a pair of registrations: the same
// person or different people.
type Label struct {
	RegA, RegB int64
	Same       bool
}

// ReviewLabels returns every decided review pair whose registrations are
// known, oldest decision first: the labels the linkage engine refines its
// model with. A merge undone by a human has no registrations (the split
// names people) and is not a label, but stays a cannot-link.
func (s *Store) ReviewLabels(ctx context.Context) ([]Label, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT reg_a, reg_b, state FROM review_pairs
		WHERE state IN ($1, $2) AND reg_a IS NOT NULL AND reg_b IS NOT NULL ORDER BY updated, id`, ReviewSame, ReviewDifferent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Label
	for rows.Next() {
		var l Label
		var state string
		if err := rows.Scan(&l.RegA, &l.RegB, &state); err != nil {
			return nil, err
		}
		l.Same = state == ReviewSame
		out = append(out, l)
	}
	return out, rows.Err()
}

// CannotLink returns the pairs reviewers said are different people.
func (s *Store) CannotLink(ctx context.Context) (map[[2]int64]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT person_a, person_b FROM review_pairs WHERE state = $1`, ReviewDifferent)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[[2]int64]bool{}
	for rows.Next() {
		var a, b int64
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		out[[2]int64{a, b}] = true
	}
	return out, rows.Err()
}

// IsCannotLink reports whether a reviewer said a and b are different people.
func IsCannotLink(cl map[[2]int64]bool, a, b int64) bool {
	a, b = orderPair(a, b)
	return cl[[2]int64{a, b}]
}

// DecideReview records a reviewer's decision on a pair: "same" merges the
// two (into the older record), "different" makes them a cannot-link pair.
// It returns the merge event's sequence number for "same" (for undo).
func (s *Store) DecideReview(ctx context.Context, actor string, scope Scope, id int64, decision, reason string) (int64, error) {
	if decision != ReviewSame && decision != ReviewDifferent {
		return 0, muster.Errorf(muster.EINVALID, "decision %q: %s or %s", decision, ReviewSame, ReviewDifferent)
	}
	ps, err := s.Reviews(ctx, ReviewFilter{Scope: scope, ID: id})
	if err != nil {
		return 0, err
	}
	if len(ps) == 0 {
		return 0, muster.Errorf(muster.ENOTFOUND, "no review pair %d", id)
	}
	p := ps[0]
	if p.State != ReviewPending {
		return 0, muster.Errorf(muster.ECONFLICT, "pair %d was already decided: %s", id, p.State)
	}
	var seq int64
	if decision == ReviewSame {
		ev, _ := json.Marshal(map[string]any{"review": id, "score": p.Score})
		if seq, err = s.Merge(ctx, actor, p.PersonA, p.PersonB, "reviewer: "+reason, ev); err != nil {
			return 0, err
		}
	}
	return seq, s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE review_pairs SET state = $1, updated = $2 WHERE id = $3`, decision, now.UnixMicro(), id); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: "resolve.review_decided", PersonID: p.PersonA, At: now,
			Data: jsonRaw(map[string]any{"review": id, "person_a": p.PersonA, "person_b": p.PersonB, "decision": decision, "reason": reason, "merge_event": seq})})
	})
}

// MarkResolved moves live people at registered to resolved: the linkage
// engine has considered them.
func (s *Store) MarkResolved(ctx context.Context, actor string) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		people, err := ids(ctx, tx, `SELECT id FROM persons WHERE merged_into IS NULL AND stage = $1 ORDER BY id`, string(muster.StageRegistered))
		if err != nil {
			return err
		}
		for _, id := range people {
			if err := s.advance(ctx, tx, actor, id, muster.StageResolved, muster.StageRegistered); err != nil {
				return err
			}
		}
		n = len(people)
		return nil
	})
	return n, err
}

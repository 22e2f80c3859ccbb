package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"muster"
	"muster/internal/lists"
)

// Hit states. A hit is pending until a screener decides; muster never
// denies anyone by itself: a confirmed match only sets a flag that follows
// the person to the gate and the manifest.
const (
	HitPending       = "pending"
	HitFalsePositive = "false_positive"
	HitEscalated     = "escalated"
	HitConfirmed     = "confirmed"
)

// Flag codes the screening state puts on a person. Movement control reads
// them: a person with either is never called forward or seated without a
// screener's decision.
const (
	FlagScreenHit       = "screen_hit"       // a pending or escalated hit: refer to a screener
	FlagScreenConfirmed = "screen_confirmed" // a screener confirmed a match
)

// ListLoad says what loading one version of a list changed.
type ListLoad struct {
	List      string `json:"list"`
	Source    string `json:"source"`
	VersionID int64  `json:"version_id"`
	Entries   int    `json:"entries"`
	Added     int    `json:"added"`
	Changed   int    `json:"changed"`
	Removed   int    `json:"removed"`
	// Rescreen lists the entry ids whose screening-relevant fields are new
	// or changed; people need screening against these only.
	Rescreen []string `json:"-"`
	// Gone lists removed entries (their pending hits are withdrawn).
	Gone []string `json:"-"`
}

func entryDigest(e *lists.Entry) ([]byte, []byte) {
	body, _ := json.Marshal(e)
	d := sha256.Sum256(body)
	return d[:], body
}

// LoadList stores a new version of one list, computing what was added,
// changed and removed against the version before. Pending hits on removed
// entries are withdrawn (decided ones stay, with their history).
func (s *Store) LoadList(ctx context.Context, actor, list, source string, entries []lists.Entry) (*ListLoad, error) {
	ld := &ListLoad{List: list, Source: source, Entries: len(entries)}
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		type old struct {
			digest  []byte
			body    string
			removed bool
		}
		cur := map[string]old{}
		rows, err := tx.QueryContext(ctx, `SELECT entry_id, digest, body, removed FROM list_entries WHERE list = $1`, list)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var o old
			var removed int
			if err := rows.Scan(&id, &o.digest, &o.body, &removed); err != nil {
				rows.Close()
				return err
			}
			o.removed = removed != 0
			cur[id] = o
		}
		rows.Close()
		if err := tx.QueryRowContext(ctx, `INSERT INTO list_versions (list, source, loaded, entries, added, changed, removed) VALUES ($1, $2, $3, $4, 0, 0, 0) RETURNING id`,
			list, source, now.UnixMicro(), len(entries)).Scan(&ld.VersionID); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO list_entries (list, entry_id, version_id, digest, body, removed) VALUES ($1, $2, $3, $4, $5, 0)
			ON CONFLICT (list, entry_id) DO UPDATE SET version_id = excluded.version_id, digest = excluded.digest, body = excluded.body, removed = 0`)
		if err != nil {
			return err
		}
		defer ins.Close()
		seen := map[string]bool{}
		for i := range entries {
			e := &entries[i]
			if e.List != list {
				return muster.Errorf(muster.EINVALID, "entry %s belongs to list %s, not %s", e.ID, e.List, list)
			}
			if seen[e.ID] {
				return muster.Errorf(muster.EINVALID, "list %s has entry %s twice", list, e.ID)
			}
			seen[e.ID] = true
			d, body := entryDigest(e)
			o, ok := cur[e.ID]
			switch {
			case !ok || o.removed:
				ld.Added++
				ld.Rescreen = append(ld.Rescreen, e.ID)
			case string(o.digest) == string(d):
				continue
			default:
				ld.Changed++
				var prev lists.Entry
				if err := json.Unmarshal([]byte(o.body), &prev); err != nil {
					return fmt.Errorf("list %s entry %s: stored body: %w", list, e.ID, err)
				}
				delta := lists.Diff([]lists.Entry{prev}, []lists.Entry{*e})
				for _, c := range delta.Changed {
					if c.AffectsScreening() {
						ld.Rescreen = append(ld.Rescreen, e.ID)
						break
					}
				}
			}
			if _, err := ins.ExecContext(ctx, list, e.ID, ld.VersionID, d, string(body)); err != nil {
				return err
			}
		}
		for id, o := range cur {
			if !seen[id] && !o.removed {
				ld.Removed++
				ld.Gone = append(ld.Gone, id)
				if _, err := tx.ExecContext(ctx, `UPDATE list_entries SET removed = 1, version_id = $1 WHERE list = $2 AND entry_id = $3`, ld.VersionID, list, id); err != nil {
					return err
				}
			}
		}
		sort.Strings(ld.Gone)
		if _, err := tx.ExecContext(ctx, `UPDATE list_versions SET added = $1, changed = $2, removed = $3 WHERE id = $4`, ld.Added, ld.Changed, ld.Removed, ld.VersionID); err != nil {
			return err
		}
		// Pending hits on entries that left the list are withdrawn.
		var touched []int64
		for _, id := range ld.Gone {
			rows, err := tx.QueryContext(ctx, `SELECT person_id FROM hits WHERE list = $1 AND entry_id = $2 AND state = $3`, list, id, HitPending)
			if err != nil {
				return err
			}
			for rows.Next() {
				var pid int64
				if err := rows.Scan(&pid); err != nil {
					rows.Close()
					return err
				}
				touched = append(touched, pid)
			}
			rows.Close()
			if _, err := tx.ExecContext(ctx, `DELETE FROM hits WHERE list = $1 AND entry_id = $2 AND state = $3`, list, id, HitPending); err != nil {
				return err
			}
		}
		for _, pid := range touched {
			if err := s.refreshScreenFlags(ctx, tx, pid); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventListLoaded, At: now,
			Data: jsonRaw(map[string]any{"list": list, "source": source, "version": ld.VersionID, "entries": ld.Entries, "added": ld.Added, "changed": ld.Changed, "removed": ld.Removed})})
	})
	if err != nil {
		return nil, err
	}
	return ld, nil
}

// ListEntries returns every current entry of every list.
func (s *Store) ListEntries(ctx context.Context) ([]lists.Entry, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT body FROM list_entries WHERE removed = 0 ORDER BY list, entry_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []lists.Entry
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var e lists.Entry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ListEntry returns one entry, removed or not.
func (s *Store) ListEntry(ctx context.Context, list, id string) (*lists.Entry, error) {
	var body string
	err := s.db.QueryRowContext(ctx, `SELECT body FROM list_entries WHERE list = $1 AND entry_id = $2`, list, id).Scan(&body)
	if err == sql.ErrNoRows {
		return nil, muster.Errorf(muster.ENOTFOUND, "no entry %s on %s", id, list)
	} else if err != nil {
		return nil, err
	}
	var e lists.Entry
	return &e, json.Unmarshal([]byte(body), &e)
}

// HitRecord is a stored hit.
type HitRecord struct {
	ID          int64     `json:"id"`
	PersonID    int64     `json:"person_id"`
	List        string    `json:"list"`
	EntryID     string    `json:"entry_id"`
	Score       float64   `json:"score"`
	State       string    `json:"state"`
	Programs    []string  `json:"programs,omitempty"`
	NameMatched string    `json:"name_matched"`
	Query       string    `json:"query"`
	Explanation string    `json:"explanation"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

type sealedHit struct {
	Programs    []string `json:"p,omitempty"`
	NameMatched string   `json:"n"`
	Query       string   `json:"q"`
	Explanation string   `json:"e"`
}

// Screening is the outcome of screening one person: the digest of what was
// screened (names, date, nationalities, sex) and the hits at or above the
// threshold.
type Screening struct {
	PersonID int64
	Digest   []byte
	Hits     []HitRecord
}

// ScreenSummary counts what SaveScreening did.
type ScreenSummary struct {
	People    int `json:"people"`
	NewHits   int `json:"new_hits"`
	Reopened  int `json:"reopened"`
	Kept      int `json:"kept_decisions"`
	Withdrawn int `json:"withdrawn"`
}

// SaveScreening records screening results. A hit already decided false
// positive stays cleared while neither the person's screened data nor the
// entry changed; otherwise it is pending again. A confirmed match stays
// confirmed. Pending hits that no longer match are withdrawn. When
// entries is non-nil only those entries (list:id) were screened, so only
// their hits are replaced. People at registered or resolved move to
// screened.
func (s *Store) SaveScreening(ctx context.Context, actor string, results []Screening, entries map[string]bool) (ScreenSummary, error) {
	var sum ScreenSummary
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if err := s.countsChanged(ctx, tx); err != nil {
			return err
		}
		digests := map[string][]byte{}
		entryDigestOf := func(list, id string) ([]byte, error) {
			k := list + ":" + id
			if d, ok := digests[k]; ok {
				return d, nil
			}
			var d []byte
			err := tx.QueryRowContext(ctx, `SELECT digest FROM list_entries WHERE list = $1 AND entry_id = $2`, list, id).Scan(&d)
			if err != nil {
				return nil, fmt.Errorf("hit on unknown entry %s: %w", k, err)
			}
			digests[k] = d
			return d, nil
		}
		for _, r := range results {
			sum.People++
			type prev struct {
				id         int64
				state      string
				pDig, eDig []byte
			}
			old := map[string]prev{}
			rows, err := tx.QueryContext(ctx, `SELECT id, list, entry_id, state, person_digest, entry_digest FROM hits WHERE person_id = $1`, r.PersonID)
			if err != nil {
				return err
			}
			for rows.Next() {
				var p prev
				var list, id string
				if err := rows.Scan(&p.id, &list, &id, &p.state, &p.pDig, &p.eDig); err != nil {
					rows.Close()
					return err
				}
				old[list+":"+id] = p
			}
			rows.Close()
			now := now.UnixMicro()
			matched := map[string]bool{}
			for _, h := range r.Hits {
				k := h.List + ":" + h.EntryID
				matched[k] = true
				eDig, err := entryDigestOf(h.List, h.EntryID)
				if err != nil {
					return err
				}
				sealed, err := s.vault.Seal(jsonRaw(sealedHit{Programs: h.Programs, NameMatched: h.NameMatched, Query: h.Query, Explanation: h.Explanation}), "hit")
				if err != nil {
					return err
				}
				p, ok := old[k]
				state := HitPending
				switch {
				case !ok:
					sum.NewHits++
				case p.state == HitConfirmed:
					state = HitConfirmed
					sum.Kept++
				case p.state == HitPending:
				case string(p.pDig) == string(r.Digest) && string(p.eDig) == string(eDig):
					state = p.state // decided, and nothing changed since
					sum.Kept++
				default:
					sum.Reopened++
				}
				if !ok {
					if _, err := tx.ExecContext(ctx, `INSERT INTO hits (person_id, list, entry_id, score, state, person_digest, entry_digest, sealed, created, updated)
						VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`, r.PersonID, h.List, h.EntryID, h.Score, state, r.Digest, eDig, sealed, now); err != nil {
						return err
					}
				} else if _, err := tx.ExecContext(ctx, `UPDATE hits SET score = $1, state = $2, person_digest = $3, entry_digest = $4, sealed = $5, updated = $6 WHERE id = $7`,
					h.Score, state, r.Digest, eDig, sealed, now, p.id); err != nil {
					return err
				}
				if !ok || (state == HitPending && p.state != HitPending) {
					if err := s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventHit, PersonID: r.PersonID,
						Data: jsonRaw(map[string]any{"list": h.List, "entry_id": h.EntryID, "score": h.Score, "reopened": ok})}); err != nil {
						return err
					}
				}
			}
			for k, p := range old {
				if matched[k] || p.state != HitPending || (entries != nil && !entries[k]) {
					continue
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM hits WHERE id = $1`, p.id); err != nil {
					return err
				}
				sum.Withdrawn++
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO screened (person_id, person_digest, at) VALUES ($1, $2, $3)
				ON CONFLICT (person_id) DO UPDATE SET person_digest = excluded.person_digest, at = excluded.at`, r.PersonID, r.Digest, now); err != nil {
				return err
			}
			if err := s.refreshScreenFlags(ctx, tx, r.PersonID); err != nil {
				return err
			}
			if err := s.advance(ctx, tx, actor, r.PersonID, muster.StageScreened, muster.StageRegistered, muster.StageResolved); err != nil {
				return err
			}
		}
		return nil
	})
	return sum, err
}

// advance moves a person to stage `to` if they are at one of `from`.
func (s *Store) advance(ctx context.Context, tx *sql.Tx, actor string, personID int64, to muster.Stage, from ...muster.Stage) error {
	var stage, cat, partner string
	var caseID int64
	if err := tx.QueryRowContext(ctx, `SELECT stage, category, partner, case_id FROM persons WHERE id = $1`, personID).Scan(&stage, &cat, &partner, &caseID); err != nil {
		return err
	}
	for _, f := range from {
		if muster.Stage(stage) == f {
			if _, err := tx.ExecContext(ctx, `UPDATE persons SET stage = $1 WHERE id = $2`, string(to), personID); err != nil {
				return err
			}
			return s.appendEventPartner(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventStage, PersonID: personID, CaseID: caseID,
				From: muster.Stage(stage), To: to}, partner, muster.Category(cat))
		}
	}
	return nil
}

// refreshScreenFlags recomputes a person's screening flag codes from their hits.
func (s *Store) refreshScreenFlags(ctx context.Context, tx *sql.Tx, personID int64) error {
	var flags string
	if err := tx.QueryRowContext(ctx, `SELECT flags FROM persons WHERE id = $1`, personID).Scan(&flags); err != nil {
		return err
	}
	var open, confirmed int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(CASE WHEN state IN ('pending', 'escalated') THEN 1 END), COUNT(CASE WHEN state = 'confirmed' THEN 1 END) FROM hits WHERE person_id = $1`, personID).Scan(&open, &confirmed); err != nil {
		return err
	}
	var codes []string
	for _, c := range strings.Split(flags, ",") {
		if c != "" && c != FlagScreenHit && c != FlagScreenConfirmed {
			codes = append(codes, c)
		}
	}
	if open > 0 {
		codes = append(codes, FlagScreenHit)
	}
	if confirmed > 0 {
		codes = append(codes, FlagScreenConfirmed)
	}
	sort.Strings(codes)
	_, err := tx.ExecContext(ctx, `UPDATE persons SET flags = $1 WHERE id = $2`, strings.Join(codes, ","), personID)
	return err
}

// HitFilter selects hits.
type HitFilter struct {
	Scope
	State    string
	PersonID int64
	ID       int64
	Limit    int
}

// Hits returns hits, highest score first.
func (s *Store) Hits(ctx context.Context, f HitFilter) ([]HitRecord, error) {
	if f.Limit <= 0 {
		f.Limit = 1 << 30
	}
	w := &where{}
	w.eq("h.state", f.State != "", f.State)
	w.eq("h.person_id", f.PersonID != 0, f.PersonID)
	w.eq("p.partner", f.Partner != "", f.Partner)
	w.eq("h.id", f.ID != 0, f.ID)
	rows, err := s.db.QueryContext(ctx, `SELECT h.id, h.person_id, h.list, h.entry_id, h.score, h.state, h.sealed, h.created, h.updated
		FROM hits h JOIN persons p ON p.id = h.person_id
		WHERE p.merged_into IS NULL`+w.String()+` ORDER BY h.score DESC, h.id LIMIT `+w.arg(f.Limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HitRecord
	for rows.Next() {
		var h HitRecord
		var sealed []byte
		var created, updated int64
		if err := rows.Scan(&h.ID, &h.PersonID, &h.List, &h.EntryID, &h.Score, &h.State, &sealed, &created, &updated); err != nil {
			return nil, err
		}
		body, err := s.vault.Open(sealed, "hit")
		if err != nil {
			return nil, fmt.Errorf("hit %d: %w", h.ID, err)
		}
		var sh sealedHit
		if err := json.Unmarshal(body, &sh); err != nil {
			return nil, err
		}
		h.Programs, h.NameMatched, h.Query, h.Explanation = sh.Programs, sh.NameMatched, sh.Query, sh.Explanation
		h.Created, h.Updated = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
		out = append(out, h)
	}
	return out, rows.Err()
}

// Decide records a screener's decision on a hit, with a reason; the
// decision is an event and changes the person's flags, never their stage.
func (s *Store) Decide(ctx context.Context, actor string, scope Scope, hitID int64, decision, reason string) error {
	switch decision {
	case HitFalsePositive, HitEscalated, HitConfirmed:
	default:
		return muster.Errorf(muster.EINVALID, "decision %q: one of %s, %s, %s", decision, HitFalsePositive, HitEscalated, HitConfirmed)
	}
	if strings.TrimSpace(reason) == "" {
		return muster.Errorf(muster.EINVALID, "a decision needs a reason")
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var personID int64
		var state, list, entry, partner, cat string
		var caseID int64
		err := tx.QueryRowContext(ctx, `SELECT h.person_id, h.state, h.list, h.entry_id, p.partner, p.category, p.case_id FROM hits h JOIN persons p ON p.id = h.person_id
			WHERE h.id = $1 AND ($2 = '' OR p.partner = $2)`, hitID, scope.Partner).Scan(&personID, &state, &list, &entry, &partner, &cat, &caseID)
		if err == sql.ErrNoRows {
			return muster.Errorf(muster.ENOTFOUND, "no hit %d", hitID)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE hits SET state = $1, updated = $2 WHERE id = $3`, decision, now.UnixMicro(), hitID); err != nil {
			return err
		}
		if err := s.refreshScreenFlags(ctx, tx, personID); err != nil {
			return err
		}
		return s.appendEventPartner(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventDecision, PersonID: personID, CaseID: caseID, At: now,
			Data: jsonRaw(map[string]any{"hit": hitID, "list": list, "entry_id": entry, "from": state, "decision": decision, "reason": reason})}, partner, muster.Category(cat))
	})
}

// ScreeningCounts are the screening numbers muster status shows.
type ScreeningCounts struct {
	Screened      int `json:"screened"`
	PendingHits   int `json:"pending_hits"`
	PeoplePending int `json:"people_with_pending_hits"`
	Escalated     int `json:"escalated"`
	Cleared       int `json:"cleared"`
	Confirmed     int `json:"confirmed"`
}

func (s *Store) hitCounts(ctx context.Context, scope Scope, c *ScreeningCounts) error {
	// From the hits (few) to their people by key; the other way round
	// reads the people's table.
	return s.db.QueryRowContext(ctx, `SELECT
		COUNT(CASE WHEN h.state = 'pending' THEN 1 END),
		COUNT(DISTINCT CASE WHEN h.state = 'pending' THEN h.person_id END),
		COUNT(CASE WHEN h.state = 'escalated' THEN 1 END),
		COUNT(CASE WHEN h.state = 'false_positive' THEN 1 END),
		COUNT(DISTINCT CASE WHEN h.state = 'confirmed' THEN h.person_id END)
		FROM hits h WHERE EXISTS (SELECT 1 FROM persons p WHERE p.id = h.person_id AND p.merged_into IS NULL AND ($1 = '' OR p.partner = $1))`, scope.Partner).
		Scan(&c.PendingHits, &c.PeoplePending, &c.Escalated, &c.Cleared, &c.Confirmed)
}

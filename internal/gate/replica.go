// Package gate is gate mode: a gate device's local SQLite replica of what
// its gate needs (the passes called to it, the verification bundle,
// revocations, screening holds), the admission logic run against it with
// no network, a durable outbox of check-ins synced to the server
// idempotently by event id, and the officer's page served on localhost.
//
// The replica is the device's own small schema, not the server's: it holds
// per person only the pass's document hash and a minimal summary
// (initials, sex, birth year, relationship), never a category or a
// screening detail. Losing the device loses no check-in that reached the
// server, and a check-in is shown green only once it is durable in the
// outbox (synchronous=FULL), so killing the process at any moment loses
// nothing shown green.
package gate

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite"

	"muster/internal/pass"
	"muster/internal/store"
)

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passes (
	pass_id  TEXT PRIMARY KEY,
	case_id  INTEGER NOT NULL,
	case_ref TEXT NOT NULL,
	start_at INTEGER NOT NULL,
	end_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS passes_case ON passes(case_id);
CREATE TABLE IF NOT EXISTS pass_people (
	pass_id        TEXT NOT NULL,
	idx            INTEGER NOT NULL,
	person_id      INTEGER NOT NULL,
	hash           TEXT NOT NULL,
	summary        TEXT NOT NULL,
	flagged        INTEGER NOT NULL,
	server_checked INTEGER NOT NULL,
	PRIMARY KEY (pass_id, idx)
);
CREATE TABLE IF NOT EXISTS revoked (pass_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS outbox (
	event_id  TEXT PRIMARY KEY,
	pass_id   TEXT NOT NULL,
	idx       INTEGER NOT NULL,
	person_id INTEGER NOT NULL,
	case_id   INTEGER NOT NULL,
	method    TEXT NOT NULL,
	at        INTEGER NOT NULL,
	synced    INTEGER NOT NULL DEFAULT 0,
	rejected  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_pass ON outbox(pass_id, idx);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(synced, event_id);
`

// replica is the local database.
type replica struct {
	db *sql.DB
}

func openReplica(ctx context.Context, path string) (*replica, error) {
	// WAL so that the page reads while the sync writes; FULL so that an
	// acknowledged check-in survives a power cut; immediate transactions so
	// that two writers queue instead of failing on upgrade.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("gate replica %s: %w", path, err)
	}
	return &replica{db: db}, nil
}

func (r *replica) close() error { return r.db.Close() }

func (r *replica) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := r.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// load replaces the replica's passes, revocations and bundle with a
// snapshot in one transaction; the outbox is never touched.
func (r *replica) load(ctx context.Context, snap *store.GateSnapshot) error {
	bundle, err := json.Marshal(snap.Bundle)
	if err != nil {
		return err
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM passes`, `DELETE FROM pass_people`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	closed := "0"
	if snap.Closed {
		closed = "1"
	}
	for k, v := range map[string]string{"bundle": string(bundle), "gate": snap.Gate, "version": snap.Version,
		"closed": closed, "generated": snap.Generated.Format(time.RFC3339Nano)} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return err
		}
	}
	insPass, err := tx.PrepareContext(ctx, `INSERT INTO passes (pass_id, case_id, case_ref, start_at, end_at) VALUES ($1, $2, $3, $4, $5)`)
	if err != nil {
		return err
	}
	defer insPass.Close()
	insPerson, err := tx.PrepareContext(ctx, `INSERT INTO pass_people (pass_id, idx, person_id, hash, summary, flagged, server_checked) VALUES ($1, $2, $3, $4, $5, $6, $7)`)
	if err != nil {
		return err
	}
	defer insPerson.Close()
	for _, p := range snap.Passes {
		if _, err := insPass.ExecContext(ctx, p.PassID, p.CaseID, p.CaseRef, p.Start.UnixMicro(), p.End.UnixMicro()); err != nil {
			return err
		}
		for _, per := range p.People {
			if _, err := insPerson.ExecContext(ctx, p.PassID, per.Index, per.PersonID, per.Hash, per.Summary, b2i(per.Flagged), b2i(per.CheckedIn)); err != nil {
				return err
			}
		}
	}
	for _, id := range snap.Revoked {
		if _, err := tx.ExecContext(ctx, `INSERT INTO revoked (pass_id) VALUES ($1) ON CONFLICT DO NOTHING`, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (r *replica) bundle(ctx context.Context) (*pass.Bundle, error) {
	s, err := r.meta(ctx, "bundle")
	if err != nil || s == "" {
		return nil, err
	}
	var b pass.Bundle
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		return nil, fmt.Errorf("gate replica: bundle: %w", err)
	}
	return &b, nil
}

// passRow is a pass as the replica holds it.
type passRow struct {
	PassID     string
	CaseID     int64
	CaseRef    string
	Start, End time.Time
	People     []personRow
}

type personRow struct {
	Index     int
	PersonID  int64
	Hash      pass.Hash
	Summary   string
	Flagged   bool
	Admitted  bool // by this gate (outbox) or known to the server
	HasDoc    bool
	ServerSaw bool
}

func (r *replica) passByID(ctx context.Context, id string) (*passRow, error) {
	return r.passWhere(ctx, `pass_id = $1`, id)
}

func (r *replica) passByCase(ctx context.Context, caseID int64) (*passRow, error) {
	return r.passWhere(ctx, `case_id = $1`, caseID)
}

// passWhere returns the pass matching cond, or nil.
func (r *replica) passWhere(ctx context.Context, cond string, arg any) (*passRow, error) {
	var p passRow
	var start, end int64
	err := r.db.QueryRowContext(ctx, `SELECT pass_id, case_id, case_ref, start_at, end_at FROM passes WHERE `+cond+` ORDER BY start_at DESC LIMIT 1`, arg).
		Scan(&p.PassID, &p.CaseID, &p.CaseRef, &start, &end)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	p.Start, p.End = time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC()
	rows, err := r.db.QueryContext(ctx, `SELECT pp.idx, pp.person_id, pp.hash, pp.summary, pp.flagged, pp.server_checked,
		EXISTS (SELECT 1 FROM outbox o WHERE o.pass_id = pp.pass_id AND o.idx = pp.idx)
		FROM pass_people pp WHERE pp.pass_id = $1 ORDER BY pp.idx`, p.PassID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var per personRow
		var h string
		var flagged, server, local int
		if err := rows.Scan(&per.Index, &per.PersonID, &h, &per.Summary, &flagged, &server, &local); err != nil {
			return nil, err
		}
		b, _ := hex.DecodeString(h)
		copy(per.Hash[:], b)
		per.HasDoc = per.Hash != (pass.Hash{})
		per.Flagged, per.ServerSaw, per.Admitted = flagged != 0, server != 0, server != 0 || local != 0
		p.People = append(p.People, per)
	}
	return &p, rows.Err()
}

// hashes returns every (pass, person index, document hash) of the
// replica, or of one pass, for finding a person by document: the hash
// depends on the pass id, so each pass's is computed and compared here.
func (r *replica) hashes(ctx context.Context, passID string) ([]passHash, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT pass_id, idx, hash FROM pass_people WHERE ($1 = '' OR pass_id = $1) ORDER BY pass_id, idx`, passID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []passHash
	for rows.Next() {
		var h passHash
		var hx string
		if err := rows.Scan(&h.passID, &h.idx, &hx); err != nil {
			return nil, err
		}
		b, _ := hex.DecodeString(hx)
		copy(h.hash[:], b)
		out = append(out, h)
	}
	return out, rows.Err()
}

type passHash struct {
	passID string
	idx    int
	hash   pass.Hash
}

func (r *replica) revoked(ctx context.Context, id string) (bool, error) {
	var n int
	err := r.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM revoked WHERE pass_id = $1`, id).Scan(&n)
	return n > 0, err
}

// admit writes a check-in to the outbox unless that person on that pass is
// already in it; it reports whether it wrote.
func (r *replica) admit(ctx context.Context, p *passRow, idx int, method string, at time.Time) (bool, error) {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE pass_id = $1 AND idx = $2`, p.PassID, idx).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_id, pass_id, idx, person_id, case_id, method, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		store.NewEventID(), p.PassID, idx, p.People[idx].PersonID, p.CaseID, method, at.UnixMicro()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// pending returns up to n outbox entries not yet acknowledged.
func (r *replica) pending(ctx context.Context, n int) ([]store.CheckIn, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT event_id, person_id, case_id, pass_id, method, at FROM outbox WHERE synced = 0 AND rejected = '' ORDER BY event_id LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CheckIn
	for rows.Next() {
		var c store.CheckIn
		var at int64
		if err := rows.Scan(&c.EventID, &c.PersonID, &c.CaseID, &c.PassID, &c.Method, &at); err != nil {
			return nil, err
		}
		c.At = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

func (r *replica) acknowledge(ctx context.Context, res *store.SyncResult) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range res.Accepted {
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET synced = 1 WHERE event_id = $1`, id); err != nil {
			return err
		}
	}
	for id, why := range res.Rejected {
		if why == "" {
			why = "rejected"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET rejected = $1 WHERE event_id = $2`, why, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Counts are the outbox's state.
type Counts struct {
	CheckIns int `json:"checkins"` // every admission recorded here
	Pending  int `json:"pending"`  // not yet acknowledged by the server
	Rejected int `json:"rejected"` // refused by the server: for a coordinator
	Passes   int `json:"passes"`
}

func (r *replica) counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := r.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN synced = 0 AND rejected = '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN rejected <> '' THEN 1 ELSE 0 END), 0), (SELECT COUNT(*) FROM passes) FROM outbox`).Scan(&c.CheckIns, &c.Pending, &c.Rejected, &c.Passes)
	return c, err
}

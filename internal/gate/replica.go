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
//
// A gate laptop is the device most likely to be seized, so the replica is
// sealed as the server's database is (internal/vault): every pass's people,
// case and document hashes, the verification bundle (its document key
// would let a finder test guessed document numbers against the hashes) and
// the people and cases of the outbox are XChaCha20-Poly1305 under a data
// key that is kept only wrapped by the key file. What stays in clear is
// what names nobody: pass ids, windows, revoked pass ids, event ids,
// check-in methods and times, the gate's name. Lookups (a case number
// typed, a document scanned) go through maps built in memory from the
// decrypted replica at start and after each sync, never through SQL on a
// personal value. Purging destroys the replica's files and the key file.
package gate

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	_ "modernc.org/sqlite"

	"muster/internal/pass"
	"muster/internal/store"
	"muster/internal/vault"
)

// schemaVersion is the replica's PRAGMA user_version. Version 0 with a
// pass_people table is the replica of muster before sealing (everything
// in clear): openReplica migrates it.
const schemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passes (
	pass_id  TEXT PRIMARY KEY,
	start_at INTEGER NOT NULL,
	end_at   INTEGER NOT NULL,
	sealed   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked (pass_id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS outbox (
	event_id  TEXT PRIMARY KEY,
	pass_id   TEXT NOT NULL,
	idx       INTEGER NOT NULL,
	sealed    BLOB NOT NULL,
	method    TEXT NOT NULL,
	at        INTEGER NOT NULL,
	synced    INTEGER NOT NULL DEFAULT 0,
	rejected  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_pass ON outbox(pass_id, idx);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(synced, event_id);
`

// Associated data of each sealed value: a value moved to another row or
// column no longer opens.
const (
	adBundle = "gate/bundle"
	adPass   = "gate/pass:"   // + pass id
	adOutbox = "gate/outbox:" // + event id
)

// replica is the local database and, in memory, its decrypted content.
// The database is the durable copy; the maps answer every scan.
type replica struct {
	db  *sql.DB
	dek []byte
	v   *vault.Vault

	mu      sync.RWMutex
	bundleV *pass.Bundle
	closed  bool
	byID    map[string]*passRow // every pass; never changed once built
	byCase  map[int64]*passRow  // the latest-starting pass of each case
	ids     []string            // pass ids in order, for the document search
	revs    map[string]bool
	local   map[slot]bool // (pass, person) admitted here: in the outbox
}

type slot struct {
	pass string
	idx  int
}

// sealedPass is what a pass row seals.
type sealedPass struct {
	CaseID  int64              `json:"case_id"`
	CaseRef string             `json:"case_ref"`
	People  []store.GatePerson `json:"people"`
}

// sealedCheckIn is what an outbox row seals.
type sealedCheckIn struct {
	PersonID int64 `json:"person_id"`
	CaseID   int64 `json:"case_id"`
}

// openReplica opens (creating) the replica at path and unwraps its data
// key with kek (a new replica gets a new data key).
func openReplica(ctx context.Context, path string, kek []byte) (_ *replica, err error) {
	// WAL so that the page reads while the sync writes; FULL so that an
	// acknowledged check-in survives a power cut; immediate transactions so
	// that two writers queue instead of failing on upgrade.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
			err = fmt.Errorf("gate replica %s: %w", path, err)
		}
	}()
	db.SetMaxOpenConns(2)
	r := &replica{db: db}
	var version int
	if err := db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return nil, err
	}
	var legacy int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'pass_people'`).Scan(&legacy); err != nil {
		return nil, err
	}
	if version > schemaVersion {
		return nil, fmt.Errorf("written by a newer muster (schema %d, this one knows %d)", version, schemaVersion)
	}
	if legacy == 0 {
		if _, err := db.ExecContext(ctx, schema); err != nil {
			return nil, err
		}
	}
	if err := r.unlock(ctx, kek); err != nil {
		return nil, err
	}
	if legacy > 0 {
		if err := r.migrateClear(ctx); err != nil {
			return nil, fmt.Errorf("sealing a replica written in clear: %w", err)
		}
	} else if _, err := db.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return nil, err
	}
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// unlock unwraps the replica's data key, or makes and stores one.
func (r *replica) unlock(ctx context.Context, kek []byte) error {
	wrappedHex, err := r.meta(ctx, "dek")
	if err != nil {
		return err
	}
	var dek []byte
	if wrappedHex == "" {
		if dek, err = vault.NewDEK(); err != nil {
			return err
		}
		wrapped, err := vault.Wrap(kek, dek)
		if err != nil {
			return err
		}
		if err := r.setMeta(ctx, r.db, "dek", hex.EncodeToString(wrapped)); err != nil {
			return err
		}
	} else {
		wrapped, err := hex.DecodeString(wrappedHex)
		if err != nil {
			return fmt.Errorf("wrapped data key: %w", err)
		}
		if dek, err = vault.Unwrap(kek, wrapped); err != nil {
			return err
		}
	}
	v, err := vault.New(dek)
	if err != nil {
		return err
	}
	r.dek, r.v = dek, v
	return nil
}

// migrateClear turns a replica written in clear into a sealed one: the
// outbox (check-ins perhaps not yet synced) is sealed row by row, the
// passes and bundle are dropped (the next sync or bundle brings them
// back), and the file is vacuumed with secure_delete so that no freed page
// keeps the clear values.
func (r *replica) migrateClear(ctx context.Context) error {
	conn, err := r.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
		return err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	type oldRow struct {
		event, pass, method, rejected string
		idx                           int
		person, cas, at, synced       int64
	}
	rows, err := tx.QueryContext(ctx, `SELECT event_id, pass_id, idx, person_id, case_id, method, at, synced, rejected FROM outbox`)
	if err != nil {
		return err
	}
	var old []oldRow
	for rows.Next() {
		var o oldRow
		if err := rows.Scan(&o.event, &o.pass, &o.idx, &o.person, &o.cas, &o.method, &o.at, &o.synced, &o.rejected); err != nil {
			rows.Close()
			return err
		}
		old = append(old, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range []string{`DROP TABLE outbox`, `DROP TABLE pass_people`, `DROP TABLE passes`,
		`DELETE FROM meta WHERE key IN ('bundle', 'version')`, schema} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	for _, o := range old {
		sealed, err := r.sealJSON(sealedCheckIn{PersonID: o.person, CaseID: o.cas}, adOutbox+o.event)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_id, pass_id, idx, sealed, method, at, synced, rejected) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			o.event, o.pass, o.idx, sealed, o.method, o.at, o.synced, o.rejected); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for _, q := range []string{`VACUUM`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// close closes the database and forgets the keys and the decrypted
// content.
func (r *replica) close() error {
	r.mu.Lock()
	vault.Zero(r.dek)
	r.dek, r.v = nil, nil
	r.bundleV, r.byID, r.byCase, r.ids, r.revs, r.local = nil, nil, nil, nil, nil, nil
	r.mu.Unlock()
	return r.db.Close()
}

func (r *replica) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := r.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (r *replica) setMeta(ctx context.Context, x execer, key, value string) error {
	_, err := x.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

func (r *replica) sealJSON(v any, ad string) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	defer vault.Zero(b)
	return r.v.Seal(b, ad)
}

func (r *replica) openJSON(sealed []byte, ad string, v any) error {
	b, err := r.v.Open(sealed, ad)
	if err != nil {
		return err
	}
	defer vault.Zero(b)
	return json.Unmarshal(b, v)
}

// load replaces the replica's passes, revocations and bundle with a
// snapshot in one transaction, then the in-memory maps; the outbox is
// never touched.
func (r *replica) load(ctx context.Context, snap *store.GateSnapshot) error {
	bundle, err := r.sealJSON(snap.Bundle, adBundle)
	if err != nil {
		return err
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM passes`); err != nil {
		return err
	}
	closed := "0"
	if snap.Closed {
		closed = "1"
	}
	for k, v := range map[string]string{"bundle": hex.EncodeToString(bundle), "gate": snap.Gate, "version": snap.Version,
		"closed": closed, "generated": snap.Generated.Format(time.RFC3339Nano)} {
		if err := r.setMeta(ctx, tx, k, v); err != nil {
			return err
		}
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO passes (pass_id, start_at, end_at, sealed) VALUES ($1, $2, $3, $4)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, p := range snap.Passes {
		sealed, err := r.sealJSON(sealedPass{CaseID: p.CaseID, CaseRef: p.CaseRef, People: p.People}, adPass+p.PassID)
		if err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, p.PassID, p.Start.UnixMicro(), p.End.UnixMicro(), sealed); err != nil {
			return err
		}
	}
	for _, id := range snap.Revoked {
		if _, err := tx.ExecContext(ctx, `INSERT INTO revoked (pass_id) VALUES ($1) ON CONFLICT DO NOTHING`, id); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	return r.reload(ctx)
}

// reload builds the in-memory maps from the database: at start and after
// each load, so that memory never holds what the disk does not.
func (r *replica) reload(ctx context.Context) error {
	var b *pass.Bundle
	if s, err := r.meta(ctx, "bundle"); err != nil {
		return err
	} else if s != "" {
		sealed, err := hex.DecodeString(s)
		if err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		b = new(pass.Bundle)
		if err := r.openJSON(sealed, adBundle, b); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
	}
	closed, err := r.meta(ctx, "closed")
	if err != nil {
		return err
	}
	byID := map[string]*passRow{}
	byCase := map[int64]*passRow{}
	var ids []string
	rows, err := r.db.QueryContext(ctx, `SELECT pass_id, start_at, end_at, sealed FROM passes ORDER BY pass_id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p passRow
		var start, end int64
		var sealed []byte
		if err := rows.Scan(&p.PassID, &start, &end, &sealed); err != nil {
			return err
		}
		var sp sealedPass
		if err := r.openJSON(sealed, adPass+p.PassID, &sp); err != nil {
			return fmt.Errorf("pass %s: %w", p.PassID, err)
		}
		p.Start, p.End = time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC()
		p.CaseID, p.CaseRef = sp.CaseID, sp.CaseRef
		for _, per := range sp.People {
			pr := personRow{Index: per.Index, PersonID: per.PersonID, Summary: per.Summary, Flagged: per.Flagged, ServerSaw: per.CheckedIn}
			if h, err := hex.DecodeString(per.Hash); err == nil {
				copy(pr.Hash[:], h)
			}
			pr.HasDoc = pr.Hash != (pass.Hash{})
			p.People = append(p.People, pr)
		}
		sort.Slice(p.People, func(i, j int) bool { return p.People[i].Index < p.People[j].Index })
		byID[p.PassID] = &p
		ids = append(ids, p.PassID)
		if q := byCase[p.CaseID]; q == nil || p.Start.After(q.Start) {
			byCase[p.CaseID] = &p
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	revs := map[string]bool{}
	local := map[slot]bool{}
	for _, q := range []struct {
		sql  string
		into func(id string, idx int)
	}{
		{`SELECT pass_id, 0 FROM revoked`, func(id string, _ int) { revs[id] = true }},
		{`SELECT pass_id, idx FROM outbox`, func(id string, idx int) { local[slot{id, idx}] = true }},
	} {
		rows, err := r.db.QueryContext(ctx, q.sql)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			var idx int
			if err := rows.Scan(&id, &idx); err != nil {
				rows.Close()
				return err
			}
			q.into(id, idx)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.bundleV, r.closed, r.byID, r.byCase, r.ids, r.revs, r.local = b, closed == "1", byID, byCase, ids, revs, local
	r.mu.Unlock()
	return nil
}

func (r *replica) bundle() *pass.Bundle {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.bundleV
}

func (r *replica) isClosed() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.closed
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

func (r *replica) passByID(_ context.Context, id string) (*passRow, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.copyOf(r.byID[id]), nil
}

func (r *replica) passByCase(_ context.Context, caseID int64) (*passRow, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.copyOf(r.byCase[caseID]), nil
}

// copyOf returns a copy of p with who is admitted as of now, or nil; the
// caller holds r.mu.
func (r *replica) copyOf(p *passRow) *passRow {
	if p == nil {
		return nil
	}
	c := *p
	c.People = make([]personRow, len(p.People))
	for i, per := range p.People {
		per.Admitted = per.ServerSaw || r.local[slot{p.PassID, per.Index}]
		c.People[i] = per
	}
	return &c
}

// hashes returns every (pass, person index, document hash) of the
// replica, or of one pass, for finding a person by document: the hash
// depends on the pass id, so each pass's is computed and compared here.
func (r *replica) hashes(_ context.Context, passID string) ([]passHash, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := r.ids
	if passID != "" {
		ids = []string{passID}
	}
	var out []passHash
	for _, id := range ids {
		p := r.byID[id]
		if p == nil {
			continue
		}
		for _, per := range p.People {
			out = append(out, passHash{passID: id, idx: per.Index, hash: per.Hash})
		}
	}
	return out, nil
}

type passHash struct {
	passID string
	idx    int
	hash   pass.Hash
}

func (r *replica) revoked(_ context.Context, id string) (bool, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.revs[id], nil
}

// admit writes a check-in to the outbox unless that person on that pass is
// already in it; it reports whether it wrote.
func (r *replica) admit(ctx context.Context, p *passRow, idx int, method string, at time.Time) (bool, error) {
	event := store.NewEventID()
	sealed, err := r.sealJSON(sealedCheckIn{PersonID: p.People[idx].PersonID, CaseID: p.CaseID}, adOutbox+event)
	if err != nil {
		return false, err
	}
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
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_id, pass_id, idx, sealed, method, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		event, p.PassID, idx, sealed, method, at.UnixMicro()); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	r.mu.Lock()
	if r.local != nil {
		r.local[slot{p.PassID, idx}] = true
	}
	r.mu.Unlock()
	return true, nil
}

// pending returns up to n outbox entries not yet acknowledged.
func (r *replica) pending(ctx context.Context, n int) ([]store.CheckIn, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT event_id, pass_id, sealed, method, at FROM outbox WHERE synced = 0 AND rejected = '' ORDER BY event_id LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.CheckIn
	for rows.Next() {
		var c store.CheckIn
		var at int64
		var sealed []byte
		if err := rows.Scan(&c.EventID, &c.PassID, &sealed, &c.Method, &at); err != nil {
			return nil, err
		}
		var sc sealedCheckIn
		if err := r.openJSON(sealed, adOutbox+c.EventID, &sc); err != nil {
			return nil, fmt.Errorf("gate outbox %s: %w", c.EventID, err)
		}
		c.PersonID, c.CaseID = sc.PersonID, sc.CaseID
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

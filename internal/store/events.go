package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/vault"
)

// newEventID returns a globally unique event id: 48 bits of milliseconds
// then 80 random bits, in hex, so that ids sort by time and the unique
// index on them grows at its end. Gates mint their own ids the same way so
// that a re-sent event is recognised, not doubled.
func newEventID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	rand.Read(b[6:])
	return hex.EncodeToString(b[:])
}

// NewEventID is newEventID for other packages (gates, tests).
func NewEventID() string { return newEventID() }

func jsonRaw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only muster's own plain types reach here
	}
	return b
}

// eventRow is the stored form of an event: its data sealed.
type eventRow struct {
	seq                    int64
	id                     string
	at                     int64
	actor, typ             string
	personID, caseID       int64
	partner, from, to, cat string
	sealed                 []byte
	hash                   []byte
}

// eventColumns are the events table's columns in the order of eventRow.args.
const eventColumns = `seq, id, at, actor, type, person_id, case_id, partner, from_stage, to_stage, category, sealed, hash`

// args are the row's values for eventColumns.
func (r *eventRow) args() []any {
	return []any{r.seq, r.id, r.at, r.actor, r.typ, nullID(r.personID), nullID(r.caseID), r.partner, r.from, r.to, r.cat, r.sealed, r.hash}
}

// canonical is the byte string the chain authenticates: every column, each
// length-prefixed, so no two different rows encode alike.
func (r *eventRow) canonical() []byte {
	var b bytes.Buffer
	num := func(v int64) {
		var x [8]byte
		binary.BigEndian.PutUint64(x[:], uint64(v))
		b.Write(x[:])
	}
	str := func(v []byte) {
		num(int64(len(v)))
		b.Write(v)
	}
	num(r.seq)
	str([]byte(r.id))
	num(r.at)
	str([]byte(r.actor))
	str([]byte(r.typ))
	num(r.personID)
	num(r.caseID)
	str([]byte(r.partner))
	str([]byte(r.from))
	str([]byte(r.to))
	str([]byte(r.cat))
	str(r.sealed)
	return b.Bytes()
}

// headMAC authenticates the chain head (its sequence number and last link)
// so that cutting events off the end is detected as well.
func (s *Store) headMAC(seq int64, hash []byte) []byte {
	var x [8]byte
	binary.BigEndian.PutUint64(x[:], uint64(seq))
	return s.vault.Chain([]byte("head"), append(x[:], hash...))
}

// chainState is the audit chain's head as one transaction sees it: read
// (and on PostgreSQL row-locked) at the transaction's first event, advanced
// in memory for each event, written back once before commit.
type chainState struct {
	seq    int64
	prev   []byte
	counts bool // an event appended may change what Status counts
	// registry: and may change the registrations or people screened
	// (most of Status's cost), which movement does not.
	registry bool
	// pending are the events appended and not yet inserted (PostgreSQL):
	// they go in many rows per statement (flushEvents), since there each
	// statement is a round trip and a gate sync or an import appends
	// hundreds. Nothing reads an event back in the transaction that
	// appends it. SQLite has no round trip, and binding thousands of
	// parameters by number costs it more than it saves (a 100k import
	// took twice as long), so there each event goes through insert, one
	// prepared statement per transaction.
	pending []eventRow
	insert  *sql.Stmt
}

// eventsPerInsert bounds the rows of one multi-row insert: 13 parameters
// each stay far under both engines' limits.
const eventsPerInsert = 256

// flushEvents inserts st's pending events.
func (s *Store) flushEvents(ctx context.Context, tx *sql.Tx, st *chainState) error {
	for len(st.pending) > 0 {
		n := min(len(st.pending), eventsPerInsert)
		var q strings.Builder
		q.WriteString(`INSERT INTO events (` + eventColumns + `) VALUES `)
		args := make([]any, 0, 13*n)
		for i, r := range st.pending[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for j := 1; j <= 13; j++ {
				if j > 1 {
					q.WriteString(", ")
				}
				q.WriteString("$")
				q.WriteString(strconv.Itoa(13*i + j))
			}
			q.WriteString(")")
			args = append(args, r.args()...)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
		st.pending = st.pending[n:]
	}
	st.pending = nil
	return nil
}

// countsChanged marks tx as changing what Status counts though it may
// append no event (a re-screening that drops a hit).
func (s *Store) countsChanged(ctx context.Context, tx *sql.Tx) error {
	st, err := s.chainFor(ctx, tx)
	if err != nil {
		return err
	}
	st.counts, st.registry = true, true
	return nil
}

// countsEvent reports whether an event of type t may change what Status
// counts; reads, sign-ins and exports do not, and they are most events.
// Unknown types count (a needless recount is safe, a stale count is not):
// audited reads the web server names itself are listed here, or every
// search emptied the cache.
func countsEvent(t string) bool {
	switch t {
	case muster.EventRead, muster.EventLogin, muster.EventLoginFailed, muster.EventExport, muster.EventUserAdded, muster.EventKeyCreated,
		"person.search", "case.read", "user.logout", "user.signout", "user.disabled", "user.totp", "resolve.review_queued":
		return false
	}
	return true
}

// registryEvent reports whether an event of type t may change the number
// of live people's registrations or of people screened: everything that
// may move a count except movement (stages, calls, gates, flights).
func registryEvent(t string) bool {
	switch t {
	case muster.EventStage, muster.EventCheckIn, EventGate, EventCalled, EventCallMoved, EventPassRevoked, EventGateToken,
		EventFlight, EventBoarded, EventArrival, EventWeights, EventReviewDecided:
		return false
	}
	return countsEvent(t)
}

// chainFor returns tx's chain state, locking the head on first use. The
// lock serialises appenders on PostgreSQL as SQLite's immediate
// transactions already do.
func (s *Store) chainFor(ctx context.Context, tx *sql.Tx) (*chainState, error) {
	if st, ok := s.chains.Load(tx); ok {
		return st.(*chainState), nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE chain SET seq = seq WHERE id = 1`); err != nil {
		return nil, err
	}
	st := &chainState{}
	var head []byte
	if err := tx.QueryRowContext(ctx, `SELECT seq, hash FROM chain WHERE id = 1`).Scan(&st.seq, &head); err != nil {
		return nil, err
	}
	if st.seq > 0 {
		if err := tx.QueryRowContext(ctx, `SELECT hash FROM events WHERE seq = $1`, st.seq).Scan(&st.prev); err != nil {
			return nil, fmt.Errorf("audit chain: last event %d: %w", st.seq, err)
		}
	}
	s.chains.Store(tx, st)
	return st, nil
}

// flushChain writes tx's chain head back; write calls it before commit.
func (s *Store) flushChain(ctx context.Context, tx *sql.Tx) error {
	v, ok := s.chains.LoadAndDelete(tx)
	if !ok {
		return nil
	}
	st := v.(*chainState)
	if st.insert != nil {
		st.insert.Close()
	}
	if err := s.flushEvents(ctx, tx, st); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE chain SET seq = $1, hash = $2 WHERE id = 1`, st.seq, s.headMAC(st.seq, st.prev)); err != nil {
		return err
	}
	// Status caches its counts until these change, whichever server of a
	// shared database made the change. The sequence number alone would not
	// change when a transaction moves counts without an event (a
	// re-screening that withdraws a hit).
	version := strconv.FormatInt(st.seq, 10) + "-" + newEventID()
	for _, v := range []struct {
		key string
		set bool
	}{{"counts_version", st.counts}, {"registry_version", st.registry}} {
		if !v.set {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, v.key, version); err != nil {
			return err
		}
	}
	return nil
}

// dropChain forgets tx's chain state after a rollback.
func (s *Store) dropChain(tx *sql.Tx) {
	if v, ok := s.chains.LoadAndDelete(tx); ok && v.(*chainState).insert != nil {
		v.(*chainState).insert.Close()
	}
}

// appendEvent adds ev to the chain inside tx, filling in ev.Seq, ev.ID,
// ev.At and ev.Hash.
func (s *Store) appendEvent(ctx context.Context, tx *sql.Tx, ev *muster.Event) error {
	return s.appendEventPartner(ctx, tx, ev, "", "")
}

func (s *Store) appendEventPartner(ctx context.Context, tx *sql.Tx, ev *muster.Event, partner string, cat muster.Category) error {
	st, err := s.chainFor(ctx, tx)
	if err != nil {
		return err
	}
	if ev.ID == "" {
		ev.ID = newEventID()
	}
	if ev.At.IsZero() {
		ev.At = s.now().UTC()
	}
	r := eventRow{seq: st.seq + 1, id: ev.ID, at: ev.At.UnixMicro(), actor: ev.Actor, typ: ev.Type,
		personID: ev.PersonID, caseID: ev.CaseID, partner: partner, from: string(ev.From), to: string(ev.To), cat: string(cat)}
	if len(ev.Data) > 0 {
		if r.sealed, err = s.vault.Seal(ev.Data, "event"); err != nil {
			return err
		}
	}
	r.hash = s.vault.Chain(st.prev, r.canonical())
	if s.dialect == SQLite {
		if st.insert == nil {
			if st.insert, err = tx.PrepareContext(ctx, `INSERT INTO events (`+eventColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`); err != nil {
				return err
			}
		}
		if _, err := st.insert.ExecContext(ctx, r.args()...); err != nil {
			return err
		}
	} else {
		st.pending = append(st.pending, r)
		if len(st.pending) >= eventsPerInsert {
			if err := s.flushEvents(ctx, tx, st); err != nil {
				return err
			}
		}
	}
	st.seq, st.prev = r.seq, r.hash
	st.counts = st.counts || countsEvent(ev.Type)
	st.registry = st.registry || registryEvent(ev.Type)
	ev.Seq, ev.Hash = r.seq, r.hash
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// AppendEvent records an event that changes nothing else (a read, a
// search, an export). It returns once the event is committed. Concurrent
// callers share one transaction (group commit): under load every page view
// is audited, and one fsync per batch instead of per view is what keeps
// the audit of reads affordable.
func (s *Store) AppendEvent(ctx context.Context, ev *muster.Event) error {
	s.groupOnce.Do(func() {
		s.group = make(chan *pendingEvent, 1024)
		go s.groupCommit()
	})
	p := &pendingEvent{ev: ev, done: make(chan error, 1)}
	select {
	case s.group <- p:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closing:
		return errClosed
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err() // the event may still be written: it was not acknowledged
	}
}

var errClosed = errors.New("store closed")

type pendingEvent struct {
	ev   *muster.Event
	done chan error
}

// groupCommit writes queued events, as many as are waiting, one
// transaction at a time, until the store closes.
func (s *Store) groupCommit() {
	for {
		var batch []*pendingEvent
		select {
		case p := <-s.group:
			batch = append(batch, p)
		case <-s.closing:
			return
		}
	drain:
		for len(batch) < 512 {
			select {
			case p := <-s.group:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		err := s.write(context.Background(), func(tx *sql.Tx, now time.Time) error {
			for _, p := range batch {
				p.ev.At = now
				if err := s.appendEvent(context.Background(), tx, p.ev); err != nil {
					return err
				}
			}
			return nil
		})
		for _, p := range batch {
			p.done <- err
		}
	}
}

// EventFilter selects events.
type EventFilter struct {
	AfterSeq int64
	PersonID int64
	CaseID   int64
	Type     string
	Partner  string // "" = all partners
	Limit    int
}

// Events returns events in chain order, their data opened.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]muster.Event, error) {
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	w := &where{}
	after := w.arg(f.AfterSeq)
	w.eq("person_id", f.PersonID != 0, f.PersonID)
	w.eq("case_id", f.CaseID != 0, f.CaseID)
	w.eq("type", f.Type != "", f.Type)
	w.eq("partner", f.Partner != "", f.Partner)
	q := `SELECT seq, id, at, actor, type, COALESCE(person_id, 0), COALESCE(case_id, 0), from_stage, to_stage, sealed, hash
		FROM events WHERE seq > ` + after + w.String() + ` ORDER BY seq LIMIT ` + w.arg(f.Limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []muster.Event
	for rows.Next() {
		var ev muster.Event
		var at int64
		var from, to string
		var sealed []byte
		if err := rows.Scan(&ev.Seq, &ev.ID, &at, &ev.Actor, &ev.Type, &ev.PersonID, &ev.CaseID, &from, &to, &sealed, &ev.Hash); err != nil {
			return nil, err
		}
		ev.At, ev.From, ev.To = time.UnixMicro(at).UTC(), muster.Stage(from), muster.Stage(to)
		if len(sealed) > 0 {
			if ev.Data, err = s.vault.Open(sealed, "event"); err != nil {
				return nil, fmt.Errorf("event %d: %w", ev.Seq, err)
			}
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// LastSeq returns the sequence number of the newest event; servers sharing
// a database poll it to learn of each other's writes.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM chain WHERE id = 1`).Scan(&seq)
	return seq, err
}

// ChainError names the first broken link of the audit chain.
type ChainError struct {
	Seq    int64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// VerifyAudit walks the whole event chain and returns a *ChainError naming
// the first event that was deleted, edited or reordered, or nil when the
// chain is whole. It returns the number of events checked.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	var headSeq int64
	var headMAC []byte
	if err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM chain WHERE id = 1`).Scan(&headSeq, &headMAC); err != nil {
		return 0, fmt.Errorf("audit chain head: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, id, at, actor, type, COALESCE(person_id, 0), COALESCE(case_id, 0), partner, from_stage, to_stage, category, sealed, hash FROM events ORDER BY seq`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var prev []byte
	var want int64 = 1
	for rows.Next() {
		var r eventRow
		if err := rows.Scan(&r.seq, &r.id, &r.at, &r.actor, &r.typ, &r.personID, &r.caseID, &r.partner, &r.from, &r.to, &r.cat, &r.sealed, &r.hash); err != nil {
			return want - 1, err
		}
		if r.seq != want {
			return want - 1, &ChainError{Seq: want, Reason: fmt.Sprintf("event missing (next present is %d)", r.seq)}
		}
		if !vault.ChainEqual(s.vault.Chain(prev, r.canonical()), r.hash) {
			return want - 1, &ChainError{Seq: r.seq, Reason: "event edited, reordered or forged (its link does not match)"}
		}
		prev = r.hash
		want++
	}
	if err := rows.Err(); err != nil {
		return want - 1, err
	}
	if headSeq != want-1 {
		return want - 1, &ChainError{Seq: want, Reason: fmt.Sprintf("chain head says %d events, %d present", headSeq, want-1)}
	}
	if !vault.ChainEqual(s.headMAC(headSeq, prev), headMAC) {
		return want - 1, &ChainError{Seq: headSeq, Reason: "chain head does not match the last event (events cut off the end?)"}
	}
	return want - 1, nil
}

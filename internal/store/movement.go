package store

// Movement control: from "approved" to "arrived". Gates and their windows,
// call-forward with signed passes, gate device tokens and the gate's
// replica snapshot, idempotent check-in sync, flights, manifests, boarding,
// departure and arrival reconciliation. The planning itself is
// internal/schedule (pure); this file loads its input, writes back what it
// decided, and enforces capacity again in SQL so that two planners (or two
// servers on one PostgreSQL) cannot overbook.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/pass"
	"muster/internal/schedule"
)

// Flag codes (in persons.flags) that keep a person from being called
// forward or seated: an unresolved screening hit and a confirmed match.
// Screening (screening.go, FlagScreenHit and FlagScreenConfirmed) writes
// them; they are spelled again here, unexported, so that the two files,
// written in parallel, never declare the same name.
const (
	flagHold      = "screen_hit"
	flagConfirmed = "screen_confirmed"
)

// Event types of movement control (beside muster.EventCheckIn).
const (
	EventGate        = "gate.changed"
	EventCalled      = "callforward.called"
	EventCallMoved   = "callforward.moved"
	EventPassRevoked = "pass.revoked"
	EventGateToken   = "gate.token"
	EventFlight      = "flight.changed"
	EventBoarded     = "flight.boarded"
	EventArrival     = "flight.arrival"
)

// Call-forward states.
const (
	CallCalled    = "called"
	CallCheckedIn = "checked_in"
)

// GateConfig is a gate (or assembly point) as a coordinator set it. Open and
// Close are offsets from local midnight; the planner cuts windows of Window
// length from them each day.
type GateConfig struct {
	Name     string        `json:"name"`
	Open     time.Duration `json:"open"`
	Close    time.Duration `json:"close"`
	Window   time.Duration `json:"window"`
	Capacity int           `json:"capacity"`
	Closed   bool          `json:"closed"`
}

var gateNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$`)

func (g *GateConfig) validate() error {
	switch {
	case !gateNameRE.MatchString(g.Name):
		return muster.Errorf(muster.EINVALID, "gate name %q: use 1 to 64 letters, digits, spaces, '.', '_' or '-'", g.Name)
	case g.Capacity <= 0:
		return muster.Errorf(muster.EINVALID, "gate %s: capacity must be at least 1 person per window", g.Name)
	case g.Window < time.Minute:
		return muster.Errorf(muster.EINVALID, "gate %s: window must be at least a minute", g.Name)
	case g.Open < 0 || g.Close > 24*time.Hour || g.Close-g.Open < g.Window:
		return muster.Errorf(muster.EINVALID, "gate %s: opening hours must fit in a day and hold at least one window", g.Name)
	}
	return nil
}

// AddGate creates a gate. It returns ECONFLICT when the name is taken.
func (s *Store) AddGate(ctx context.Context, actor string, g GateConfig) error {
	if err := g.validate(); err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO gates (name, open_min, close_min, window_s, capacity, closed, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			g.Name, int64(g.Open/time.Minute), int64(g.Close/time.Minute), int64(g.Window/time.Second), g.Capacity, boolInt(g.Closed), now.UnixMicro()); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventGate, At: now, Data: jsonRaw(map[string]any{"gate": g.Name, "added": g})})
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Gates returns every gate by name.
func (s *Store) Gates(ctx context.Context) ([]GateConfig, error) {
	return s.gates(ctx, s.db)
}

func (s *Store) gates(ctx context.Context, q querier) ([]GateConfig, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, open_min, close_min, window_s, capacity, closed FROM gates ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GateConfig
	for rows.Next() {
		var g GateConfig
		var open, close, win int64
		var closed int
		if err := rows.Scan(&g.Name, &open, &close, &win, &g.Capacity, &closed); err != nil {
			return nil, err
		}
		g.Open, g.Close, g.Window, g.Closed = time.Duration(open)*time.Minute, time.Duration(close)*time.Minute, time.Duration(win)*time.Second, closed != 0
		out = append(out, g)
	}
	return out, rows.Err()
}

// SetGateClosed closes a gate (a threat) or opens it again. Cases called to
// a closed gate keep their passes until the next plan moves them.
func (s *Store) SetGateClosed(ctx context.Context, actor, name string, closed bool) error {
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE gates SET closed = $1, updated = $2 WHERE name = $3`, boolInt(closed), now.UnixMicro(), name)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return muster.Errorf(muster.ENOTFOUND, "no gate %q", name)
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventGate, At: now, Data: jsonRaw(map[string]any{"gate": name, "closed": closed})})
	})
}

// SetGateCapacity changes the people per window of a gate and of its
// windows not yet ended; the next plan moves the lowest-ranked cases out of
// windows now over capacity.
func (s *Store) SetGateCapacity(ctx context.Context, actor, name string, capacity int) error {
	if capacity <= 0 {
		return muster.Errorf(muster.EINVALID, "capacity must be at least 1 (close the gate instead)")
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE gates SET capacity = $1, updated = $2 WHERE name = $3`, capacity, now.UnixMicro(), name)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return muster.Errorf(muster.ENOTFOUND, "no gate %q", name)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE gate_slots SET capacity = $1 WHERE gate = $2 AND end_at > $3`, capacity, name, now.UnixMicro()); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventGate, At: now, Data: jsonRaw(map[string]any{"gate": name, "capacity": capacity})})
	})
}

// passKeys returns the operation's pass signing key and document key,
// creating both (sealed) on first use.
func (s *Store) passKeys(ctx context.Context, tx *sql.Tx, now time.Time) (ed25519.PrivateKey, []byte, error) {
	load := func() (ed25519.PrivateKey, []byte, error) {
		var priv ed25519.PrivateKey
		var doc []byte
		rows, err := tx.QueryContext(ctx, `SELECT purpose, sealed FROM move_keys WHERE purpose IN ('pass_sign', 'pass_doc')`)
		if err != nil {
			return nil, nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var purpose string
			var sealed []byte
			if err := rows.Scan(&purpose, &sealed); err != nil {
				return nil, nil, err
			}
			k, err := s.vault.Open(sealed, "move_key:"+purpose)
			if err != nil {
				return nil, nil, fmt.Errorf("pass key %s: %w", purpose, err)
			}
			if purpose == "pass_sign" {
				priv = ed25519.NewKeyFromSeed(k)
			} else {
				doc = k
			}
		}
		return priv, doc, rows.Err()
	}
	priv, doc, err := load()
	if err != nil || (priv != nil && doc != nil) {
		return priv, doc, err
	}
	pub, priv, err := pass.GenerateKey(nil)
	if err != nil {
		return nil, nil, err
	}
	doc = pass.NewDocKey()
	for _, k := range []struct {
		purpose string
		secret  []byte
		pub     []byte
		id      uint32
	}{{"pass_sign", priv.Seed(), pub, pass.KeyIDOf(pub)}, {"pass_doc", doc, nil, 0}} {
		sealed, err := s.vault.Seal(k.secret, "move_key:"+k.purpose)
		if err != nil {
			return nil, nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO move_keys (purpose, key_id, public, sealed, created) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (purpose) DO NOTHING`,
			k.purpose, int64(k.id), k.pub, sealed, now.UnixMicro()); err != nil {
			return nil, nil, err
		}
	}
	if err := s.appendEvent(ctx, tx, &muster.Event{Actor: "system", Type: muster.EventKeyCreated, At: now, Data: jsonRaw(map[string]any{"purpose": "pass", "key_id": fmt.Sprintf("%08x", pass.KeyIDOf(pub))})}); err != nil {
		return nil, nil, err
	}
	return load()
}

// PassBundle returns what a gate needs to verify passes offline: the public
// key and the document key. It creates the keys on first use.
func (s *Store) PassBundle(ctx context.Context) (pass.Bundle, error) {
	var b pass.Bundle
	// Gates pull often: read without the write lock when the keys exist.
	var pub []byte
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT s.public, d.sealed FROM move_keys s, move_keys d WHERE s.purpose = 'pass_sign' AND d.purpose = 'pass_doc'`).Scan(&pub, &sealed)
	if err == nil && len(pub) == ed25519.PublicKeySize {
		doc, err := s.vault.Open(sealed, "move_key:pass_doc")
		if err != nil {
			return b, err
		}
		return pass.Bundle{Keys: []ed25519.PublicKey{pub}, DocKey: doc}, nil
	} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return b, err
	}
	err = s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		priv, doc, err := s.passKeys(ctx, tx, now)
		if err != nil {
			return err
		}
		b = pass.Bundle{Keys: []ed25519.PublicKey{priv.Public().(ed25519.PublicKey)}, DocKey: doc}
		return nil
	})
	return b, err
}

// PlanOptions configure a planning run.
type PlanOptions struct {
	From       time.Time      // plan windows from here; zero means now
	Days       int            // days of opening hours to cut windows from; 0 means 3
	Loc        *time.Location // where gate hours are local; nil means Kabul
	Lead       time.Duration  // least notice a new call gets
	MaxNoShows int            // standby after this many missed windows (0: never)
	Weights    *schedule.Weights
	// Expiry is how long after its window a pass stops verifying at all
	// (before that it is refused as too late); 0 means 12 hours.
	Expiry time.Duration
}

// CallForward is a case's current call to a gate window, with its pass.
type CallForward struct {
	CaseID  int64     `json:"case_id"`
	CaseRef string    `json:"case_ref"`
	Gate    string    `json:"gate"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	People  int       `json:"people"`
	PassID  uint64    `json:"-"`
	State   string    `json:"state"`
	NoShows int       `json:"no_shows"`
	Token   string    `json:"-"` // the signed pass (QR payload)
}

// PassIDString renders a pass id as officers and the CLI quote it.
func PassIDString(id uint64) string { return fmt.Sprintf("%016x", id) }

// ParsePassID reads a pass id as PassIDString wrote it.
func ParsePassID(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimSpace(s), 16, 64)
	if err != nil || id == 0 {
		return 0, muster.Errorf(muster.EINVALID, "%q is not a pass id (16 hex digits)", s)
	}
	return id, nil
}

// PlanResult is what a planning run did.
type PlanResult struct {
	*schedule.Result
	// Calls are the cases newly called or moved to a new window, each with
	// a new pass: they need a notice.
	Calls []CallForward
	// Weights are the priorities the plan ordered cases by.
	Weights schedule.Weights
}

type planPerson struct {
	id, caseID int64
	stage      muster.Stage
	flags      string
	sealed     []byte // opened only for the vulnerability rule
}

// peopleByCase reads (id, case_id, stage, flags, sealed) rows into people
// grouped by case, and the case ids in the order the rows gave them. It
// closes rows.
func peopleByCase(rows *sql.Rows) (map[int64][]planPerson, []int64, error) {
	defer rows.Close()
	byCase := map[int64][]planPerson{}
	var caseIDs []int64
	for rows.Next() {
		var p planPerson
		var st string
		if err := rows.Scan(&p.id, &p.caseID, &st, &p.flags, &p.sealed); err != nil {
			return nil, nil, err
		}
		p.stage = muster.Stage(st)
		if _, ok := byCase[p.caseID]; !ok {
			caseIDs = append(caseIDs, p.caseID)
		}
		byCase[p.caseID] = append(byCase[p.caseID], p)
	}
	return byCase, caseIDs, rows.Err()
}

func hasFlag(codes, code string) bool {
	return slices.Contains(strings.Split(codes, ","), code)
}

// Plan assigns approved cases to gate windows with schedule.Replan, moving
// only what it must; it issues a pass for every case newly called or moved,
// revokes the passes of moved cases, moves people to "called" (or back to
// "approved" when their case lost its window) and books every window with a
// statement that refuses to exceed its capacity, so that a concurrent
// planner fails (ECONFLICT: plan again) instead of overbooking.
func (s *Store) Plan(ctx context.Context, actor string, opt PlanOptions) (*PlanResult, error) {
	if opt.Days <= 0 {
		opt.Days = 3
	}
	if opt.Loc == nil {
		opt.Loc = schedule.Kabul
	}
	if opt.Expiry <= 0 {
		opt.Expiry = 12 * time.Hour
	}
	out := &PlanResult{}
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		from := opt.From
		if from.IsZero() {
			from = now
		}
		// The operation's own priorities unless the caller gives others.
		w, err := s.weights(ctx, tx)
		if err != nil {
			return err
		}
		if opt.Weights != nil {
			w = *opt.Weights
		}
		cfgs, err := s.gates(ctx, tx)
		if err != nil {
			return err
		}
		gates := make([]schedule.Gate, len(cfgs))
		for i, g := range cfgs {
			gates[i] = schedule.Gate{Name: g.Name, Window: g.Window, Capacity: g.Capacity, Closed: g.Closed,
				Hours: schedule.Daily(from, opt.Days, g.Open, g.Close, opt.Loc)}
		}
		prevCF, err := s.callForwards(ctx, tx, "", "")
		if err != nil {
			return err
		}
		cfOf := map[int64]*CallForward{}
		for i := range prevCF {
			cfOf[prevCF[i].CaseID] = &prevCF[i]
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.case_id, p.stage, p.flags, p.sealed FROM persons p
			WHERE p.merged_into IS NULL AND p.case_id IN (SELECT case_id FROM persons WHERE merged_into IS NULL AND stage IN ('approved', 'called')
				UNION SELECT case_id FROM callforward)
			ORDER BY p.case_id, p.id`)
		if err != nil {
			return err
		}
		byCase, caseIDs, err := peopleByCase(rows)
		if err != nil {
			return err
		}
		caseInfo, err := s.caseInfo(ctx, tx, caseIDs)
		if err != nil {
			return err
		}
		var cases []schedule.Case
		var prev []schedule.Assignment
		travellers := map[int64][]int64{}
		for _, cid := range caseIDs {
			c := schedule.Case{ID: cid, Cleared: true, Category: caseInfo[cid].cat, Registered: caseInfo[cid].created}
			cf := cfOf[cid]
			var going []planPerson
			for _, p := range byCase[cid] {
				switch {
				case p.stage == muster.StageApproved || p.stage == muster.StageCalled:
					travellers[cid] = append(travellers[cid], p.id)
					going = append(going, p)
					c.Hit = c.Hit || hasFlag(p.flags, flagHold)
					c.ConfirmedMatch = c.ConfirmedMatch || hasFlag(p.flags, flagConfirmed)
				case p.stage == muster.StageCheckedIn && cf != nil:
					c.CheckedIn = true
				case p.stage.Rank() >= 0 && p.stage.Rank() < muster.StageApproved.Rank():
					// A member not yet approved holds the family back: a case moves whole.
					c.Cleared = false
				}
			}
			c.Size = len(travellers[cid])
			if c.Vulnerability, err = s.caseVulnerability(going, from); err != nil {
				return err
			}
			if cf != nil {
				c.NoShows = cf.NoShows
				// Through the gate (some or all of it): its window is final.
				c.CheckedIn = c.CheckedIn || cf.State == CallCheckedIn
				if c.CheckedIn {
					c.Size = cf.People
				} else if c.Size > 0 && c.Size != cf.People {
					// The case changed since its pass was issued (a member
					// approved, withdrawn or merged): the pass binds the wrong
					// documents, so the call is released and the case planned
					// afresh with a new pass.
					if err := s.releaseCall(ctx, tx, now, actor, cf, "case_changed"); err != nil {
						return err
					}
					if err := s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventCallMoved, CaseID: cid, At: now,
						Data: jsonRaw(map[string]any{"from_gate": cf.Gate, "from_start": cf.Start, "reason": "case_changed"})}); err != nil {
						return err
					}
					if _, err := s.stageTx(ctx, tx, now, actor, travellers[cid], muster.StageApproved, "call-forward case_changed", muster.StageCalled); err != nil {
						return err
					}
					delete(cfOf, cid)
					cf = nil
				}
			}
			if cf != nil {
				// In the gates' zone: the planner compares window ends as
				// time.Time values, location included.
				prev = append(prev, schedule.Assignment{CaseID: cid, Gate: cf.Gate, Start: cf.Start.In(opt.Loc), End: cf.End.In(opt.Loc), People: cf.People})
			}
			if c.Size == 0 && !c.CheckedIn {
				continue // nobody left to travel: Replan reports its call withdrawn
			}
			cases = append(cases, c)
		}
		res := schedule.Replan(schedule.Config{Weights: w, Lead: opt.Lead, MaxNoShows: opt.MaxNoShows}, gates, cases, prev, now)
		out.Result, out.Weights = res, w

		standby := map[int64]string{}
		for _, sb := range res.Standby {
			standby[sb.CaseID] = sb.Reason
		}
		for _, h := range res.Held {
			standby[h.CaseID] = h.Reason
		}
		// Release first, so that the windows they free can be booked below.
		for _, m := range res.Moved {
			cf := cfOf[m.CaseID]
			if cf == nil {
				continue
			}
			if err := s.releaseCall(ctx, tx, now, actor, cf, m.Reason); err != nil {
				return err
			}
			data := map[string]any{"from_gate": m.From.Gate, "from_start": m.From.Start, "reason": m.Reason}
			if m.To != nil {
				data["to_gate"], data["to_start"] = m.To.Gate, m.To.Start
			}
			if err := s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventCallMoved, CaseID: m.CaseID, At: now, Data: jsonRaw(data)}); err != nil {
				return err
			}
			if m.To == nil {
				to := muster.StageApproved
				if standby[m.CaseID] == schedule.ReasonNoShowLimit {
					to = muster.StageNoShow
				}
				if _, err := s.stageTx(ctx, tx, now, actor, travellers[m.CaseID], to, "call-forward "+m.Reason, muster.StageCalled); err != nil {
					return err
				}
			}
		}
		moved := map[int64]bool{}
		for _, m := range res.Moved {
			if m.To != nil {
				moved[m.CaseID] = true
			}
		}
		called := map[int64]bool{}
		for _, id := range res.Called {
			called[id] = true
		}
		if len(moved)+len(called) == 0 {
			return nil
		}
		priv, docKey, err := s.passKeys(ctx, tx, now)
		if err != nil {
			return err
		}
		for _, a := range res.Assignments {
			if !moved[a.CaseID] && !called[a.CaseID] {
				continue
			}
			noShows := 0
			if cf := cfOf[a.CaseID]; cf != nil {
				noShows = cf.NoShows
				if slices.Contains(res.NoShows, a.CaseID) {
					noShows++
				}
			}
			cf, err := s.call(ctx, tx, now, actor, priv, docKey, a, travellers[a.CaseID], noShows, opt.Expiry)
			if err != nil {
				return err
			}
			out.Calls = append(out.Calls, *cf)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type caseRow struct {
	cat     muster.Category
	created time.Time
}

func (s *Store) caseInfo(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]caseRow, error) {
	out := make(map[int64]caseRow, len(ids))
	for chunk := range slices.Chunk(ids, 500) {
		parts := make([]string, len(chunk))
		for i, id := range chunk {
			parts[i] = strconv.FormatInt(id, 10)
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, category, created FROM cases WHERE id IN (`+strings.Join(parts, ",")+`)`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, created int64
			var cat string
			if err := rows.Scan(&id, &cat, &created); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = caseRow{muster.Category(cat), time.UnixMicro(created).UTC()}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// stageTx moves people to a stage inside tx, one event each; with only
// set, it moves just those now at one of those stages.
func (s *Store) stageTx(ctx context.Context, tx *sql.Tx, now time.Time, actor string, ids []int64, to muster.Stage, reason string, only ...muster.Stage) (int, error) {
	moved := 0
	for _, id := range ids {
		var from, cat, partner string
		var caseID int64
		if err := tx.QueryRowContext(ctx, `SELECT stage, category, partner, case_id FROM persons WHERE id = $1 AND merged_into IS NULL`, id).Scan(&from, &cat, &partner, &caseID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			return moved, err
		}
		if muster.Stage(from) == to || (len(only) > 0 && !slices.Contains(only, muster.Stage(from))) {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET stage = $1, updated = $2 WHERE id = $3`, string(to), now.UnixMicro(), id); err != nil {
			return moved, err
		}
		var data json.RawMessage
		if reason != "" {
			data = jsonRaw(map[string]string{"reason": reason})
		}
		if err := s.appendEventPartner(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventStage, PersonID: id, CaseID: caseID, At: now,
			From: muster.Stage(from), To: to, Data: data}, partner, muster.Category(cat)); err != nil {
			return moved, err
		}
		moved++
	}
	return moved, nil
}

// releaseCall frees a case's window, revokes its pass and forgets the call.
func (s *Store) releaseCall(ctx context.Context, tx *sql.Tx, now time.Time, actor string, cf *CallForward, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE gate_slots SET booked = booked - $1 WHERE gate = $2 AND start_at = $3`, cf.People, cf.Gate, cf.Start.UnixMicro()); err != nil {
		return err
	}
	if err := s.revokeTx(ctx, tx, now, actor, cf, reason); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM callforward WHERE case_id = $1`, cf.CaseID)
	return err
}

func (s *Store) revokeTx(ctx context.Context, tx *sql.Tx, now time.Time, actor string, cf *CallForward, reason string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO revocations (pass_id, case_id, gate, reason, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pass_id) DO NOTHING`,
		int64(cf.PassID), cf.CaseID, cf.Gate, reason, now.UnixMicro()); err != nil {
		return err
	}
	return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventPassRevoked, CaseID: cf.CaseID, At: now,
		Data: jsonRaw(map[string]string{"pass": PassIDString(cf.PassID), "gate": cf.Gate, "reason": reason})})
}

// passDocument is the document a pass binds a person to: the passport when
// there is one (its MRZ is what the gate scans), else the first document.
func passDocument(p *muster.Person) string {
	for _, d := range p.Documents {
		if d.Type == "passport" && d.Number != "" {
			return d.Number
		}
	}
	for _, d := range p.Documents {
		if d.Number != "" {
			return d.Number
		}
	}
	return ""
}

// call books a window for a case, issues its pass and moves its people to
// "called".
func (s *Store) call(ctx context.Context, tx *sql.Tx, now time.Time, actor string, priv ed25519.PrivateKey, docKey []byte,
	a schedule.Assignment, people []int64, noShows int, expiry time.Duration) (*CallForward, error) {
	if len(people) != a.People || len(people) == 0 {
		return nil, fmt.Errorf("case %d: %d travellers for %d places", a.CaseID, len(people), a.People)
	}
	var capacity int
	if err := tx.QueryRowContext(ctx, `SELECT capacity FROM gates WHERE name = $1`, a.Gate).Scan(&capacity); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO gate_slots (gate, start_at, end_at, capacity, booked) VALUES ($1, $2, $3, $4, 0) ON CONFLICT (gate, start_at) DO NOTHING`,
		a.Gate, a.Start.UnixMicro(), a.End.UnixMicro(), capacity); err != nil {
		return nil, err
	}
	r, err := tx.ExecContext(ctx, `UPDATE gate_slots SET booked = booked + $1 WHERE gate = $2 AND start_at = $3 AND booked + $1 <= capacity`, a.People, a.Gate, a.Start.UnixMicro())
	if err != nil {
		return nil, err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return nil, muster.Errorf(muster.ECONFLICT, "window %s %s is full (another planner booked it): plan again", a.Gate, a.Start.Format(time.RFC3339))
	}
	docs := make([]string, len(people))
	summaries := make([][]byte, len(people))
	for i, id := range people {
		p, err := s.person(ctx, tx, Scope{}, id)
		if err != nil {
			return nil, err
		}
		docs[i] = passDocument(p)
		if summaries[i], err = s.vault.Seal([]byte(summary(p)), "gate_summary"); err != nil {
			return nil, err
		}
	}
	c := pass.Claims{PassID: pass.NewPassID(), CaseID: a.CaseID, Gate: a.Gate, WindowStart: a.Start, WindowEnd: a.End, Expiry: a.End.Add(expiry)}
	c.BindDocuments(docKey, docs)
	token, err := pass.Issue(priv, c)
	if err != nil {
		return nil, err
	}
	sealed, err := s.vault.Seal([]byte(token), "pass")
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO callforward (case_id, gate, start_at, end_at, people, pass_id, token, state, no_shows, created, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
		a.CaseID, a.Gate, a.Start.UnixMicro(), a.End.UnixMicro(), a.People, int64(c.PassID), sealed, CallCalled, noShows, now.UnixMicro()); err != nil {
		return nil, err
	}
	for i, id := range people {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pass_people (pass_id, idx, person_id, doc_hash, summary) VALUES ($1, $2, $3, $4, $5)`, int64(c.PassID), i, id, c.People[i][:], summaries[i]); err != nil {
			return nil, err
		}
	}
	if err := s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventCalled, CaseID: a.CaseID, At: now,
		Data: jsonRaw(map[string]any{"gate": a.Gate, "start": a.Start, "end": a.End, "people": a.People, "pass": PassIDString(c.PassID)})}); err != nil {
		return nil, err
	}
	if _, err := s.stageTx(ctx, tx, now, actor, people, muster.StageCalled, "call-forward "+a.Gate, muster.StageApproved); err != nil {
		return nil, err
	}
	return &CallForward{CaseID: a.CaseID, CaseRef: CaseRef(a.CaseID), Gate: a.Gate, Start: a.Start, End: a.End, People: a.People,
		PassID: c.PassID, State: CallCalled, NoShows: noShows, Token: token}, nil
}

// callForwards lists current calls, optionally of one gate or one case
// ("" and 0 mean all); tokens are opened only for a single case.
func (s *Store) callForwards(ctx context.Context, q querier, gate, state string) ([]CallForward, error) {
	rows, err := q.QueryContext(ctx, `SELECT case_id, gate, start_at, end_at, people, pass_id, state, no_shows FROM callforward
		WHERE ($1 = '' OR gate = $1) AND ($2 = '' OR state = $2) ORDER BY start_at, gate, case_id`, gate, state)
	if err != nil {
		return nil, err
	}
	return scanCalls(rows)
}

// scanCalls reads call rows (case_id, gate, start_at, end_at, people,
// pass_id, state, no_shows) and closes them.
func scanCalls(rows *sql.Rows) ([]CallForward, error) {
	defer rows.Close()
	var out []CallForward
	for rows.Next() {
		var cf CallForward
		var start, end, pid int64
		if err := rows.Scan(&cf.CaseID, &cf.Gate, &start, &end, &cf.People, &pid, &cf.State, &cf.NoShows); err != nil {
			return nil, err
		}
		cf.CaseRef, cf.Start, cf.End, cf.PassID = CaseRef(cf.CaseID), time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC(), uint64(pid)
		out = append(out, cf)
	}
	return out, rows.Err()
}

// CallFilter selects current calls for Calls.
type CallFilter struct {
	Scope         // a partner sees only the calls of its own cases
	Gate   string // "" for every gate
	CaseID int64  // 0 for every case
}

// Calls lists the current calls (without their passes) in window order,
// limited to what the caller's scope may see.
func (s *Store) Calls(ctx context.Context, f CallFilter) ([]CallForward, error) {
	w := &where{}
	w.eq("c.partner", f.Partner != "", f.Partner)
	w.eq("cf.gate", f.Gate != "", f.Gate)
	w.eq("cf.case_id", f.CaseID != 0, f.CaseID)
	rows, err := s.db.QueryContext(ctx, `SELECT cf.case_id, cf.gate, cf.start_at, cf.end_at, cf.people, cf.pass_id, cf.state, cf.no_shows
		FROM callforward cf JOIN cases c ON c.id = cf.case_id
		WHERE TRUE`+w.String()+` ORDER BY cf.start_at, cf.gate, cf.case_id`, w.args...)
	if err != nil {
		return nil, err
	}
	return scanCalls(rows)
}

// CallForwards lists the current calls, of one gate when gate is not "".
func (s *Store) CallForwards(ctx context.Context, gate string) ([]CallForward, error) {
	return s.callForwards(ctx, s.db, gate, "")
}

// CallForwardOf returns a case's current call with its signed pass, or
// ENOTFOUND when the case is not called.
func (s *Store) CallForwardOf(ctx context.Context, caseID int64) (*CallForward, error) {
	var cf CallForward
	var start, end, pid int64
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT case_id, gate, start_at, end_at, people, pass_id, token, state, no_shows FROM callforward WHERE case_id = $1`, caseID).
		Scan(&cf.CaseID, &cf.Gate, &start, &end, &cf.People, &pid, &sealed, &cf.State, &cf.NoShows)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, muster.Errorf(muster.ENOTFOUND, "case %s is not called forward", CaseRef(caseID))
	} else if err != nil {
		return nil, err
	}
	tok, err := s.vault.Open(sealed, "pass")
	if err != nil {
		return nil, err
	}
	cf.CaseRef, cf.Start, cf.End, cf.PassID, cf.Token = CaseRef(cf.CaseID), time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC(), uint64(pid), string(tok)
	return &cf, nil
}

// RevokePass revokes a pass (copied, forwarded, lost): gates refuse it from
// their next sync. When it is the case's current pass the case loses its
// window and its people go back to "approved", so the next plan calls them
// again with a new pass. It returns ENOTFOUND for a pass never issued.
func (s *Store) RevokePass(ctx context.Context, actor string, passID uint64, reason string) error {
	if reason == "" {
		reason = "revoked"
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var caseID int64
		err := tx.QueryRowContext(ctx, `SELECT DISTINCT p.case_id FROM pass_people pp JOIN persons p ON p.id = pp.person_id WHERE pp.pass_id = $1`, int64(passID)).Scan(&caseID)
		if errors.Is(err, sql.ErrNoRows) {
			return muster.Errorf(muster.ENOTFOUND, "no pass %s was issued", PassIDString(passID))
		} else if err != nil {
			return err
		}
		cfs, err := s.callForwards(ctx, tx, "", "")
		if err != nil {
			return err
		}
		for i := range cfs {
			cf := &cfs[i]
			if cf.PassID != passID {
				continue
			}
			if err := s.releaseCall(ctx, tx, now, actor, cf, reason); err != nil {
				return err
			}
			ids, err := s.passPeople(ctx, tx, passID)
			if err != nil {
				return err
			}
			_, err = s.stageTx(ctx, tx, now, actor, ids, muster.StageApproved, "pass revoked", muster.StageCalled)
			return err
		}
		// An old pass (already replaced): revoke it all the same.
		var gate string
		tx.QueryRowContext(ctx, `SELECT gate FROM checkins WHERE pass_id = $1`, int64(passID)).Scan(&gate)
		return s.revokeTx(ctx, tx, now, actor, &CallForward{CaseID: caseID, PassID: passID, Gate: gate}, reason)
	})
}

func (s *Store) passPeople(ctx context.Context, q querier, passID uint64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT person_id FROM pass_people WHERE pass_id = $1 ORDER BY idx`, int64(passID))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SlotBookings returns every booked window: gate, start, capacity and
// bookings, for reports and tests.
func (s *Store) SlotBookings(ctx context.Context) ([]schedule.Slot, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT gate, start_at, end_at, capacity, booked FROM gate_slots ORDER BY start_at, gate`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []schedule.Slot
	for rows.Next() {
		var sl schedule.Slot
		var start, end int64
		if err := rows.Scan(&sl.Gate, &start, &end, &sl.Capacity, &sl.Booked); err != nil {
			return nil, err
		}
		sl.Start, sl.End = time.UnixMicro(start).UTC(), time.UnixMicro(end).UTC()
		out = append(out, sl)
	}
	return out, rows.Err()
}

// CallNotices returns the call-forward notices for calls (phones opened
// from the sealed people) and records the export.
func (s *Store) CallNotices(ctx context.Context, actor string, calls []CallForward, lang string) ([]schedule.Notice, error) {
	var out []schedule.Notice
	for _, cf := range calls {
		ps, err := s.People(ctx, PeopleFilter{CaseID: cf.CaseID})
		if err != nil {
			return nil, err
		}
		n := schedule.Notice{CaseID: cf.CaseID, CaseRef: cf.CaseRef, Lang: lang, Gate: cf.Gate, Start: cf.Start, End: cf.End, People: cf.People}
		for _, p := range ps {
			for _, ph := range p.Phones {
				if !slices.Contains(n.Phones, ph) {
					n.Phones = append(n.Phones, ph)
				}
			}
		}
		out = append(out, n)
	}
	if len(out) > 0 {
		if err := s.AppendEvent(ctx, &muster.Event{Actor: actor, Type: muster.EventExport, Data: jsonRaw(map[string]any{"what": "call-forward notices", "cases": len(out)})}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ---- gate devices ----

// gateTokenHash is how gate device tokens are stored: a stolen database
// holds no usable token.
func gateTokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// NewGateToken creates an API token for one gate device; only its SHA-256
// is stored. It returns ENOTFOUND for an unknown gate.
func (s *Store) NewGateToken(ctx context.Context, actor, gate string) (string, error) {
	var b [24]byte
	rand.Read(b[:])
	tok := "mgt_" + hex.EncodeToString(b[:])
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM gates WHERE name = $1`, gate).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return muster.Errorf(muster.ENOTFOUND, "no gate %q", gate)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO gate_tokens (hash, gate, created) VALUES ($1, $2, $3)`, gateTokenHash(tok), gate, now.UnixMicro()); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventGateToken, At: now, Data: jsonRaw(map[string]string{"gate": gate, "action": "created"})})
	})
	return tok, err
}

// RevokeGateTokens revokes every token of a gate (a lost device).
func (s *Store) RevokeGateTokens(ctx context.Context, actor, gate string) (int, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		r, err := tx.ExecContext(ctx, `UPDATE gate_tokens SET revoked = $1 WHERE gate = $2 AND revoked = 0`, now.UnixMicro(), gate)
		if err != nil {
			return err
		}
		n, _ = r.RowsAffected()
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventGateToken, At: now, Data: jsonRaw(map[string]any{"gate": gate, "action": "revoked", "tokens": n})})
	})
	return int(n), err
}

// GateOfToken returns the gate a device token is for, or EUNAUTHORIZED.
func (s *Store) GateOfToken(ctx context.Context, tok string) (string, error) {
	var gate string
	err := s.db.QueryRowContext(ctx, `SELECT gate FROM gate_tokens WHERE hash = $1 AND revoked = 0`, gateTokenHash(tok)).Scan(&gate)
	if errors.Is(err, sql.ErrNoRows) {
		return "", muster.Errorf(muster.EUNAUTHORIZED, "unknown or revoked gate token")
	}
	return gate, err
}

// GateSnapshot is everything a gate needs to work offline: the
// verification bundle, the passes called to it with, per person, the
// document hash the pass binds and a minimal summary (no names beyond
// initials, no category, no screening detail), and the revoked passes.
type GateSnapshot struct {
	Gate      string        `json:"gate"`
	Generated time.Time     `json:"generated"`
	Version   string        `json:"version"` // GateVersion when it was taken
	Closed    bool          `json:"closed"`
	Bundle    pass.Bundle   `json:"bundle"`
	Passes    []GatePass    `json:"passes"`
	Revoked   []string      `json:"revoked"`
	Window    time.Duration `json:"-"`
}

// GatePass is one pass called to a gate.
type GatePass struct {
	PassID  string       `json:"pass_id"`
	CaseID  int64        `json:"case_id"`
	CaseRef string       `json:"case_ref"`
	Start   time.Time    `json:"start"`
	End     time.Time    `json:"end"`
	People  []GatePerson `json:"people"`
}

// GatePerson is one person on a gate's pass.
type GatePerson struct {
	Index     int    `json:"index"`
	PersonID  int64  `json:"person_id"`
	Hash      string `json:"hash"`    // hex of the pass's document hash; zero when no document
	Summary   string `json:"summary"` // initials, sex, birth year, relationship: enough to tick
	Flagged   bool   `json:"flagged"` // screening hold: refer to a screener
	CheckedIn bool   `json:"checked_in"`
}

func summary(p *muster.Person) string {
	var ini []string
	for _, n := range strings.Fields(p.Given + " " + p.Family) {
		r := []rune(n)
		ini = append(ini, strings.ToUpper(string(r[0]))+".")
	}
	if len(ini) == 0 && p.FullName != "" {
		for _, n := range strings.Fields(p.FullName) {
			ini = append(ini, strings.ToUpper(string([]rune(n)[0]))+".")
		}
	}
	parts := []string{strings.Join(ini, " ")}
	if p.Sex != "" {
		parts = append(parts, string(p.Sex))
	}
	if p.DOB.Year > 0 {
		parts = append(parts, strconv.Itoa(p.DOB.Year))
	}
	if p.Relationship != "" {
		parts = append(parts, p.Relationship)
	}
	return strings.Join(parts, ", ")
}

// snapshotRange is the part of the plan a gate holds: windows that ended
// less than 12 hours ago or start within two days.
func snapshotRange(now time.Time) (from, to int64) {
	return now.Add(-12 * time.Hour).UnixMicro(), now.Add(48 * time.Hour).UnixMicro()
}

// GateVersion is a cheap fingerprint of a gate's snapshot: it changes
// whenever a pass, a person's stage or flags, a revocation or the gate
// itself change, so that a gate can pull only when something did.
func (s *Store) GateVersion(ctx context.Context, gate string) (string, error) {
	from, to := snapshotRange(s.now().UTC())
	// Timestamps alone would miss changes made within one clock tick (or
	// by code that does not bump them), so stages and flags are summed too.
	var v [11]int64
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*), CAST(COALESCE(SUM(cf.case_id), 0) AS BIGINT), COALESCE(MAX(cf.updated), 0), COALESCE(MAX(p.updated), 0),
		CAST(COALESCE(SUM(LENGTH(p.flags)), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN p.stage IN ('approved', 'called') THEN 1 ELSE 0 END), 0) AS BIGINT),
		CAST(COALESCE(SUM(pp.person_id * (1 + pp.idx)), 0) AS BIGINT),
		(SELECT COUNT(*) FROM revocations WHERE gate = $1), (SELECT COALESCE(MAX(at), 0) FROM revocations WHERE gate = $1),
		(SELECT COALESCE(MAX(updated), 0) + MAX(closed) FROM gates WHERE name = $1), (SELECT COUNT(*) FROM move_keys)
		FROM callforward cf JOIN pass_people pp ON pp.pass_id = cf.pass_id JOIN persons p ON p.id = pp.person_id
		WHERE cf.gate = $1 AND cf.end_at > $2 AND cf.start_at < $3`, gate, from, to).Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10])
	if err != nil {
		return "", err
	}
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = strconv.FormatInt(x, 36)
	}
	return strings.Join(parts, "."), nil
}

// GateSnapshot returns the replica content for one gate: passes whose
// window ended less than 12 hours ago or starts within two days.
func (s *Store) GateSnapshot(ctx context.Context, gate string) (*GateSnapshot, error) {
	b, err := s.PassBundle(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	snap := &GateSnapshot{Gate: gate, Generated: now, Bundle: b, Passes: []GatePass{}, Revoked: []string{}}
	if err := s.db.QueryRowContext(ctx, `SELECT closed FROM gates WHERE name = $1`, gate).Scan(&snap.Closed); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, muster.Errorf(muster.ENOTFOUND, "no gate %q", gate)
		}
		return nil, err
	}
	// The version first: a change made while the snapshot is read shows
	// as a new version at the next pull.
	if snap.Version, err = s.GateVersion(ctx, gate); err != nil {
		return nil, err
	}
	from, to := snapshotRange(now)
	rows, err := s.db.QueryContext(ctx, `SELECT cf.case_id, cf.pass_id, cf.start_at, cf.end_at, pp.idx, pp.person_id, pp.doc_hash, pp.summary, p.stage, p.flags
		FROM callforward cf JOIN pass_people pp ON pp.pass_id = cf.pass_id JOIN persons p ON p.id = pp.person_id
		WHERE cf.gate = $1 AND cf.end_at > $2 AND cf.start_at < $3
		ORDER BY cf.start_at, cf.case_id, pp.idx`, gate, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var caseID, pid, start, end, personID int64
		var idx int
		var hash, sealed []byte
		var stage, flags string
		if err := rows.Scan(&caseID, &pid, &start, &end, &idx, &personID, &hash, &sealed, &stage, &flags); err != nil {
			return nil, err
		}
		if n := len(snap.Passes); n == 0 || snap.Passes[n-1].PassID != PassIDString(uint64(pid)) {
			snap.Passes = append(snap.Passes, GatePass{PassID: PassIDString(uint64(pid)), CaseID: caseID, CaseRef: CaseRef(caseID),
				Start: time.UnixMicro(start).UTC(), End: time.UnixMicro(end).UTC()})
		}
		var sum []byte
		if len(sealed) > 0 {
			if sum, err = s.vault.Open(sealed, "gate_summary"); err != nil {
				return nil, fmt.Errorf("person %d summary: %w", personID, err)
			}
		}
		gp := &snap.Passes[len(snap.Passes)-1]
		gp.People = append(gp.People, GatePerson{Index: idx, PersonID: personID, Hash: hex.EncodeToString(hash), Summary: string(sum),
			Flagged:   hasFlag(flags, flagHold) || hasFlag(flags, flagConfirmed),
			CheckedIn: muster.Stage(stage).Rank() >= muster.StageCheckedIn.Rank()})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rrows, err := s.db.QueryContext(ctx, `SELECT pass_id FROM revocations WHERE gate = $1 ORDER BY pass_id`, gate)
	if err != nil {
		return nil, err
	}
	defer rrows.Close()
	for rrows.Next() {
		var pid int64
		if err := rrows.Scan(&pid); err != nil {
			return nil, err
		}
		snap.Revoked = append(snap.Revoked, PassIDString(uint64(pid)))
	}
	return snap, rrows.Err()
}

// CheckIn is one admission at a gate, as the gate recorded it; EventID is
// minted at the gate so that a re-sent check-in is recognised.
type CheckIn struct {
	EventID  string    `json:"event_id"`
	PersonID int64     `json:"person_id"`
	CaseID   int64     `json:"case_id"`
	PassID   string    `json:"pass_id"`
	Method   string    `json:"method"` // mrz, typed, no_document
	At       time.Time `json:"at"`     // the gate's clock
}

// SyncResult says what became of each check-in sent: Accepted ids are
// stored (now or by an earlier send) and may leave the gate's outbox;
// Duplicates are the accepted ones that admitted a person already admitted
// elsewhere (both admissions are kept and marked); Rejected ones name an
// unknown person or pass and stay at the gate for a coordinator.
type SyncResult struct {
	Accepted   []string          `json:"accepted"`
	Duplicates []string          `json:"duplicates,omitempty"`
	Rejected   map[string]string `json:"rejected,omitempty"`
}

var eventIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// RecordCheckIns stores check-ins from one gate in one transaction: each
// at most once (by event id, ON CONFLICT DO NOTHING), its event appended
// and its person moved to "checked_in" in the same transaction, so a gate
// may resend any batch any number of times, and a crash of either side at
// any moment loses or doubles nothing.
func (s *Store) RecordCheckIns(ctx context.Context, gate string, cis []CheckIn) (*SyncResult, error) {
	res, err := s.RecordCheckInsBatch(ctx, []GateCheckIns{{Gate: gate, CheckIns: cis}})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// GateCheckIns is one gate's sync request.
type GateCheckIns struct {
	Gate     string
	CheckIns []CheckIn
}

// RecordCheckInsBatch is RecordCheckIns for several gates' requests in one
// transaction (group commit: one commit, one audit-chain lock and one
// fsync for all), with one result per request.
func (s *Store) RecordCheckInsBatch(ctx context.Context, reqs []GateCheckIns) ([]*SyncResult, error) {
	var out []*SyncResult
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		out = make([]*SyncResult, len(reqs))
		for i := range reqs {
			out[i] = &SyncResult{Accepted: []string{}, Rejected: map[string]string{}}
		}
		return s.recordCheckIns(ctx, tx, now, reqs, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkInItem is one check-in being recorded.
type checkInItem struct {
	req      int
	ci       CheckIn
	passID   int64
	caseID   int64
	stage    string
	cat      string
	partner  string
	passGate string
	state    string
	dup      bool
}

// inList renders "$k, $k+1, ..." for n values starting at placeholder k.
func inList(k, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", k+i)
	}
	return b.String()
}

// recordCheckIns does the work of a batch with a fixed number of
// statements per few hundred check-ins plus the two events each: the
// lookups, the insert, the stage and call updates are set-wise.
func (s *Store) recordCheckIns(ctx context.Context, tx *sql.Tx, now time.Time, reqs []GateCheckIns, out []*SyncResult) error {
	// Take the audit chain's lock first (chainFor takes it again, within
	// this transaction, at the first event): on PostgreSQL two servers'
	// check-in batches then run one after the other, so each sees the
	// other's admissions and a double admission is always flagged.
	if _, err := tx.ExecContext(ctx, `UPDATE chain SET seq = seq WHERE id = 1`); err != nil {
		return err
	}
	var items []*checkInItem
	for ri, r := range reqs {
		for _, ci := range r.CheckIns {
			if !eventIDRE.MatchString(ci.EventID) {
				out[ri].Rejected[ci.EventID] = "bad event id"
				continue
			}
			pid, err := ParsePassID(ci.PassID)
			if err != nil {
				out[ri].Rejected[ci.EventID] = "bad pass id"
				continue
			}
			items = append(items, &checkInItem{req: ri, ci: ci, passID: int64(pid)})
		}
	}
	for chunk := range slices.Chunk(items, 300) {
		if err := s.recordChunk(ctx, tx, now, reqs, out, chunk); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) recordChunk(ctx context.Context, tx *sql.Tx, now time.Time, reqs []GateCheckIns, out []*SyncResult, items []*checkInItem) error {
	// Who is on which pass, and where they stand.
	var personIDs []any
	seenPerson := map[int64]bool{}
	for _, it := range items {
		if !seenPerson[it.ci.PersonID] {
			seenPerson[it.ci.PersonID] = true
			personIDs = append(personIDs, it.ci.PersonID)
		}
	}
	type onPass struct{ pass, person int64 }
	type row struct {
		caseID              int64
		stage, cat, partner string
		passGate, passState sql.NullString
	}
	found := map[onPass]row{}
	rows, err := tx.QueryContext(ctx, `SELECT pp.pass_id, pp.person_id, p.case_id, p.stage, p.category, p.partner, cf.gate, cf.state
		FROM pass_people pp JOIN persons p ON p.id = pp.person_id LEFT JOIN callforward cf ON cf.pass_id = pp.pass_id
		WHERE pp.person_id IN (`+inList(1, len(personIDs))+`) AND p.merged_into IS NULL`, personIDs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k onPass
		var r row
		if err := rows.Scan(&k.pass, &k.person, &r.caseID, &r.stage, &r.cat, &r.partner, &r.passGate, &r.passState); err != nil {
			rows.Close()
			return err
		}
		found[k] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Their admissions already stored.
	earlier := map[int64]map[string]bool{}
	rows, err = tx.QueryContext(ctx, `SELECT person_id, event_id FROM checkins WHERE person_id IN (`+inList(1, len(personIDs))+`)`, personIDs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var pid int64
		var ev string
		if err := rows.Scan(&pid, &ev); err != nil {
			rows.Close()
			return err
		}
		if earlier[pid] == nil {
			earlier[pid] = map[string]bool{}
		}
		earlier[pid][ev] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	var fresh []*checkInItem
	inBatch := map[string]bool{}
	for _, it := range items {
		r, ok := found[onPass{it.passID, it.ci.PersonID}]
		if !ok {
			out[it.req].Rejected[it.ci.EventID] = "person not on that pass"
			continue
		}
		out[it.req].Accepted = append(out[it.req].Accepted, it.ci.EventID)
		if earlier[it.ci.PersonID][it.ci.EventID] || inBatch[it.ci.EventID] {
			continue // sent before: already stored, nothing more to do
		}
		inBatch[it.ci.EventID] = true
		it.caseID, it.stage, it.cat, it.partner, it.passGate, it.state = r.caseID, r.stage, r.cat, r.partner, r.passGate.String, r.passState.String
		it.dup = len(earlier[it.ci.PersonID]) > 0
		if earlier[it.ci.PersonID] == nil {
			earlier[it.ci.PersonID] = map[string]bool{}
		}
		earlier[it.ci.PersonID][it.ci.EventID] = true
		fresh = append(fresh, it)
	}
	if len(fresh) == 0 {
		return nil
	}

	var q strings.Builder
	q.WriteString(`INSERT INTO checkins (event_id, gate, person_id, case_id, pass_id, method, at, received, duplicate) VALUES `)
	args := make([]any, 0, 9*len(fresh))
	for i, it := range fresh {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "(%s)", inList(9*i+1, 9))
		args = append(args, it.ci.EventID, reqs[it.req].Gate, it.ci.PersonID, it.caseID, it.passID, it.ci.Method, it.ci.At.UnixMicro(), now.UnixMicro(), boolInt(it.dup))
	}
	q.WriteString(` ON CONFLICT (event_id) DO NOTHING`)
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return err
	}

	var dupPeople, moved, passes []any
	movedSeen, passSeen := map[int64]bool{}, map[int64]bool{}
	for _, it := range fresh {
		gate := reqs[it.req].Gate
		actor := "gate:" + gate
		if it.dup {
			dupPeople = append(dupPeople, it.ci.PersonID)
			out[it.req].Duplicates = append(out[it.req].Duplicates, it.ci.EventID)
		}
		if err := s.appendEventPartner(ctx, tx, &muster.Event{ID: it.ci.EventID, Actor: actor, Type: muster.EventCheckIn, PersonID: it.ci.PersonID, CaseID: it.caseID, At: now,
			Data: jsonRaw(map[string]any{"gate": gate, "pass": it.ci.PassID, "method": it.ci.Method, "gate_time": it.ci.At, "duplicate": it.dup, "pass_gate": it.passGate})},
			it.partner, muster.Category(it.cat)); err != nil {
			return err
		}
		// Only people still waiting move: someone withdrawn or denied who
		// was admitted anyway is recorded above, not counted as moving.
		switch from := muster.Stage(it.stage); from {
		case muster.StageApproved, muster.StageCalled, muster.StageNoShow:
			if movedSeen[it.ci.PersonID] {
				break
			}
			movedSeen[it.ci.PersonID] = true
			moved = append(moved, it.ci.PersonID)
			if err := s.appendEventPartner(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventStage, PersonID: it.ci.PersonID, CaseID: it.caseID, At: now,
				From: from, To: muster.StageCheckedIn, Data: jsonRaw(map[string]string{"reason": "admitted at " + gate})}, it.partner, muster.Category(it.cat)); err != nil {
				return err
			}
		}
		if it.state == CallCalled && !passSeen[it.passID] {
			passSeen[it.passID] = true
			passes = append(passes, it.passID)
		}
	}
	if len(dupPeople) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE checkins SET duplicate = 1 WHERE person_id IN (`+inList(1, len(dupPeople))+`)`, dupPeople...); err != nil {
			return err
		}
	}
	if len(moved) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET stage = $1, updated = $2 WHERE id IN (`+inList(3, len(moved))+`)`,
			append([]any{string(muster.StageCheckedIn), now.UnixMicro()}, moved...)...); err != nil {
			return err
		}
	}
	if len(passes) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE callforward SET state = $1, updated = $2 WHERE state = $3 AND pass_id IN (`+inList(4, len(passes))+`)`,
			append([]any{CallCheckedIn, now.UnixMicro(), CallCalled}, passes...)...); err != nil {
			return err
		}
	}
	return nil
}

// CheckInRecord is a stored check-in.
type CheckInRecord struct {
	CheckIn
	Gate      string `json:"gate"`
	Duplicate bool   `json:"duplicate"`
}

// CheckIns returns the stored check-ins in event id order (time order).
func (s *Store) CheckIns(ctx context.Context) ([]CheckInRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT event_id, gate, person_id, case_id, pass_id, method, at, duplicate FROM checkins ORDER BY event_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CheckInRecord
	for rows.Next() {
		var r CheckInRecord
		var pid, at int64
		var dup int
		if err := rows.Scan(&r.EventID, &r.Gate, &r.PersonID, &r.CaseID, &pid, &r.Method, &at, &dup); err != nil {
			return nil, err
		}
		r.PassID, r.At, r.Duplicate = PassIDString(uint64(pid)), time.UnixMicro(at).UTC(), dup != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

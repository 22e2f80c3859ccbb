// Package schedule plans movement: which case is called forward to which
// gate window (Replan), and which checked-in people board which flight
// (Manifest). It is pure and in memory: the store loads gates, cases and the
// previous plan, calls it, and writes back what changed, enforcing capacity
// again in its own statements so that two planners cannot overbook.
//
// The rules that keep people alive are invariants of this package, each
// checked by a property test: a window never receives more people than its
// capacity; a case (family) is never split across windows, gates or flights;
// a case with an unresolved screening hit, a confirmed match or no screening
// clearance is never called; and priority holds: a case is never placed
// after a lower-ranked one when it would have fitted where that one went.
package schedule

import (
	"cmp"
	"slices"
	"time"

	"muster"
)

// Span is a half-open interval of time [Start, End).
type Span struct {
	Start, End time.Time
}

func (s Span) overlaps(t Span) bool { return s.Start.Before(t.End) && t.Start.Before(s.End) }

// Daily returns the spans from open to close (offsets from midnight in loc)
// on days consecutive days starting with the day holding from.
func Daily(from time.Time, days int, open, close time.Duration, loc *time.Location) []Span {
	y, m, d := from.In(loc).Date()
	var out []Span
	for i := range days {
		mid := time.Date(y, m, d+i, 0, 0, 0, 0, loc)
		out = append(out, Span{mid.Add(open), mid.Add(close)})
	}
	return out
}

// Gate is a gate or assembly point as the coordinator has set it now.
type Gate struct {
	Name     string
	Hours    []Span        // when it is open, not overlapping; windows are cut from each span
	Window   time.Duration // window length, e.g. 30 minutes
	Capacity int           // people per window
	Closed   bool          // closed until further notice (a threat): no windows at all
	Closures []Span        // closed for these periods: windows overlapping them are gone
}

// Case is what the planner needs of a case.
type Case struct {
	ID            int64
	Size          int // people who travel
	Category      muster.Category
	Vulnerability int // 0 none; each point (medical, elderly, unaccompanied minor) adds Weights.Vulnerability
	Registered    time.Time
	// Screening: a case is called only when Cleared, with no unresolved
	// Hit and no ConfirmedMatch. A screener's decision to release a case
	// clears Hit and sets Cleared; ConfirmedMatch holds it for good.
	Cleared        bool
	Hit            bool
	ConfirmedMatch bool
	Gates          []string // gates it may use (nationality-specific gates); empty means any
	CheckedIn      bool     // already through its gate: its assignment is final
	NoShows        int      // windows missed so far, counting none found by this Replan
}

// Weights set the priority order of an operation: a case ranks by
// Category[c] + Vulnerability*v, higher first, then by registration time,
// earlier first, then by id.
type Weights struct {
	Category      map[muster.Category]int
	Vulnerability int
}

// DefaultWeights ranks muster.DefaultCategories in their order, 10 points
// apart, and gives 5 per vulnerability point, so two points of vulnerability
// outweigh one category step.
func DefaultWeights() Weights {
	w := Weights{Category: map[muster.Category]int{}, Vulnerability: 5}
	for i, c := range muster.DefaultCategories {
		w.Category[c] = 10 * (len(muster.DefaultCategories) - i)
	}
	return w
}

// Config is a planning run's settings.
type Config struct {
	Weights Weights
	// Lead is the least notice a case gets: new placements go to windows
	// starting at least Lead after now, so people can travel to the gate.
	Lead time.Duration
	// MaxNoShows sends a case to standby for a coordinator once it has
	// missed this many windows (0: never).
	MaxNoShows int
}

// Slot is one window at one gate.
type Slot struct {
	Gate     string
	Start    time.Time
	End      time.Time
	Capacity int
	Booked   int // people assigned
}

// Assignment calls a case to a window.
type Assignment struct {
	CaseID int64
	Gate   string
	Start  time.Time
	End    time.Time
	People int
}

// Reasons a case is moved, on standby or held.
const (
	ReasonGateClosed      = "gate_closed"      // its gate or window is gone
	ReasonCapacityReduced = "capacity_reduced" // the window shrank and higher-ranked cases kept their places
	ReasonGateNotAllowed  = "gate_not_allowed" // the case may no longer use that gate
	ReasonNoShow          = "no_show"          // its window ended without check-in
	ReasonWithdrawn       = "withdrawn"        // no longer among the cases to plan
	ReasonNoCapacity      = "no_capacity"      // no window with room in the planned hours
	ReasonTooLarge        = "too_large"        // larger than any window it may use: needs a coordinator
	ReasonNoShowLimit     = "no_show_limit"    // missed MaxNoShows windows: needs a coordinator
	ReasonEmpty           = "empty"            // nobody in the case travels
	ReasonNotScreened     = "not_screened"
	ReasonScreeningHit    = "screening_hit"
	ReasonConfirmedMatch  = "confirmed_match"
)

// Standby is a case that could not be placed.
type Standby struct {
	CaseID int64
	Reason string
}

// Held is a case that must not be called.
type Held struct {
	CaseID int64
	Reason string
}

// Move is a change to a case's previous assignment. To is nil when the case
// went to standby or was held; Reason says why it moved.
type Move struct {
	CaseID int64
	From   Assignment
	To     *Assignment
	Reason string
}

// Result is a plan.
type Result struct {
	Assignments []Assignment // by window start, gate, then rank
	Standby     []Standby    // in rank order
	Held        []Held       // by case id
	Moved       []Move       // cases whose previous assignment changed, by case id
	Called      []int64      // cases placed that had no previous assignment, in rank order
	NoShows     []int64      // cases found to have missed their window in this run
	Slots       []Slot       // every window from now on, with its bookings
}

// Plan makes a fresh plan from now.
func Plan(cfg Config, gates []Gate, cases []Case, now time.Time) *Result {
	return Replan(cfg, gates, cases, nil, now)
}

// Replan brings a previous plan up to date with the gates and cases as they
// are now, moving only what it must:
//
//   - a case that is now held loses its window;
//   - a case whose gate or window is gone (closed gate, closure, changed
//     hours), or whose window shrank below its bookings (lowest ranked
//     cases leave first), is moved;
//   - a case whose window ended without it checking in is a no-show and is
//     placed again (or goes to standby after MaxNoShows);
//   - every other previous assignment stays exactly as it was, even if a
//     better window has opened since: people already told a time keep it;
//   - then moved, new and standby cases are placed by rank into the
//     earliest window with room that starts at least Lead from now.
func Replan(cfg Config, gates []Gate, cases []Case, prev []Assignment, now time.Time) *Result {
	p := newPlanner(cfg, gates, now)
	res := &Result{Assignments: make([]Assignment, 0, len(cases))}

	prevOf := make(map[int64]Assignment, len(prev))
	for _, a := range prev {
		prevOf[a.CaseID] = a
	}

	// Rank every case once; the order decides who keeps a shrunken window
	// and who is placed first.
	order := make([]*Case, 0, len(cases))
	for i := range cases {
		order = append(order, &cases[i])
	}
	sortByRank(cfg.Weights, order)

	moveReason := map[int64]string{}
	noShows := map[int64]bool{}
	if len(prev) > 0 {
		ids := make(map[int64]bool, len(cases))
		for i := range cases {
			ids[cases[i].ID] = true
		}
		for _, a := range prev {
			if !ids[a.CaseID] {
				res.Moved = append(res.Moved, Move{CaseID: a.CaseID, From: a, Reason: ReasonWithdrawn})
			}
		}
	}

	// The sort keys of res.Assignments, kept alongside so the final sort
	// needs no map lookups (they were most of a 100k-case plan).
	type sortKey struct{ gate, rank int }
	keys := make([]sortKey, 0, len(cases))
	add := func(a Assignment, rank int) {
		res.Assignments = append(res.Assignments, a)
		keys = append(keys, sortKey{p.gateOrder[a.Gate], rank})
	}

	// Keep previous assignments: checked-in cases first (they are
	// physically through, whatever the window says now), then by rank.
	var toPlace []int // positions in order
	keep := func(c *Case, rank int, a Assignment) bool {
		if c.CheckedIn {
			// Through the gate: counted against its window even if the
			// window has since shrunk, never moved.
			if i, ok := p.slotIndex[slotKey{a.Gate, a.Start.Unix()}]; ok {
				p.book(i, c.Size)
			}
			a.People = c.Size
			add(a, rank)
			return true
		}
		if held := holdReason(c); held != "" {
			return false
		}
		if !a.End.After(now) {
			noShows[c.ID] = true
			moveReason[c.ID] = ReasonNoShow
			return false
		}
		if !allowed(c, a.Gate) {
			moveReason[c.ID] = ReasonGateNotAllowed
			return false
		}
		i, ok := p.slotIndex[slotKey{a.Gate, a.Start.Unix()}]
		if !ok || p.slots[i].End != a.End {
			moveReason[c.ID] = ReasonGateClosed
			return false
		}
		if p.remaining(i) < c.Size {
			moveReason[c.ID] = ReasonCapacityReduced
			return false
		}
		p.book(i, c.Size)
		a.People = c.Size
		add(a, rank)
		return true
	}
	for _, checkedIn := range []bool{true, false} {
		for rank, c := range order {
			if c.CheckedIn != checkedIn {
				continue
			}
			a, had := prevOf[c.ID]
			if had && keep(c, rank, a) {
				continue
			}
			if c.CheckedIn {
				continue // checked in without a window we know: nothing to plan
			}
			if r := holdReason(c); r != "" {
				res.Held = append(res.Held, Held{CaseID: c.ID, Reason: r})
				if had {
					moveReason[c.ID] = r
				}
				continue
			}
			toPlace = append(toPlace, rank)
		}
	}

	// Place the rest by rank.
	placed := map[int64]Assignment{}
	for _, rank := range toPlace {
		c := order[rank]
		n := c.NoShows
		if noShows[c.ID] {
			n++
		}
		if cfg.MaxNoShows > 0 && n >= cfg.MaxNoShows {
			res.Standby = append(res.Standby, Standby{c.ID, ReasonNoShowLimit})
			continue
		}
		if c.Size <= 0 {
			res.Standby = append(res.Standby, Standby{c.ID, ReasonEmpty})
			continue
		}
		i, reason := p.place(c)
		if i < 0 {
			res.Standby = append(res.Standby, Standby{c.ID, reason})
			continue
		}
		s := p.slots[i]
		a := Assignment{CaseID: c.ID, Gate: s.Gate, Start: s.Start, End: s.End, People: c.Size}
		if _, had := prevOf[c.ID]; had {
			placed[c.ID] = a // only moves need it
		} else {
			res.Called = append(res.Called, c.ID)
		}
		res.Assignments = append(res.Assignments, a)
		keys = append(keys, sortKey{p.slotGate[i], rank})
	}

	for id, r := range moveReason {
		m := Move{CaseID: id, From: prevOf[id], Reason: r}
		if a, ok := placed[id]; ok {
			m.To = &a
		}
		res.Moved = append(res.Moved, m)
	}
	for id := range noShows {
		res.NoShows = append(res.NoShows, id)
	}
	slices.Sort(res.NoShows)
	slices.SortFunc(res.Moved, func(a, b Move) int { return cmp.Compare(a.CaseID, b.CaseID) })
	slices.SortFunc(res.Held, func(a, b Held) int { return cmp.Compare(a.CaseID, b.CaseID) })
	gateOrder := p.gateOrder
	type keyed struct {
		start int64
		sortKey
		a Assignment
	}
	ks := make([]keyed, len(res.Assignments))
	for i, a := range res.Assignments {
		ks[i] = keyed{a.Start.Unix(), keys[i], a}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.gate, b.gate), cmp.Compare(a.rank, b.rank))
	})
	for i, k := range ks {
		res.Assignments[i] = k.a
	}
	res.Slots = slices.Clone(p.slots)
	slices.SortFunc(res.Slots, func(a, b Slot) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(gateOrder[a.Gate], gateOrder[b.Gate]))
	})
	return res
}

// score is a case's priority under w; higher goes first.
func (w Weights) score(c *Case) int {
	return w.Category[c.Category] + w.Vulnerability*c.Vulnerability
}

// sortByRank orders cases by priority, computing each score once: the sort
// of 100k cases is a large part of a plan.
func sortByRank(w Weights, cs []*Case) {
	type ranked struct {
		c     *Case
		score int
	}
	rs := make([]ranked, len(cs))
	for i, c := range cs {
		rs[i] = ranked{c, w.score(c)}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.score, a.score), a.c.Registered.Compare(b.c.Registered), cmp.Compare(a.c.ID, b.c.ID))
	})
	for i, r := range rs {
		cs[i] = r.c
	}
}

// holdReason says why a case must not be called, or "".
func holdReason(c *Case) string {
	switch {
	case c.ConfirmedMatch:
		return ReasonConfirmedMatch
	case c.Hit:
		return ReasonScreeningHit
	case !c.Cleared:
		return ReasonNotScreened
	}
	return ""
}

func allowed(c *Case, gate string) bool {
	return len(c.Gates) == 0 || slices.Contains(c.Gates, gate)
}

// Rank returns cases ordered by priority under w, highest first: the order
// Replan places them in.
func Rank(w Weights, cases []Case) []Case {
	ps := make([]*Case, len(cases))
	for i := range cases {
		ps[i] = &cases[i]
	}
	sortByRank(w, ps)
	out := make([]Case, len(ps))
	for i, c := range ps {
		out[i] = *c
	}
	return out
}

type slotKey struct {
	gate  string
	start int64
}

type planner struct {
	cfg       Config
	now       time.Time
	slots     []Slot
	slotIndex map[slotKey]int
	slotGate  []int // gate position of each slot
	slotPos   []int // its position among its gate's slots
	gateOrder map[string]int
	// per gate: the indices of its slots in time order and a max tree of
	// their remaining capacity, to find the first window with room for a
	// case in O(log windows).
	gates []gateSlots
}

type gateSlots struct {
	name  string
	idx   []int // into planner.slots, by start
	tree  []int // max of remaining capacity; leaves at size..2*size
	size  int
	first int // first position whose window starts at least Lead from now
	cap   int // largest window capacity
}

func newPlanner(cfg Config, gates []Gate, now time.Time) *planner {
	p := &planner{cfg: cfg, now: now, slotIndex: map[slotKey]int{}, gateOrder: map[string]int{}}
	for gi, g := range gates {
		if _, dup := p.gateOrder[g.Name]; !dup {
			p.gateOrder[g.Name] = gi // a name listed twice: its first windows win
		}
		gs := gateSlots{name: g.Name}
		if !g.Closed && g.Window > 0 && g.Capacity > 0 {
			for _, h := range g.Hours {
				for s := h.Start; !s.Add(g.Window).After(h.End); s = s.Add(g.Window) {
					w := Span{s, s.Add(g.Window)}
					if !w.End.After(now) || slices.ContainsFunc(g.Closures, w.overlaps) {
						continue
					}
					k := slotKey{g.Name, s.Unix()}
					if _, dup := p.slotIndex[k]; dup {
						continue // overlapping hours: one window
					}
					p.slotIndex[k] = len(p.slots)
					gs.idx = append(gs.idx, len(p.slots))
					p.slots = append(p.slots, Slot{Gate: g.Name, Start: w.Start, End: w.End, Capacity: g.Capacity})
					p.slotGate = append(p.slotGate, gi)
					p.slotPos = append(p.slotPos, 0)
				}
			}
		}
		slices.SortFunc(gs.idx, func(a, b int) int { return p.slots[a].Start.Compare(p.slots[b].Start) })
		for pos, i := range gs.idx {
			p.slotPos[i] = pos
		}
		earliest := now.Add(cfg.Lead)
		gs.first = len(gs.idx)
		for pos, i := range gs.idx {
			if !p.slots[i].Start.Before(earliest) {
				gs.first = pos
				break
			}
		}
		gs.size = 1
		for gs.size < len(gs.idx) {
			gs.size *= 2
		}
		gs.tree = make([]int, 2*gs.size)
		for pos, i := range gs.idx {
			gs.tree[gs.size+pos] = p.slots[i].Capacity
			gs.cap = max(gs.cap, p.slots[i].Capacity)
		}
		for n := gs.size - 1; n >= 1; n-- {
			gs.tree[n] = max(gs.tree[2*n], gs.tree[2*n+1])
		}
		p.gates = append(p.gates, gs)
	}
	return p
}

func (p *planner) remaining(i int) int { return p.slots[i].Capacity - p.slots[i].Booked }

func (p *planner) book(i, n int) {
	s := &p.slots[i]
	s.Booked += n
	gs := &p.gates[p.slotGate[i]]
	n2 := gs.size + p.slotPos[i]
	gs.tree[n2] = s.Capacity - s.Booked
	for n2 /= 2; n2 >= 1; n2 /= 2 {
		gs.tree[n2] = max(gs.tree[2*n2], gs.tree[2*n2+1])
	}
}

// place books the earliest window with room for c at a gate it may use,
// ties going to the gate listed first, and returns its index, or -1 and why.
func (p *planner) place(c *Case) (int, string) {
	best, biggest := -1, 0
	for gi := range p.gates {
		gs := &p.gates[gi]
		if !allowed(c, gs.name) {
			continue
		}
		biggest = max(biggest, gs.cap)
		pos := gs.firstFit(c.Size)
		if pos < 0 {
			continue
		}
		i := gs.idx[pos]
		if best < 0 || p.slots[i].Start.Before(p.slots[best].Start) {
			best = i
		}
	}
	if best < 0 {
		if c.Size > biggest {
			return -1, ReasonTooLarge
		}
		return -1, ReasonNoCapacity
	}
	p.book(best, c.Size)
	return best, ""
}

// firstFit returns the first position at or after gs.first whose remaining
// capacity is at least n, or -1.
func (gs *gateSlots) firstFit(n int) int {
	if gs.first >= len(gs.idx) {
		return -1
	}
	return gs.search(1, 0, gs.size, n)
}

func (gs *gateSlots) search(node, lo, hi, n int) int {
	if hi <= gs.first || gs.tree[node] < n || lo >= len(gs.idx) {
		return -1
	}
	if hi-lo == 1 {
		return lo
	}
	mid := (lo + hi) / 2
	if r := gs.search(2*node, lo, mid, n); r >= 0 {
		return r
	}
	return gs.search(2*node+1, mid, hi, n)
}

package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"muster"
)

// checkPlan verifies the planner's invariants on res, the result of
// Replan(cfg, gates, cases, prev, now). It knows nothing of how the planner
// works: it recomputes each rule from the inputs and the output alone.
func checkPlan(t *testing.T, cfg Config, gates []Gate, cases []Case, prev []Assignment, now time.Time, res *Result) {
	t.Helper()
	byID := map[int64]*Case{}
	for i := range cases {
		byID[cases[i].ID] = &cases[i]
	}
	// Rank and holds are recomputed here rather than taken from the
	// package, so that a fault there shows.
	ranked := slices.Clone(cases)
	score := func(c Case) int { return cfg.Weights.Category[c.Category] + cfg.Weights.Vulnerability*c.Vulnerability }
	slices.SortFunc(ranked, func(a, b Case) int {
		if score(a) != score(b) {
			return score(b) - score(a)
		}
		if !a.Registered.Equal(b.Registered) {
			return a.Registered.Compare(b.Registered)
		}
		return int(a.ID - b.ID)
	})
	rank := map[int64]int{}
	for i, c := range ranked {
		rank[c.ID] = i
	}
	holdReason := func(c *Case) string {
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
	gateOrder := map[string]int{}
	for i, g := range gates {
		gateOrder[g.Name] = i
	}
	prevOf := map[int64]Assignment{}
	for _, a := range prev {
		prevOf[a.CaseID] = a
	}
	type key struct {
		gate  string
		start int64
	}
	slots := map[key]Slot{}
	for _, s := range res.Slots {
		slots[key{s.Gate, s.Start.Unix()}] = s
	}

	// Every case is in exactly one place (checked-in cases without a
	// previous window may be nowhere): no family split, none lost.
	seen := map[int64]string{}
	note := func(id int64, where string) {
		if w, dup := seen[id]; dup {
			t.Fatalf("case %d is both %s and %s", id, w, where)
		}
		seen[id] = where
	}
	booked := map[key]int{}
	for _, a := range res.Assignments {
		note(a.CaseID, "assigned")
		c := byID[a.CaseID]
		if c == nil {
			t.Fatalf("assignment for unknown case %d", a.CaseID)
		}
		if a.People != c.Size {
			t.Fatalf("case %d of %d people assigned %d", c.ID, c.Size, a.People)
		}
		if c.CheckedIn {
			if p, ok := prevOf[c.ID]; !ok || p.Gate != a.Gate || !p.Start.Equal(a.Start) {
				t.Fatalf("checked-in case %d moved: %+v -> %+v", c.ID, p, a)
			}
			if s, ok := slots[key{a.Gate, a.Start.Unix()}]; ok && s.End.After(now) {
				booked[key{a.Gate, a.Start.Unix()}] += a.People
			}
			continue
		}
		if r := holdReason(c); r != "" {
			t.Fatalf("case %d called despite %s", c.ID, r)
		}
		s, ok := slots[key{a.Gate, a.Start.Unix()}]
		if !ok || !s.End.Equal(a.End) {
			t.Fatalf("case %d assigned to a window that does not exist: %+v", c.ID, a)
		}
		if !allowed(c, a.Gate) {
			t.Fatalf("case %d at gate %s it may not use", c.ID, a.Gate)
		}
		booked[key{a.Gate, a.Start.Unix()}] += a.People
	}
	for _, s := range res.Standby {
		note(s.CaseID, "standby")
	}
	for _, h := range res.Held {
		note(h.CaseID, "held")
		if holdReason(byID[h.CaseID]) != h.Reason {
			t.Fatalf("case %d held for %s", h.CaseID, h.Reason)
		}
	}
	for _, c := range cases {
		if _, ok := seen[c.ID]; !ok && !c.CheckedIn {
			t.Fatalf("case %d lost", c.ID)
		}
		if holdReason(&c) != "" && !c.CheckedIn && seen[c.ID] != "held" {
			t.Fatalf("case %d should be held, is %s", c.ID, seen[c.ID])
		}
	}

	// Capacity is never exceeded, and the bookings reported are true.
	for k, s := range slots {
		if booked[k] != s.Booked {
			t.Fatalf("slot %v reports %d booked, assignments hold %d", k, s.Booked, booked[k])
		}
		if s.Booked > s.Capacity {
			t.Fatalf("slot %s %v overbooked: %d of %d", s.Gate, s.Start, s.Booked, s.Capacity)
		}
	}

	// Only what must move moves: a previous assignment still valid stays.
	moved := map[int64]Move{}
	for _, m := range res.Moved {
		moved[m.CaseID] = m
	}
	kept := map[key][]int64{} // previous assignments kept, per slot
	for _, a := range res.Assignments {
		if p, ok := prevOf[a.CaseID]; ok && p.Gate == a.Gate && p.Start.Equal(a.Start) {
			kept[key{a.Gate, a.Start.Unix()}] = append(kept[key{a.Gate, a.Start.Unix()}], a.CaseID)
		}
	}
	for _, p := range prev {
		c := byID[p.CaseID]
		m, wasMoved := moved[p.CaseID]
		if c == nil {
			if !wasMoved || m.Reason != ReasonWithdrawn {
				t.Fatalf("withdrawn case %d not reported", p.CaseID)
			}
			continue
		}
		if c.CheckedIn {
			continue
		}
		s, slotOK := slots[key{p.Gate, p.Start.Unix()}]
		valid := holdReason(c) == "" && p.End.After(now) && allowed(c, p.Gate) && slotOK && s.End.Equal(p.End)
		if !wasMoved {
			if !valid {
				t.Fatalf("case %d kept an invalid assignment %+v", c.ID, p)
			}
			continue
		}
		if m.To != nil && m.To.Gate == p.Gate && m.To.Start.Equal(p.Start) {
			t.Fatalf("case %d reported moved but stayed", c.ID)
		}
		var want string
		switch {
		case holdReason(c) != "":
			want = holdReason(c)
		case !p.End.After(now):
			want = ReasonNoShow
		case !allowed(c, p.Gate):
			want = ReasonGateNotAllowed
		case !slotOK || !s.End.Equal(p.End):
			want = ReasonGateClosed
		default:
			want = ReasonCapacityReduced
		}
		if m.Reason != want {
			t.Fatalf("case %d moved for %s, want %s", c.ID, m.Reason, want)
		}
		if want == ReasonNoShow && !slices.Contains(res.NoShows, c.ID) {
			t.Fatalf("no-show %d not reported", c.ID)
		}
		if valid {
			// Only a shrunken window may evict a valid assignment, and only
			// when the higher-ranked cases kept there leave no room.
			if m.Reason != ReasonCapacityReduced {
				t.Fatalf("case %d moved from a valid window for %s", c.ID, m.Reason)
			}
			higher := 0
			for _, id := range kept[key{p.Gate, p.Start.Unix()}] {
				if rank[id] < rank[c.ID] || byID[id].CheckedIn {
					higher += byID[id].Size
				}
			}
			if higher+c.Size <= s.Capacity {
				t.Fatalf("case %d evicted from %v though it fitted", c.ID, p)
			}
		}
	}

	// Priority: a case placed in this run (or left on standby for lack of
	// room) did not fit, in any earlier eligible window, into what the kept
	// bookings and the higher-ranked new placements left.
	earliest := now.Add(cfg.Lead)
	fresh := map[key][]int64{}
	var freshCases []int64
	placedAt := map[int64]key{}
	for _, a := range res.Assignments {
		k := key{a.Gate, a.Start.Unix()}
		if slices.Contains(kept[k], a.CaseID) {
			continue
		}
		if a.Start.Before(earliest) {
			t.Fatalf("case %d placed at %v, before the lead time", a.CaseID, a.Start)
		}
		fresh[k] = append(fresh[k], a.CaseID)
		freshCases = append(freshCases, a.CaseID)
		placedAt[a.CaseID] = k
	}
	for _, s := range res.Standby {
		if s.Reason == ReasonNoCapacity {
			freshCases = append(freshCases, s.CaseID)
		}
	}
	var wantCalled []int64
	for _, a := range res.Assignments {
		if _, had := prevOf[a.CaseID]; !had && !byID[a.CaseID].CheckedIn {
			wantCalled = append(wantCalled, a.CaseID)
		}
	}
	slices.SortFunc(wantCalled, func(a, b int64) int { return rank[a] - rank[b] })
	if !slices.Equal(wantCalled, res.Called) {
		t.Fatalf("Called = %v, want %v", res.Called, wantCalled)
	}
	before := func(a, b Slot) bool {
		return a.Start.Before(b.Start) || a.Start.Equal(b.Start) && gateOrder[a.Gate] < gateOrder[b.Gate]
	}
	for _, id := range freshCases {
		c := byID[id]
		k, isPlaced := placedAt[id]
		for sk, s := range slots {
			if s.Start.Before(earliest) || !allowed(c, s.Gate) || sk == k {
				continue
			}
			if isPlaced && !before(s, slots[k]) {
				continue
			}
			used := 0
			for _, kid := range kept[sk] {
				used += byID[kid].Size
			}
			for _, fid := range fresh[sk] {
				if rank[fid] < rank[id] {
					used += byID[fid].Size
				}
			}
			if used+c.Size <= s.Capacity {
				t.Fatalf("case %d (rank %d, %d people) placed at %v but fitted earlier in %s %v (%d used of %d)",
					id, rank[id], c.Size, k, s.Gate, s.Start, used, s.Capacity)
			}
		}
	}
}

// randomInstance makes gates and cases with the awkward parts that break
// planners: zero capacity, closures, families larger than windows, holds,
// gate restrictions, equal ranks.
func randomInstance(r *rand.Rand, n int) ([]Gate, []Case) {
	ng := 1 + r.IntN(4)
	var gates []Gate
	for i := range ng {
		g := Gate{
			Name:     fmt.Sprintf("G%d", i),
			Window:   time.Duration(15+15*r.IntN(3)) * time.Minute,
			Capacity: r.IntN(40),
		}
		start := time.Duration(r.IntN(4)) * time.Hour
		g.Hours = []Span{span(start, start+time.Duration(1+r.IntN(6))*time.Hour)}
		if r.IntN(4) == 0 {
			at := time.Duration(r.IntN(6*60)) * time.Minute
			g.Closures = []Span{span(at, at+time.Duration(r.IntN(120))*time.Minute)}
		}
		gates = append(gates, g)
	}
	cats := muster.DefaultCategories
	cases := make([]Case, n)
	for i := range cases {
		c := Case{
			ID:            int64(i + 1),
			Size:          1 + r.IntN(12),
			Category:      cats[r.IntN(len(cats))],
			Vulnerability: r.IntN(3),
			Registered:    reg.Add(time.Duration(r.IntN(50)) * time.Hour),
			Cleared:       r.IntN(10) != 0,
			Hit:           r.IntN(15) == 0,
			NoShows:       r.IntN(2),
		}
		c.ConfirmedMatch = r.IntN(40) == 0
		if r.IntN(5) == 0 {
			c.Gates = []string{gates[r.IntN(ng)].Name}
		}
		cases[i] = c
	}
	return gates, cases
}

func TestPlanProperties(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 50
	}
	for seed := range runs {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		gates, cases := randomInstance(r, 1+r.IntN(200))
		cfg := Config{Weights: DefaultWeights(), Lead: time.Duration(r.IntN(3)) * 30 * time.Minute, MaxNoShows: r.IntN(3)}
		now := t0.Add(time.Duration(r.IntN(60)) * time.Minute)
		first := Plan(cfg, gates, cases, now)
		t.Run(fmt.Sprintf("seed%d/plan", seed), func(t *testing.T) {
			checkPlan(t, cfg, gates, cases, nil, now, first)
		})

		// The world changes: a gate closes or shrinks, time passes, some
		// check in, some get a hit, some are cleared, some withdraw.
		gates2 := slices.Clone(gates)
		g := r.IntN(len(gates2))
		switch r.IntN(3) {
		case 0:
			gates2[g].Closed = true
		case 1:
			gates2[g].Capacity = r.IntN(gates2[g].Capacity + 1)
		case 2:
			at := now.Sub(t0) + time.Duration(r.IntN(180))*time.Minute
			gates2[g].Closures = append(slices.Clone(gates2[g].Closures), span(at, at+time.Hour))
		}
		later := now.Add(time.Duration(r.IntN(120)) * time.Minute)
		var cases2 []Case
		assigned := map[int64]Assignment{}
		for _, a := range first.Assignments {
			assigned[a.CaseID] = a
		}
		for _, c := range cases {
			switch x := r.IntN(20); {
			case x == 0:
				continue // withdrawn
			case x < 3:
				c.Hit = true
			case x < 5:
				c.Cleared, c.Hit = true, false
			case x < 12:
				// Checked in if their window has started by now.
				if a, ok := assigned[c.ID]; ok && !a.Start.After(later) {
					c.CheckedIn = true
				}
			}
			cases2 = append(cases2, c)
		}
		// Check-ins happened before the capacity changed: keep the check
		// meaningful by not shrinking a window below its checked-in people.
		checkedIn := map[int64]bool{}
		for _, c := range cases2 {
			if c.CheckedIn {
				checkedIn[c.ID] = true
			}
		}
		for _, a := range first.Assignments {
			if checkedIn[a.CaseID] && a.Gate == gates2[g].Name {
				gates2[g].Capacity = max(gates2[g].Capacity, gates[g].Capacity)
			}
		}
		re := Replan(cfg, gates2, cases2, first.Assignments, later)
		t.Run(fmt.Sprintf("seed%d/replan", seed), func(t *testing.T) {
			checkPlan(t, cfg, gates2, cases2, first.Assignments, later, re)
		})
	}
}

// TestPlanPriorityUniform: with families of one, windows fill strictly in
// rank order.
func TestPlanPriorityUniform(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gates, cases := randomInstance(r, 500)
	for i := range cases {
		cases[i].Size, cases[i].Gates, cases[i].Cleared, cases[i].Hit, cases[i].ConfirmedMatch = 1, nil, true, false, false
	}
	for i := range gates {
		gates[i].Capacity = 1 + r.IntN(20)
	}
	cfg := Config{Weights: DefaultWeights()}
	res := Plan(cfg, gates, cases, t0)
	start := map[int64]time.Time{}
	for _, a := range res.Assignments {
		start[a.CaseID] = a.Start
	}
	var last time.Time
	standby := false
	for _, c := range Rank(cfg.Weights, cases) {
		s, ok := start[c.ID]
		if !ok {
			standby = true
			continue
		}
		if standby || s.Before(last) {
			t.Fatalf("case %d at %v after a lower-ranked one at %v (standby before: %v)", c.ID, s, last, standby)
		}
		last = s
	}
}

// bigInstance is the benchmark's operation: 10 gates, 150 people per 30
// minutes, 12 hours a day for 30 days, and n cases of 1 to 9 people.
func bigInstance(n int) ([]Gate, []Case) {
	r := rand.New(rand.NewPCG(42, 42))
	var gates []Gate
	for i := range 10 {
		gates = append(gates, Gate{Name: fmt.Sprintf("GATE-%d", i), Window: 30 * time.Minute, Capacity: 150,
			Hours: Daily(t0, 30, 6*time.Hour, 18*time.Hour, time.UTC)})
	}
	cats := muster.DefaultCategories
	cases := make([]Case, n)
	for i := range cases {
		cases[i] = Case{
			ID: int64(i + 1), Size: 1 + r.IntN(9), Category: cats[r.IntN(len(cats))],
			Vulnerability: r.IntN(3), Registered: reg.Add(time.Duration(r.IntN(1e6)) * time.Second),
			Cleared: r.IntN(50) != 0,
		}
		if r.IntN(10) == 0 {
			cases[i].Gates = []string{gates[r.IntN(10)].Name}
		}
	}
	return gates, cases
}

func BenchmarkPlan100k(b *testing.B) {
	gates, cases := bigInstance(100_000)
	cfg := Config{Weights: DefaultWeights(), Lead: time.Hour}
	var res *Result
	cpu0 := cpuTime()
	for b.Loop() {
		res = Plan(cfg, gates, cases, t0)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(res.Assignments)), "assigned")
	b.ReportMetric(float64(len(res.Standby)), "standby")
}

func BenchmarkPlanReplan100k(b *testing.B) {
	gates, cases := bigInstance(100_000)
	cfg := Config{Weights: DefaultWeights(), Lead: time.Hour}
	first := Plan(cfg, gates, cases, t0)
	gates[3].Closed = true
	var res *Result
	cpu0 := cpuTime()
	for b.Loop() {
		res = Replan(cfg, gates, cases, first.Assignments, t0.Add(time.Hour))
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(res.Moved)), "moved")
}

// TestPlan100kInvariants runs the benchmark's instance once through the
// property checks (slow: skipped with -short).
func TestPlan100kInvariants(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	gates, cases := bigInstance(20_000)
	cfg := Config{Weights: DefaultWeights(), Lead: time.Hour}
	res := Plan(cfg, gates, cases, t0)
	over := 0
	for _, s := range res.Slots {
		if s.Booked > s.Capacity {
			over++
		}
	}
	if over > 0 {
		t.Fatalf("%d overbooked windows", over)
	}
}

package schedule

import (
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"muster"
)

var (
	t0  = time.Date(2021, 8, 20, 6, 0, 0, 0, time.UTC)
	reg = time.Date(2021, 8, 15, 0, 0, 0, 0, time.UTC)
)

func gate(name string, capacity int, hours ...Span) Gate {
	return Gate{Name: name, Hours: hours, Window: 30 * time.Minute, Capacity: capacity}
}

func span(from, to time.Duration) Span { return Span{t0.Add(from), t0.Add(to)} }

func cleared(id int64, size int, cat muster.Category, vuln int, regOffset time.Duration) Case {
	return Case{ID: id, Size: size, Category: cat, Vulnerability: vuln, Registered: reg.Add(regOffset), Cleared: true}
}

func asg(id int64, g string, start time.Duration, people int) Assignment {
	return Assignment{CaseID: id, Gate: g, Start: t0.Add(start), End: t0.Add(start + 30*time.Minute), People: people}
}

const (
	cit = muster.CategoryCitizen
	siv = muster.CategorySIVApplicant
	oar = muster.CategoryOtherAtRisk
)

func TestPlanSmall(t *testing.T) {
	gates := []Gate{gate("ABBEY", 10, span(0, time.Hour)), gate("NORTH", 6, span(30*time.Minute, time.Hour))}
	cases := []Case{
		cleared(1, 4, oar, 0, 0),
		cleared(2, 6, cit, 0, time.Hour),
		cleared(3, 5, siv, 0, 0),
		cleared(4, 3, siv, 0, time.Minute), // same rank as 3 but registered later
		cleared(5, 7, oar, 2, 0),           // vulnerability lifts it above SIV applicants (10 points)
		cleared(6, 11, cit, 0, 0),          // no window is that large
		cleared(7, 2, oar, 0, time.Hour),
		{ID: 8, Size: 2, Category: cit, Registered: reg, Cleared: true, Hit: true},
		{ID: 9, Size: 2, Category: cit, Registered: reg, Cleared: true, ConfirmedMatch: true},
		{ID: 10, Size: 2, Category: cit, Registered: reg},
		cleared(11, 1, oar, 0, 2*time.Hour),
		cleared(12, 3, oar, 0, 3*time.Hour),
	}
	got := Plan(Config{Weights: DefaultWeights()}, gates, cases, t0)
	// Rank: 6 and 2 (citizens, 70), 3 and 4 (SIV, 40), 5 (other at risk
	// with 2 vulnerability points, 20+10), then 1, 7, 11, 12 (other at risk).
	want := &Result{
		Assignments: []Assignment{
			asg(2, "ABBEY", 0, 6),
			asg(4, "ABBEY", 0, 3),  // 3's five do not fit the 4 left; 4's three do
			asg(11, "ABBEY", 0, 1), // the last seat
			asg(3, "ABBEY", 30*time.Minute, 5),
			asg(1, "ABBEY", 30*time.Minute, 4),
			asg(7, "NORTH", 30*time.Minute, 2),
			asg(12, "NORTH", 30*time.Minute, 3),
		},
		Standby: []Standby{{6, ReasonTooLarge}, {5, ReasonNoCapacity}},
		Held:    []Held{{8, ReasonScreeningHit}, {9, ReasonConfirmedMatch}, {10, ReasonNotScreened}},
		Called:  []int64{2, 3, 4, 1, 7, 11, 12},
		Slots: []Slot{
			{"ABBEY", t0, t0.Add(30 * time.Minute), 10, 10},
			{"ABBEY", t0.Add(30 * time.Minute), t0.Add(time.Hour), 10, 9},
			{"NORTH", t0.Add(30 * time.Minute), t0.Add(time.Hour), 6, 5},
		},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("Plan (-want +got):\n%s", diff)
	}
	checkPlan(t, Config{Weights: DefaultWeights()}, gates, cases, nil, t0, got)

	// A gate closes for a threat: only NORTH's cases move, to standby as
	// ABBEY has no room for them.
	gates[1].Closed = true
	re := Replan(Config{Weights: DefaultWeights()}, gates, cases, got.Assignments, t0.Add(10*time.Minute))
	wantMoved := []Move{
		{CaseID: 7, From: asg(7, "NORTH", 30*time.Minute, 2), Reason: ReasonGateClosed},
		{CaseID: 12, From: asg(12, "NORTH", 30*time.Minute, 3), Reason: ReasonGateClosed},
	}
	if diff := gocmp.Diff(wantMoved, re.Moved); diff != "" {
		t.Errorf("Replan moved (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff(want.Assignments[:5], re.Assignments); diff != "" {
		t.Errorf("Replan kept (-want +got):\n%s", diff)
	}
	checkPlan(t, Config{Weights: DefaultWeights()}, gates, cases, got.Assignments, t0.Add(10*time.Minute), re)
}

func TestPlanRank(t *testing.T) {
	w := Weights{Category: map[muster.Category]int{cit: 100, siv: 50}, Vulnerability: 30}
	cases := []Case{
		{ID: 1, Category: oar, Registered: reg},
		{ID: 2, Category: siv, Registered: reg.Add(time.Hour)},
		{ID: 3, Category: siv, Registered: reg},
		{ID: 4, Category: oar, Vulnerability: 2, Registered: reg.Add(time.Hour)}, // 60 > SIV's 50
		{ID: 5, Category: cit, Registered: reg.Add(time.Hour)},
		{ID: 6, Category: siv, Registered: reg},
		{ID: 7, Category: "unknown", Registered: reg.Add(-time.Hour)},
	}
	var got []int64
	for _, c := range Rank(w, cases) {
		got = append(got, c.ID)
	}
	if diff := gocmp.Diff([]int64{5, 4, 3, 6, 2, 7, 1}, got); diff != "" {
		t.Errorf("Rank (-want +got):\n%s", diff)
	}
}

func TestPlanNoShowsAndHolds(t *testing.T) {
	gates := []Gate{gate("ABBEY", 10, span(0, 2*time.Hour))}
	cases := []Case{
		cleared(1, 4, cit, 0, 0),
		cleared(2, 4, cit, 0, time.Minute),
		cleared(3, 4, cit, 0, 2*time.Minute),
		cleared(4, 2, cit, 0, 3*time.Minute),
	}
	cfg := Config{Weights: DefaultWeights(), MaxNoShows: 2}
	first := Plan(cfg, gates, cases, t0)
	// 1 and 2 at 06:00, 3 at 06:30 (4 + 4 + 4 > 10), 4 at 06:00.
	// At 06:40, case 1 has checked in, case 2 never came, case 4 came; case 3
	// got a screening hit; a fifth case was approved.
	cases[0].CheckedIn = true
	cases[3].CheckedIn = true
	cases[2].Hit = true
	cases = append(cases, cleared(5, 3, siv, 0, 0))
	now := t0.Add(40 * time.Minute)
	re := Replan(cfg, gates, cases, first.Assignments, now)
	wantMoved := []Move{
		{CaseID: 2, From: asg(2, "ABBEY", 0, 4), To: ptr(asg(2, "ABBEY", time.Hour, 4)), Reason: ReasonNoShow},
		{CaseID: 3, From: asg(3, "ABBEY", 30*time.Minute, 4), Reason: ReasonScreeningHit},
	}
	if diff := gocmp.Diff(wantMoved, re.Moved); diff != "" {
		t.Errorf("moved (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff([]int64{2}, re.NoShows); diff != "" {
		t.Errorf("no-shows (-want +got):\n%s", diff)
	}
	if diff := gocmp.Diff([]Held{{3, ReasonScreeningHit}}, re.Held); diff != "" {
		t.Errorf("held (-want +got):\n%s", diff)
	}
	// The new SIV case goes to the window after now: 06:30 is running but
	// its start has passed, so the next is 07:00, after the no-show who
	// ranks higher.
	var five Assignment
	for _, a := range re.Assignments {
		if a.CaseID == 5 {
			five = a
		}
	}
	if five.Start != t0.Add(time.Hour) {
		t.Errorf("case 5 at %v", five)
	}
	// A second no-show reaches MaxNoShows: standby for a coordinator.
	cases[1].NoShows = 1
	again := Replan(cfg, gates, cases, re.Assignments, t0.Add(95*time.Minute))
	if !slices.Contains(again.Standby, Standby{2, ReasonNoShowLimit}) {
		t.Errorf("standby = %+v", again.Standby)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPlanCapacityReduced(t *testing.T) {
	gates := []Gate{gate("ABBEY", 10, span(0, time.Hour))}
	cases := []Case{cleared(1, 4, oar, 0, 0), cleared(2, 4, cit, 0, 0), cleared(3, 2, siv, 0, 0)}
	first := Plan(Config{Weights: DefaultWeights()}, gates, cases, t0)
	gates[0].Capacity = 7
	re := Replan(Config{Weights: DefaultWeights()}, gates, cases, first.Assignments, t0.Add(time.Minute))
	// 2 (citizen) and 3 (SIV) keep 06:00 (6 of 7); 1 is moved to 06:30.
	want := []Move{{CaseID: 1, From: asg(1, "ABBEY", 0, 4), To: ptr(asg(1, "ABBEY", 30*time.Minute, 4)), Reason: ReasonCapacityReduced}}
	if diff := gocmp.Diff(want, re.Moved); diff != "" {
		t.Errorf("moved (-want +got):\n%s", diff)
	}
	checkPlan(t, Config{Weights: DefaultWeights()}, gates, cases, first.Assignments, t0.Add(time.Minute), re)
}

func TestPlanGateRestrictionsAndLead(t *testing.T) {
	gates := []Gate{gate("ABBEY", 10, span(0, 2*time.Hour)), gate("BARON", 10, span(0, 2*time.Hour))}
	c := cleared(1, 2, cit, 0, 0)
	c.Gates = []string{"BARON"}
	cfg := Config{Weights: DefaultWeights(), Lead: 45 * time.Minute}
	got := Plan(cfg, gates, []Case{c}, t0)
	if diff := gocmp.Diff([]Assignment{asg(1, "BARON", time.Hour, 2)}, got.Assignments); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The case may no longer use BARON: moved to ABBEY.
	c.Gates = []string{"ABBEY"}
	re := Replan(cfg, gates, []Case{c}, got.Assignments, t0)
	if len(re.Moved) != 1 || re.Moved[0].Reason != ReasonGateNotAllowed || re.Moved[0].To.Gate != "ABBEY" {
		t.Errorf("moved %+v", re.Moved)
	}
	// Withdrawn cases leave the plan.
	re = Replan(cfg, gates, nil, got.Assignments, t0)
	if len(re.Moved) != 1 || re.Moved[0].Reason != ReasonWithdrawn || len(re.Assignments) != 0 {
		t.Errorf("withdrawn: %+v", re)
	}
}

func TestPlanClosures(t *testing.T) {
	g := gate("ABBEY", 5, span(0, 2*time.Hour))
	g.Closures = []Span{span(20*time.Minute, 50*time.Minute)} // 06:00 and 06:30 windows gone
	got := Plan(Config{}, []Gate{g}, []Case{cleared(1, 5, cit, 0, 0), cleared(2, 5, cit, 0, time.Second)}, t0)
	if diff := gocmp.Diff([]Assignment{asg(1, "ABBEY", time.Hour, 5), asg(2, "ABBEY", 90*time.Minute, 5)}, got.Assignments); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	days := Daily(t0, 2, 7*time.Hour, 9*time.Hour, time.UTC)
	if diff := gocmp.Diff([]Span{
		{time.Date(2021, 8, 20, 7, 0, 0, 0, time.UTC), time.Date(2021, 8, 20, 9, 0, 0, 0, time.UTC)},
		{time.Date(2021, 8, 21, 7, 0, 0, 0, time.UTC), time.Date(2021, 8, 21, 9, 0, 0, 0, time.UTC)},
	}, days); diff != "" {
		t.Errorf("Daily (-want +got):\n%s", diff)
	}
}

func TestPlanDuplicateGateNames(t *testing.T) {
	// A gate listed twice (a coordinator's copy and paste) must not open
	// its windows twice or book against the wrong ones.
	gates := []Gate{gate("ABBEY", 5, span(0, time.Hour)), gate("ABBEY", 5, span(0, time.Hour))}
	cases := []Case{cleared(1, 5, cit, 0, 0), cleared(2, 5, cit, 0, 1), cleared(3, 5, cit, 0, 2), cleared(4, 3, cit, 0, 3)}
	res := Plan(Config{}, gates, cases, t0)
	if len(res.Slots) != 2 || len(res.Assignments) != 2 {
		t.Errorf("slots %+v, assignments %+v", res.Slots, res.Assignments)
	}
	checkPlan(t, Config{}, gates, cases, nil, t0, res)
}

package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/pass"
	"muster/internal/schedule"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// clock is a settable test clock shared by stores opened on one database.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// mvStart is 04:30 in Kabul: the gates below open at 06:00 local.
var mvStart = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

func mvOpen(t testing.TB, dsn string, kek []byte, c *clock) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{KEK: kek, Now: c.Now, OperationName: "movement test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mvCase returns a case of n people with passports D<ref><i>.
func mvCase(ref string, n int, cat muster.Category) []muster.Record {
	var out []muster.Record
	for i := range n {
		rel := "child"
		if i == 0 {
			rel = "principal"
		}
		out = append(out, muster.Record{Source: "partner-a", SourceID: fmt.Sprintf("%s-%d", ref, i), CaseRef: ref, Relationship: rel,
			Given: fmt.Sprintf("Given%d", i), Family: "Family" + ref, Sex: muster.SexFemale,
			DOB:      muster.Date{Year: 1980 + 10*i, Month: 3, Day: 4, Precision: muster.PrecisionDay},
			Passport: fmt.Sprintf("D%s%02d", ref, i), Phones: []string{fmt.Sprintf("+93700%06d", i)}, Category: cat})
	}
	return out
}

// mvApproved imports cases of the given sizes and approves everyone; it
// returns the case ids in order.
func mvApproved(t testing.TB, s *store.Store, sizes ...int) []int64 {
	t.Helper()
	ctx := context.Background()
	var recs []muster.Record
	for i, n := range sizes {
		recs = append(recs, mvCase(fmt.Sprintf("K%03d", i), n, muster.CategorySIVApplicant)...)
	}
	if _, err := s.Import(ctx, "test", recs, nil); err != nil {
		t.Fatal(err)
	}
	ps, err := s.People(ctx, store.PeopleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var cases []int64
	for _, p := range ps {
		ids = append(ids, p.ID)
		if !slices.Contains(cases, p.CaseID) {
			cases = append(cases, p.CaseID)
		}
	}
	if _, err := s.SetStage(ctx, "test", store.Scope{}, ids, muster.StageApproved, "cleared"); err != nil {
		t.Fatal(err)
	}
	return cases
}

// rawDB opens the database directly, to set what other packages own
// (screening flags).
func mvRawDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if store.IsPostgres(dsn) {
		db, err = sql.Open("pgx", dsn)
	} else {
		db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func stages(t testing.TB, s *store.Store, caseID int64) []muster.Stage {
	t.Helper()
	ps, err := s.People(context.Background(), store.PeopleFilter{CaseID: caseID})
	if err != nil {
		t.Fatal(err)
	}
	var out []muster.Stage
	for _, p := range ps {
		out = append(out, p.Stage)
	}
	return out
}

func gateA() store.GateConfig {
	return store.GateConfig{Name: "Abbey", Open: 6 * time.Hour, Close: 8 * time.Hour, Window: 30 * time.Minute, Capacity: 5}
}

func TestPlanCallsCasesWithinCapacityAndHoldsFlagged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := &clock{t: mvStart}
		s := mvOpen(t, dsn, newKEK(t), c)
		if err := s.AddGate(ctx, "coord", gateA()); err != nil {
			t.Fatal(err)
		}
		if err := s.AddGate(ctx, "coord", gateA()); muster.ErrorCode(err) != muster.ECONFLICT {
			t.Errorf("second gate Abbey: err = %v, want conflict", err)
		}
		cases := mvApproved(t, s, 3, 2, 2, 4, 1)
		// The last case has an unresolved screening hit.
		if _, err := mvRawDB(t, dsn).ExecContext(ctx, `UPDATE persons SET flags = 'screen_hit' WHERE case_id = $1`, cases[4]); err != nil {
			t.Fatal(err)
		}
		res, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Calls) != 4 {
			t.Fatalf("calls = %d, want 4 (held: %+v standby: %+v)", len(res.Calls), res.Held, res.Standby)
		}
		if diff := cmp.Diff([]schedule.Held{{CaseID: cases[4], Reason: schedule.ReasonScreeningHit}}, res.Held); diff != "" {
			t.Errorf("held (-want +got):\n%s", diff)
		}
		slots, err := s.SlotBookings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, sl := range slots {
			if sl.Booked > sl.Capacity {
				t.Errorf("window %v booked %d > capacity %d", sl.Start, sl.Booked, sl.Capacity)
			}
			total += sl.Booked
		}
		if total != 11 {
			t.Errorf("booked %d people, want 11", total)
		}
		for _, id := range cases[:4] {
			for _, st := range stages(t, s, id) {
				if st != muster.StageCalled {
					t.Errorf("case %d: stage %s, want called", id, st)
				}
			}
		}
		if got := stages(t, s, cases[4]); got[0] != muster.StageApproved {
			t.Errorf("flagged case moved to %s", got[0])
		}
		// Each pass verifies at its gate in its window and binds the case's passports.
		b, err := s.PassBundle(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range cases[:4] {
			cf, err := s.CallForwardOf(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			cl, err := b.Verify(cf.Token, pass.Check{Gate: "Abbey", Now: cf.Start.Add(time.Minute)})
			if err != nil {
				t.Fatalf("case %d pass: %v", id, err)
			}
			if cl.CaseID != id || len(cl.People) != []int{3, 2, 2, 4}[i] {
				t.Errorf("case %d pass claims %+v", id, cl)
			}
			if _, err := b.Admit(cl, fmt.Sprintf("D%s%02d", fmt.Sprintf("K%03d", i), 1), nil); err != nil {
				t.Errorf("case %d: second passport not admitted: %v", id, err)
			}
			if _, err := b.Admit(cl, "X0000000", nil); pass.ReasonOf(err) != pass.ReasonNotOnPass {
				t.Errorf("case %d: stranger's passport: %v", id, err)
			}
		}
		// Planning again changes nothing.
		again, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(again.Calls) != 0 || len(again.Moved) != 0 {
			t.Errorf("second plan: calls %d moved %+v", len(again.Calls), again.Moved)
		}
		checkReplay(t, s)
	})
}

// checkReplay proves the stage counts agree with the event log.
func checkReplay(t testing.TB, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	replayed, err := s.ReplayStages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	projected, err := s.ProjectedStages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(projected, replayed); diff != "" {
		t.Errorf("stages differ from the event log (-persons +events):\n%s", diff)
	}
	if _, err := s.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}

func TestPlanConcurrentPlannersNeverOverbook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := &clock{t: mvStart}
		kek := newKEK(t)
		s1 := mvOpen(t, dsn, kek, c)
		s2 := mvOpen(t, dsn, kek, c)
		g := gateA()
		g.Close = 7 * time.Hour // two windows of 5: 10 places for 14 people
		if err := s1.AddGate(ctx, "coord", g); err != nil {
			t.Fatal(err)
		}
		mvApproved(t, s1, 3, 2, 3, 2, 2, 2, 2)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*store.Store{s1, s2} {
			wg.Go(func() {
				_, errs[i] = s.Plan(ctx, fmt.Sprint("planner", i), store.PlanOptions{Days: 1})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && muster.ErrorCode(err) != muster.ECONFLICT {
				t.Errorf("plan: %v", err)
			}
		}
		slots, err := s1.SlotBookings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		booked := 0
		for _, sl := range slots {
			if sl.Booked > sl.Capacity {
				t.Errorf("window %v overbooked: %d > %d", sl.Start, sl.Booked, sl.Capacity)
			}
			booked += sl.Booked
		}
		cfs, err := s1.CallForwards(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		people := 0
		for _, cf := range cfs {
			people += cf.People
		}
		if booked != people || booked != 10 {
			t.Errorf("windows hold %d, calls %d people; want 10 and 10", booked, people)
		}
		checkReplay(t, s1)
	})
}

func TestPlanGateClosedMovesCasesAndRevokesPasses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := &clock{t: mvStart}
		s := mvOpen(t, dsn, newKEK(t), c)
		if err := s.AddGate(ctx, "coord", gateA()); err != nil {
			t.Fatal(err)
		}
		cases := mvApproved(t, s, 2, 3)
		if _, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1}); err != nil {
			t.Fatal(err)
		}
		old, err := s.CallForwardOf(ctx, cases[0])
		if err != nil {
			t.Fatal(err)
		}
		b := store.GateConfig{Name: "North", Open: 6 * time.Hour, Close: 8 * time.Hour, Window: 30 * time.Minute, Capacity: 10}
		if err := s.AddGate(ctx, "coord", b); err != nil {
			t.Fatal(err)
		}
		if err := s.SetGateClosed(ctx, "coord", "Abbey", true); err != nil {
			t.Fatal(err)
		}
		res, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Moved) != 2 || len(res.Calls) != 2 {
			t.Fatalf("moved %+v calls %+v", res.Moved, res.Calls)
		}
		for _, call := range res.Calls {
			if call.Gate != "North" {
				t.Errorf("case %d moved to %s", call.CaseID, call.Gate)
			}
		}
		snap, err := s.GateSnapshot(ctx, "Abbey")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(snap.Revoked, store.PassIDString(old.PassID)) || !snap.Closed || len(snap.Passes) != 0 {
			t.Errorf("Abbey snapshot: closed %v, revoked %v, passes %d", snap.Closed, snap.Revoked, len(snap.Passes))
		}
		slots, _ := s.SlotBookings(ctx)
		for _, sl := range slots {
			if sl.Gate == "Abbey" && sl.Booked != 0 {
				t.Errorf("closed gate window %v still holds %d", sl.Start, sl.Booked)
			}
		}
		// Revoking the new pass sends the case back to approved.
		cf, err := s.CallForwardOf(ctx, cases[1])
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokePass(ctx, "coord", cf.PassID, "forwarded on social media"); err != nil {
			t.Fatal(err)
		}
		if got := stages(t, s, cases[1]); got[0] != muster.StageApproved {
			t.Errorf("after revocation stage %s", got[0])
		}
		if err := s.RevokePass(ctx, "coord", 12345, ""); muster.ErrorCode(err) != muster.ENOTFOUND {
			t.Errorf("revoke unknown pass: %v", err)
		}
		checkReplay(t, s)
	})
}

func newEventID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func TestGateSyncIsIdempotentAndFlagsDoubleAdmission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := &clock{t: mvStart}
		s := mvOpen(t, dsn, newKEK(t), c)
		if err := s.AddGate(ctx, "coord", gateA()); err != nil {
			t.Fatal(err)
		}
		if err := s.AddGate(ctx, "coord", store.GateConfig{Name: "North", Open: 6 * time.Hour, Close: 8 * time.Hour, Window: 30 * time.Minute, Capacity: 10}); err != nil {
			t.Fatal(err)
		}
		cases := mvApproved(t, s, 3)
		if _, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.NewGateToken(ctx, "coord", "Abbey")
		if err != nil {
			t.Fatal(err)
		}
		if g, err := s.GateOfToken(ctx, tok); err != nil || g != "Abbey" {
			t.Fatalf("token gate = %q, %v", g, err)
		}
		if _, err := s.NewGateToken(ctx, "coord", "Nowhere"); muster.ErrorCode(err) != muster.ENOTFOUND {
			t.Errorf("token for unknown gate: %v", err)
		}
		snap, err := s.GateSnapshot(ctx, "Abbey")
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Passes) != 1 || len(snap.Passes[0].People) != 3 || snap.Passes[0].CaseID != cases[0] {
			t.Fatalf("snapshot passes %+v", snap.Passes)
		}
		p := snap.Passes[0]
		if p.People[0].Summary != "G. F., F, 1980, principal" {
			t.Errorf("summary %q", p.People[0].Summary)
		}
		batch := []store.CheckIn{
			{EventID: newEventID(), PersonID: p.People[0].PersonID, PassID: p.PassID, Method: "mrz", At: c.Now()},
			{EventID: newEventID(), PersonID: p.People[1].PersonID, PassID: p.PassID, Method: "mrz", At: c.Now()},
		}
		for range 3 { // a gate that never heard the answer sends again
			res, err := s.RecordCheckIns(ctx, "Abbey", batch)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Accepted) != 2 || len(res.Rejected) != 0 || len(res.Duplicates) != 0 {
				t.Errorf("sync result %+v", res)
			}
		}
		st, err := s.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if st.ByStage[muster.StageCheckedIn] != 2 || st.ByStage[muster.StageCalled] != 1 {
			t.Errorf("by stage %v", st.ByStage)
		}
		// Another gate admits person 0 again: kept, both marked duplicate.
		dup := store.CheckIn{EventID: newEventID(), PersonID: p.People[0].PersonID, PassID: p.PassID, Method: "typed", At: c.Now()}
		res, err := s.RecordCheckIns(ctx, "North", []store.CheckIn{dup, {EventID: newEventID(), PersonID: 99999, PassID: p.PassID}, {EventID: "nope", PassID: p.PassID}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Accepted) != 1 || res.Accepted[0] != dup.EventID || len(res.Duplicates) != 1 || len(res.Rejected) != 2 || res.Rejected["nope"] != "bad event id" {
			t.Errorf("second gate result %+v", res)
		}
		cis, err := s.CheckIns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		dups := 0
		for _, ci := range cis {
			if ci.Duplicate {
				dups++
			}
		}
		if len(cis) != 3 || dups != 2 {
			t.Errorf("check-ins %d (duplicates %d), want 3 (2)", len(cis), dups)
		}
		evs, err := s.Events(ctx, store.EventFilter{Type: muster.EventCheckIn})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 3 || evs[0].ID != batch[0].EventID {
			t.Errorf("%d check-in events, first id %s", len(evs), evs[0].ID)
		}
		if n, err := s.RevokeGateTokens(ctx, "coord", "Abbey"); err != nil || n != 1 {
			t.Errorf("revoke tokens = %d, %v", n, err)
		}
		if _, err := s.GateOfToken(ctx, tok); muster.ErrorCode(err) != muster.EUNAUTHORIZED {
			t.Errorf("revoked token: %v", err)
		}
		checkReplay(t, s)
	})
}

func TestManifestBoardDepartArrive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := &clock{t: mvStart}
		s := mvOpen(t, dsn, newKEK(t), c)
		if err := s.AddGate(ctx, "coord", store.GateConfig{Name: "Abbey", Open: 6 * time.Hour, Close: 8 * time.Hour, Window: 30 * time.Minute, Capacity: 20}); err != nil {
			t.Fatal(err)
		}
		cases := mvApproved(t, s, 3, 2, 2)
		if _, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1}); err != nil {
			t.Fatal(err)
		}
		snap, err := s.GateSnapshot(ctx, "Abbey")
		if err != nil {
			t.Fatal(err)
		}
		var batch []store.CheckIn
		for _, p := range snap.Passes {
			for _, per := range p.People {
				batch = append(batch, store.CheckIn{EventID: newEventID(), PersonID: per.PersonID, PassID: p.PassID, Method: "mrz", At: c.Now()})
			}
		}
		if _, err := s.RecordCheckIns(ctx, "Abbey", batch); err != nil {
			t.Fatal(err)
		}
		if err := s.AddFlight(ctx, "coord", store.Flight{ID: "RCH871", Capacity: 4, Departs: mvStart.Add(10 * time.Hour), Destination: "DOH"}); err != nil {
			t.Fatal(err)
		}
		m, err := s.BuildManifest(ctx, "coord", "RCH871")
		if err != nil {
			t.Fatal(err)
		}
		// 3 + 2 + 2 people, 4 seats: the family of three and nobody split.
		if m.Added != 3 || len(m.Seats) != 3 || len(m.Waiting) != 2 {
			t.Fatalf("manifest added %d seats %d waiting %+v", m.Added, len(m.Seats), m.Waiting)
		}
		for _, st := range m.Seats {
			if st.CaseID != cases[0] {
				t.Errorf("seat for case %d", st.CaseID)
			}
		}
		if m.Seats[0].Name != "Given0 FamilyK000" || m.Seats[0].Document != "DK00000" {
			t.Errorf("seat 0 = %+v", m.Seats[0])
		}
		if _, err := s.Board(ctx, "crew", "RCH871", []int64{m.Seats[0].PersonID, m.Seats[1].PersonID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Board(ctx, "crew", "RCH871", []int64{snap.Passes[1].People[0].PersonID}); muster.ErrorCode(err) != muster.ENOTFOUND {
			t.Errorf("boarding someone not manifested: %v", err)
		}
		ids, err := s.PersonByDocument(ctx, "dk000-02")
		if err != nil || len(ids) != 1 {
			t.Fatalf("by document: %v %v", ids, err)
		}
		if _, err := s.Board(ctx, "crew", "RCH871", ids); err != nil {
			t.Fatal(err)
		}
		// The second flight takes the other two families.
		if err := s.AddFlight(ctx, "coord", store.Flight{ID: "RCH872", Capacity: 10, Departs: mvStart.Add(12 * time.Hour), Destination: "RMS"}); err != nil {
			t.Fatal(err)
		}
		m2, err := s.BuildManifest(ctx, "coord", "RCH872")
		if err != nil {
			t.Fatal(err)
		}
		if m2.Added != 4 {
			t.Errorf("second flight seated %d", m2.Added)
		}
		dep, err := s.Depart(ctx, "coord", "RCH871")
		if err != nil {
			t.Fatal(err)
		}
		if dep.Departed != 3 || len(dep.NotBoard) != 0 {
			t.Errorf("depart %+v", dep)
		}
		if _, err := s.BuildManifest(ctx, "coord", "RCH871"); muster.ErrorCode(err) != muster.ECONFLICT {
			t.Errorf("manifest after departure: %v", err)
		}
		rec, err := s.Arrive(ctx, "coord", "RCH871", []store.ArrivalLine{
			{Line: 2, PersonID: m.Seats[0].PersonID},
			{Line: 3, Document: "DK00001"},
			{Line: 4, Document: "ZZ999999", Name: "someone else"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := &store.Reconciliation{FlightID: "RCH871", Arrived: []int64{m.Seats[0].PersonID, m.Seats[1].PersonID},
			Missing: []int64{m.Seats[2].PersonID}, Extra: []store.ArrivalLine{{Line: 4, Document: "ZZ999999", Name: "someone else"}}}
		if diff := cmp.Diff(want, rec); diff != "" {
			t.Errorf("reconciliation (-want +got):\n%s", diff)
		}
		st, err := s.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		wantStages := map[muster.Stage]int{muster.StageArrived: 2, muster.StageDeparted: 1, muster.StageManifested: 4}
		if diff := cmp.Diff(wantStages, st.ByStage); diff != "" {
			t.Errorf("stages (-want +got):\n%s", diff)
		}
		checkReplay(t, s)
	})
}

func TestPlanFollowsCaseChangesNoShowsAndCheckedInCases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := &clock{t: mvStart}
		s := mvOpen(t, dsn, newKEK(t), c)
		g := gateA()
		g.Capacity = 10
		if err := s.AddGate(ctx, "coord", g); err != nil {
			t.Fatal(err)
		}
		cases := mvApproved(t, s, 2, 2, 3)
		if _, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1}); err != nil {
			t.Fatal(err)
		}
		old0, _ := s.CallForwardOf(ctx, cases[0])
		// Case 0 gains a member; case 1 is withdrawn; case 2 goes through its gate.
		extra := mvCase("K000", 3, muster.CategorySIVApplicant)[2]
		if _, err := s.Import(ctx, "test", []muster.Record{extra}, nil); err != nil {
			t.Fatal(err)
		}
		ps, _ := s.People(ctx, store.PeopleFilter{CaseID: cases[0]})
		if _, err := s.SetStage(ctx, "test", store.Scope{}, []int64{ps[2].ID}, muster.StageApproved, ""); err != nil {
			t.Fatal(err)
		}
		ps1, _ := s.People(ctx, store.PeopleFilter{CaseID: cases[1]})
		if _, err := s.SetStage(ctx, "test", store.Scope{}, []int64{ps1[0].ID, ps1[1].ID}, muster.StageWithdrawn, "left by road"); err != nil {
			t.Fatal(err)
		}
		snap, _ := s.GateSnapshot(ctx, "Abbey")
		var batch []store.CheckIn
		for _, p := range snap.Passes {
			if p.CaseID == cases[2] {
				for _, per := range p.People {
					batch = append(batch, store.CheckIn{EventID: newEventID(), PersonID: per.PersonID, PassID: p.PassID, Method: "mrz", At: c.Now()})
				}
			}
		}
		if _, err := s.RecordCheckIns(ctx, "Abbey", batch); err != nil {
			t.Fatal(err)
		}
		res, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Calls) != 1 || res.Calls[0].CaseID != cases[0] || res.Calls[0].People != 3 {
			t.Fatalf("calls %+v", res.Calls)
		}
		if diff := cmp.Diff([]schedule.Move{{CaseID: cases[1], From: res.Moved[0].From, Reason: schedule.ReasonWithdrawn}}, res.Moved); diff != "" {
			t.Errorf("moved (-want +got):\n%s", diff)
		}
		snap, _ = s.GateSnapshot(ctx, "Abbey")
		if !slices.Contains(snap.Revoked, store.PassIDString(old0.PassID)) {
			t.Error("the pass issued before the case changed is not revoked")
		}
		slots, _ := s.SlotBookings(ctx)
		booked := 0
		for _, sl := range slots {
			booked += sl.Booked
		}
		if booked != 6 { // case 0 (3) and case 2 (3, checked in)
			t.Errorf("windows hold %d people, want 6", booked)
		}
		// Case 0 misses its window: a no-show, called again.
		cf0, _ := s.CallForwardOf(ctx, cases[0])
		c.Set(cf0.End.Add(time.Minute))
		res, err = s.Plan(ctx, "coord", store.PlanOptions{Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int64{cases[0]}, res.NoShows); diff != "" {
			t.Errorf("no-shows (-want +got):\n%s", diff)
		}
		again, err := s.CallForwardOf(ctx, cases[0])
		if err != nil {
			t.Fatal(err)
		}
		if again.NoShows != 1 || !again.Start.After(cf0.Start) {
			t.Errorf("after the no-show: %+v", again)
		}
		// With a limit of one missed window, the next miss sends it to standby.
		c.Set(again.End.Add(time.Minute))
		res, err = s.Plan(ctx, "coord", store.PlanOptions{Days: 1, MaxNoShows: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := stages(t, s, cases[0]); got[0] != muster.StageNoShow {
			t.Errorf("after two missed windows: %s (standby %+v)", got[0], res.Standby)
		}
		if got := stages(t, s, cases[2]); got[0] != muster.StageCheckedIn {
			t.Errorf("checked-in case moved to %s", got[0])
		}
		checkReplay(t, s)
	})
}

// BenchmarkPlanStore plans 5,000 approved cases (10,000 people) through the
// store: load, schedule.Replan, book every window in SQL, issue and seal
// 5,000 signed passes, move 10,000 people to "called" with their events.
func BenchmarkPlanStore(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				c := &clock{t: mvStart}
				s := mvOpen(b, storetest.DSN(b, engine), newKEK(b), c)
				if err := s.AddGate(ctx, "c", store.GateConfig{Name: "Abbey", Open: 0, Close: 24 * time.Hour, Window: 30 * time.Minute, Capacity: 150}); err != nil {
					b.Fatal(err)
				}
				if err := s.AddGate(ctx, "c", store.GateConfig{Name: "North", Open: 0, Close: 24 * time.Hour, Window: 30 * time.Minute, Capacity: 150}); err != nil {
					b.Fatal(err)
				}
				sizes := make([]int, 5000)
				for i := range sizes {
					sizes[i] = 2
				}
				mvApproved(b, s, sizes...)
				b.StartTimer()
				res, err := s.Plan(ctx, "c", store.PlanOptions{Days: 3})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Calls) != 5000 {
					b.Fatalf("called %d", len(res.Calls))
				}
			}
		})
	}
}

// TestGateSyncConcurrentDoubleAdmissionFlagged: two servers on one
// database record, at the same moment, two gates admitting the same
// people: every admission is kept and every one is flagged.
func TestGateSyncConcurrentDoubleAdmissionFlagged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		c := &clock{t: mvStart}
		kek := newKEK(t)
		s1 := mvOpen(t, dsn, kek, c)
		s2 := mvOpen(t, dsn, kek, c)
		g := gateA()
		g.Capacity = 40
		if err := s1.AddGate(ctx, "coord", g); err != nil {
			t.Fatal(err)
		}
		mvApproved(t, s1, 2, 2, 2, 2, 2, 2, 2, 2)
		if _, err := s1.Plan(ctx, "coord", store.PlanOptions{Days: 1}); err != nil {
			t.Fatal(err)
		}
		snap, err := s1.GateSnapshot(ctx, "Abbey")
		if err != nil {
			t.Fatal(err)
		}
		var people int
		var wg sync.WaitGroup
		for _, p := range snap.Passes {
			for _, per := range p.People {
				people++
				for i, s := range []*store.Store{s1, s2} {
					wg.Go(func() {
						ci := store.CheckIn{EventID: newEventID(), PersonID: per.PersonID, PassID: p.PassID, Method: "mrz", At: c.Now()}
						if _, err := s.RecordCheckIns(ctx, fmt.Sprint("lane", i), []store.CheckIn{ci}); err != nil {
							t.Error(err)
						}
					})
				}
			}
		}
		wg.Wait()
		cis, err := s1.CheckIns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		flagged := 0
		for _, ci := range cis {
			if ci.Duplicate {
				flagged++
			}
		}
		if len(cis) != 2*people || flagged != 2*people {
			t.Errorf("%d admissions of %d people, %d flagged; want %d and %d", len(cis), people, flagged, 2*people, 2*people)
		}
		st, _ := s1.Status(ctx, store.Scope{})
		if st.ByStage[muster.StageCheckedIn] != people {
			t.Errorf("checked in %d, want %d", st.ByStage[muster.StageCheckedIn], people)
		}
		checkReplay(t, s1)
	})
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/schedule"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// weightCases are four families of two, one per case:
// A citizen adults; B SIV adults; C SIV with one person of 76 and one
// declared medical need (2 vulnerability points); D two refugee children
// travelling alone (unaccompanied minors: 2 points). Imported in this
// order, so registration time and id break ties A, B, C, D.
func weightCases() []muster.Record {
	day := func(y, m, d int) muster.Date {
		return muster.Date{Year: y, Month: m, Day: d, Precision: muster.PrecisionDay}
	}
	rec := func(fam string, i int, cat muster.Category, dob muster.Date, needs ...string) muster.Record {
		return muster.Record{Source: "partner-a", SourceID: fmt.Sprintf("%s-%d", fam, i), CaseRef: fam, Given: fmt.Sprintf("G%d", i), Family: fam,
			DOB: dob, Passport: fmt.Sprintf("W%s%d", fam, i), Category: cat, Needs: needs}
	}
	return []muster.Record{
		rec("A", 0, muster.CategoryCitizen, day(1980, 1, 2)), rec("A", 1, muster.CategoryCitizen, day(1985, 3, 4)),
		rec("B", 0, muster.CategorySIVApplicant, day(1980, 1, 2)), rec("B", 1, muster.CategorySIVApplicant, day(1982, 3, 4)),
		rec("C", 0, muster.CategorySIVApplicant, day(1950, 1, 1)), rec("C", 1, muster.CategorySIVApplicant, day(1985, 3, 4), "medical"),
		rec("D", 0, muster.CategoryRefugeeReferral, day(2012, 5, 5)), rec("D", 1, muster.CategoryRefugeeReferral, day(2015, 5, 5)),
	}
}

// TestPlanWeightsDriveOrder: the operation's weights (or the caller's)
// decide which case gets the earlier window; one case fits a window.
func TestPlanWeightsDriveOrder(t *testing.T) {
	tests := []struct {
		name     string
		cats     map[muster.Category]int
		vuln     *int
		explicit *schedule.Weights
		want     string
	}{
		// citizen 70, SIV 40, refugee 30; 5 a point: A 70, C 50, B 40, D 40.
		{name: "category order", want: "ACBD"},
		{name: "SIV first", cats: map[muster.Category]int{muster.CategorySIVApplicant: 100}, want: "CBAD"},
		{name: "no vulnerability", cats: map[muster.Category]int{muster.CategoryRefugeeReferral: 80}, vuln: ptr(0), want: "DABC"},
		{name: "vulnerability first", vuln: ptr(50), want: "CDAB"},
		{name: "caller's weights win", cats: map[muster.Category]int{muster.CategorySIVApplicant: 100},
			explicit: &schedule.Weights{Category: map[muster.Category]int{muster.CategoryRefugeeReferral: 1}}, want: "DABC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, dsn string) {
				ctx := context.Background()
				s := mvOpen(t, dsn, newKEK(t), &clock{t: mvStart})
				if err := s.AddGate(ctx, "coord", store.GateConfig{Name: "Abbey", Open: 6 * time.Hour, Close: 8 * time.Hour, Window: 30 * time.Minute, Capacity: 2}); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Import(ctx, "test", weightCases(), nil); err != nil {
					t.Fatal(err)
				}
				ps, err := s.People(ctx, store.PeopleFilter{})
				if err != nil {
					t.Fatal(err)
				}
				name := map[int64]string{}
				var ids []int64
				for _, p := range ps {
					name[p.CaseID] = p.Family
					ids = append(ids, p.ID)
				}
				if _, err := s.SetStage(ctx, "test", store.Scope{}, ids, muster.StageApproved, "cleared"); err != nil {
					t.Fatal(err)
				}
				if err := s.SetWeights(ctx, "coord", tt.cats, tt.vuln); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1, Weights: tt.explicit}); err != nil {
					t.Fatal(err)
				}
				cfs, err := s.CallForwards(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				var got strings.Builder
				for _, cf := range cfs {
					got.WriteString(name[cf.CaseID])
				}
				if got.String() != tt.want {
					t.Errorf("called in order %s, want %s", got.String(), tt.want)
				}
			})
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestWeightsOfOperation: weights follow the operation's own categories
// until set, a change is one event, and bad input names what is wrong.
func TestWeightsOfOperation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mvOpen(t, dsn, newKEK(t), &clock{t: mvStart})
		w, err := s.Weights(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(schedule.DefaultWeights(), w); diff != "" {
			t.Errorf("a new operation's weights (-want +got):\n%s", diff)
		}
		if err := s.SetCategories(ctx, "coord", []muster.Category{"citizen", "local_staff"}); err != nil {
			t.Fatal(err)
		}
		check := func(want schedule.Weights) {
			t.Helper()
			got, err := s.Weights(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("weights (-want +got):\n%s", diff)
			}
		}
		check(schedule.Weights{Category: map[muster.Category]int{"citizen": 20, "local_staff": 10}, Vulnerability: 5})
		if err := s.SetWeights(ctx, "coord", map[muster.Category]int{"local_staff": 100}, ptr(7)); err != nil {
			t.Fatal(err)
		}
		check(schedule.Weights{Category: map[muster.Category]int{"citizen": 20, "local_staff": 100}, Vulnerability: 7})
		bad := []struct {
			cats map[muster.Category]int
			vuln *int
			want string
		}{
			{map[muster.Category]int{"siv_applicant": 3, "citizen": 1}, nil, "siv_applicant is not a category of this operation (citizen, local_staff)"},
			{map[muster.Category]int{"citizen": -1}, nil, "weight of citizen: -1"},
			{nil, ptr(-2), "vulnerability weight -2"},
		}
		for _, b := range bad {
			err := s.SetWeights(ctx, "coord", b.cats, b.vuln)
			if muster.ErrorCode(err) != muster.EINVALID || !strings.Contains(err.Error(), b.want) {
				t.Errorf("SetWeights(%v, %v) = %v, want EINVALID naming %q", b.cats, b.vuln, err, b.want)
			}
		}
		check(schedule.Weights{Category: map[muster.Category]int{"citizen": 20, "local_staff": 100}, Vulnerability: 7})
		// A category added later ranks at 0 until weighed; one removed is gone.
		if err := s.SetCategories(ctx, "coord", []muster.Category{"local_staff", "tcn"}); err != nil {
			t.Fatal(err)
		}
		check(schedule.Weights{Category: map[muster.Category]int{"local_staff": 100, "tcn": 0}, Vulnerability: 7})
		evs, err := s.Events(ctx, store.EventFilter{Type: store.EventWeights})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Actor != "coord" || !strings.Contains(string(evs[0].Data), `"local_staff":100`) {
			t.Errorf("weight events %+v", evs)
		}
	})
}

func TestParseWeights(t *testing.T) {
	tests := []struct {
		in      string
		want    map[muster.Category]int
		wantErr string
	}{
		{"citizen=100, siv_applicant=50", map[muster.Category]int{"citizen": 100, "siv_applicant": 50}, ""},
		{"", map[muster.Category]int{}, ""},
		{"citizen", nil, `weight "citizen": write category=number`},
		{"citizen=1,siv_applicant=lots", nil, `weight "siv_applicant=lots": "lots" is not a whole number`},
		{"citizen=1,citizen=2", nil, "category citizen is given twice"},
		{"citizen=2000000", nil, "from 0 to 1000000"},
	}
	for _, tt := range tests {
		got, err := store.ParseWeights(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseWeights(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseWeights(%q): %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseWeights(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestManifestWeightsDriveOrder: the operation's weights and the cases'
// vulnerability also decide who gets the seats of a flight too small for
// everyone checked in.
func TestManifestWeightsDriveOrder(t *testing.T) {
	tests := []struct {
		name string
		cats map[muster.Category]int
		vuln *int
		want string
	}{
		{name: "category order", want: "A"},
		{name: "SIV first, vulnerability breaks the tie", cats: map[muster.Category]int{muster.CategorySIVApplicant: 100}, want: "C"},
		{name: "refugees first", cats: map[muster.Category]int{muster.CategoryRefugeeReferral: 80}, vuln: ptr(0), want: "D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, dsn string) {
				ctx := context.Background()
				s := mvOpen(t, dsn, newKEK(t), &clock{t: mvStart})
				if _, err := s.Import(ctx, "test", weightCases(), nil); err != nil {
					t.Fatal(err)
				}
				ps, err := s.People(ctx, store.PeopleFilter{})
				if err != nil {
					t.Fatal(err)
				}
				name := map[int64]string{}
				var ids []int64
				for _, p := range ps {
					name[p.CaseID] = p.Family
					ids = append(ids, p.ID)
				}
				if _, err := s.SetStage(ctx, "test", store.Scope{}, ids, muster.StageCheckedIn, "admitted"); err != nil {
					t.Fatal(err)
				}
				if err := s.SetWeights(ctx, "coord", tt.cats, tt.vuln); err != nil {
					t.Fatal(err)
				}
				if err := s.AddFlight(ctx, "coord", store.Flight{ID: "RCH1", Capacity: 2, Departs: mvStart.Add(10 * time.Hour), Destination: "DOH"}); err != nil {
					t.Fatal(err)
				}
				m, err := s.BuildManifest(ctx, "coord", "RCH1")
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, st := range m.Seats {
					got = append(got, name[st.CaseID])
				}
				if diff := cmp.Diff([]string{tt.want, tt.want}, got); diff != "" {
					t.Errorf("seated cases (-want +got):\n%s", diff)
				}
			})
		})
	}
}

package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"muster"
)

func party(id int64, cat muster.Category, checkedIn time.Duration, people ...Traveller) Party {
	return Party{CaseID: id, People: people, Category: cat, CheckedIn: t0.Add(checkedIn)}
}

func adult(id int64) Traveller { return Traveller{PersonID: id} }
func minor(id int64) Traveller { return Traveller{PersonID: id, Minor: true} }

func TestManifestSmall(t *testing.T) {
	flights := []Flight{
		{ID: "RCH871", Capacity: 5, Departure: t0.Add(2 * time.Hour), Destination: "QAT"},
		{ID: "RCH100", Capacity: 4, Departure: t0.Add(time.Hour), Destination: "DEU"},
		{ID: "RCH050", Capacity: 9, Departure: t0.Add(-time.Hour), Destination: "DEU"}, // gone
	}
	parties := []Party{
		party(1, oar, 0, adult(11), minor(12), minor(13)),
		party(2, cit, time.Minute, adult(21), adult(22)),
		party(3, siv, 0, minor(31), minor(32)),                                             // unaccompanied minors
		party(4, cit, 0, adult(41), adult(42), adult(43), adult(44), adult(45), adult(46)), // larger than any open flight
		party(5, oar, time.Minute, adult(51)),
		{CaseID: 6, People: []Traveller{adult(61)}, Category: cit, Destinations: []string{"USA"}},
	}
	got := Manifest(DefaultWeights(), flights, parties, nil, t0)
	// Rank: 6, 4, 2 (citizens; 6 has the zero check-in time), 3 (SIV), 1, 5.
	want := &ManifestResult{
		Flights: []FlightManifest{
			{Flight: flights[2], Free: 9},
			{Flight: flights[1], Free: 0, Seats: []Seat{
				{"RCH100", 2, 21, false, false}, {"RCH100", 2, 22, false, false},
				{"RCH100", 3, 31, true, true}, {"RCH100", 3, 32, true, true},
			}},
			{Flight: flights[0], Free: 1, Seats: []Seat{
				{"RCH871", 1, 11, false, false}, {"RCH871", 1, 12, true, false}, {"RCH871", 1, 13, true, false},
				{"RCH871", 5, 51, false, false},
			}},
		},
		Waiting:       []Standby{{6, ReasonNoFlight}, {4, ReasonTooLarge}},
		Unaccompanied: []int64{3},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("Manifest (-want +got):\n%s", diff)
	}
	checkManifest(t, DefaultWeights(), flights, parties, nil, t0, got)

	// Later: a sibling of case 3 checks in with an adult relative; RCH100
	// is full, so they wait and the case is flagged. RCH871 loses 2 seats,
	// so case 5 (lowest rank) gives up its seat and waits.
	parties[2].People = append(parties[2].People, adult(33))
	flights[0].Capacity = 3
	var existing []Seat
	for _, f := range got.Flights {
		existing = append(existing, f.Seats...)
	}
	re := Manifest(DefaultWeights(), flights, parties, existing, t0.Add(10*time.Minute))
	if diff := gocmp.Diff([]Standby{{6, ReasonNoFlight}, {4, ReasonTooLarge}, {3, ReasonFamilyAboard}, {5, ReasonNoCapacity}}, re.Waiting); diff != "" {
		t.Errorf("waiting (-want +got):\n%s", diff)
	}
	checkManifest(t, DefaultWeights(), flights, parties, existing, t0.Add(10*time.Minute), re)
}

// checkManifest verifies the manifest invariants from inputs and output.
func checkManifest(t *testing.T, w Weights, flights []Flight, parties []Party, existing []Seat, now time.Time, res *ManifestResult) {
	t.Helper()
	byCase := map[int64]*Party{}
	for i := range parties {
		byCase[parties[i].CaseID] = &parties[i]
	}
	ranked := slices.Clone(parties)
	score := func(p Party) int { return w.Category[p.Category] + w.Vulnerability*p.Vulnerability }
	slices.SortFunc(ranked, func(a, b Party) int {
		if score(a) != score(b) {
			return score(b) - score(a)
		}
		if !a.CheckedIn.Equal(b.CheckedIn) {
			return a.CheckedIn.Compare(b.CheckedIn)
		}
		return int(a.CaseID - b.CaseID)
	})
	rank := map[int64]int{}
	for i, p := range ranked {
		rank[p.CaseID] = i
	}
	prev := map[int64]string{}
	for _, s := range existing {
		prev[s.CaseID] = s.FlightID
	}
	flightOf := map[int64]string{}
	personSeen := map[int64]bool{}
	onFlight := map[string]map[int64]int{} // flight -> case -> people
	for _, fm := range res.Flights {
		onFlight[fm.Flight.ID] = map[int64]int{}
		if fm.Free < 0 || fm.Free != fm.Flight.Capacity-len(fm.Seats) && !fm.Flight.Closed {
			t.Fatalf("flight %s: capacity %d, %d seats, %d free", fm.Flight.ID, fm.Flight.Capacity, len(fm.Seats), fm.Free)
		}
		if len(fm.Seats) > fm.Flight.Capacity && !fm.Flight.Closed {
			t.Fatalf("flight %s overbooked", fm.Flight.ID)
		}
		adultOn := map[int64]bool{}
		for _, s := range fm.Seats {
			if !s.Minor {
				adultOn[s.CaseID] = true
			}
		}
		for _, s := range fm.Seats {
			if f, ok := flightOf[s.CaseID]; ok && f != fm.Flight.ID {
				t.Fatalf("case %d split over %s and %s", s.CaseID, f, fm.Flight.ID)
			}
			flightOf[s.CaseID] = fm.Flight.ID
			if personSeen[s.PersonID] {
				t.Fatalf("person %d seated twice", s.PersonID)
			}
			personSeen[s.PersonID] = true
			if s.Unaccompanied != (s.Minor && !adultOn[s.CaseID]) {
				t.Fatalf("person %d unaccompanied flag %v", s.PersonID, s.Unaccompanied)
			}
			onFlight[fm.Flight.ID][s.CaseID]++
		}
	}
	waiting := map[int64]string{}
	for _, s := range res.Waiting {
		waiting[s.CaseID] = s.Reason
	}
	for _, p := range parties {
		f, seated := flightOf[p.CaseID]
		r, waits := waiting[p.CaseID]
		switch {
		case len(p.People) == 0:
		case seated && !waits && onFlight[f][p.CaseID] != len(p.People):
			t.Fatalf("case %d: %d of %d people seated", p.CaseID, onFlight[f][p.CaseID], len(p.People))
		case seated && waits && r != ReasonFamilyAboard:
			t.Fatalf("case %d seated and waiting for %s", p.CaseID, r)
		case !seated && !waits:
			t.Fatalf("case %d lost", p.CaseID)
		}
		if p.Hold != "" && len(p.People) > 0 {
			for _, fl := range flights {
				if seated && fl.ID == f && !fl.Closed {
					t.Fatalf("held case %d seated on open flight %s", p.CaseID, f)
				}
			}
			if !seated && r != p.Hold {
				t.Fatalf("held case %d waits for %q", p.CaseID, r)
			}
		}
		if seated && prev[p.CaseID] == "" {
			for _, fl := range flights {
				if fl.ID == f && (fl.Closed || !fl.Departure.After(now)) {
					t.Fatalf("case %d newly seated on closed or departed %s", p.CaseID, f)
				}
			}
		}
	}
	// Priority: a newly seated or waiting-for-room party did not fit any
	// earlier eligible flight given the parties seated there that kept
	// their seats or rank above it.
	dep := map[string]time.Time{}
	for _, f := range flights {
		dep[f.ID] = f.Departure
	}
	for _, p := range parties {
		f, seated := flightOf[p.CaseID]
		if prev[p.CaseID] != "" && seated && prev[p.CaseID] == f || len(p.People) == 0 {
			continue
		}
		if !seated && waiting[p.CaseID] != ReasonNoCapacity {
			continue
		}
		for _, fl := range flights {
			if fl.Closed || !fl.Departure.After(now) || len(p.Destinations) > 0 && !slices.Contains(p.Destinations, fl.Destination) {
				continue
			}
			if seated && (fl.ID == f || !fl.Departure.Before(dep[f]) && !(fl.Departure.Equal(dep[f]) && fl.ID < f)) {
				continue
			}
			used := 0
			for cid, n := range onFlight[fl.ID] {
				if prev[cid] == fl.ID || rank[cid] < rank[p.CaseID] {
					used += n
				}
			}
			if used+len(p.People) <= fl.Capacity {
				t.Fatalf("case %d (rank %d) not on earlier flight %s with room (%d of %d used)", p.CaseID, rank[p.CaseID], fl.ID, used, fl.Capacity)
			}
		}
	}
}

func TestManifestProperties(t *testing.T) {
	runs := 300
	if testing.Short() {
		runs = 50
	}
	cats := muster.DefaultCategories
	dests := []string{"QAT", "DEU", "USA"}
	for seed := range runs {
		r := rand.New(rand.NewPCG(uint64(seed), 99))
		var flights []Flight
		for i := range 1 + r.IntN(6) {
			flights = append(flights, Flight{
				ID: fmt.Sprintf("F%02d", i), Capacity: r.IntN(60),
				Departure:   t0.Add(time.Duration(r.IntN(600)-60) * time.Minute),
				Destination: dests[r.IntN(len(dests))],
			})
		}
		var parties []Party
		pid := int64(0)
		for i := range r.IntN(80) {
			p := Party{CaseID: int64(i + 1), Category: cats[r.IntN(len(cats))], Vulnerability: r.IntN(3),
				CheckedIn: t0.Add(time.Duration(r.IntN(100)) * time.Minute)}
			for range r.IntN(9) {
				pid++
				p.People = append(p.People, Traveller{PersonID: pid, Minor: r.IntN(3) == 0})
			}
			if r.IntN(4) == 0 {
				p.Destinations = []string{dests[r.IntN(len(dests))]}
			}
			if r.IntN(15) == 0 {
				p.Hold = ReasonScreeningHit
			}
			parties = append(parties, p)
		}
		w := DefaultWeights()
		first := Manifest(w, flights, parties, nil, t0)
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			checkManifest(t, w, flights, parties, nil, t0, first)
		})
		// Later: more check-ins, a flight closes, one loses seats.
		var existing []Seat
		for _, f := range first.Flights {
			existing = append(existing, f.Seats...)
		}
		for i := range parties {
			if r.IntN(5) == 0 {
				pid++
				parties[i].People = append(parties[i].People, Traveller{PersonID: pid})
			}
			if r.IntN(10) == 0 {
				parties[i].Hold = ReasonScreeningHit // flagged after seating
			}
		}
		flights2 := slices.Clone(flights)
		flights2[r.IntN(len(flights2))].Closed = true
		k := r.IntN(len(flights2))
		if !flights2[k].Closed {
			flights2[k].Capacity = r.IntN(flights2[k].Capacity + 1)
		}
		later := t0.Add(time.Duration(r.IntN(120)) * time.Minute)
		re := Manifest(w, flights2, parties, existing, later)
		t.Run(fmt.Sprintf("seed%d/again", seed), func(t *testing.T) {
			checkManifest(t, w, flights2, parties, existing, later, re)
		})
	}
}

func TestManifestHold(t *testing.T) {
	flights := []Flight{
		{ID: "A", Capacity: 4, Departure: t0.Add(time.Hour)},
		{ID: "B", Capacity: 4, Departure: t0.Add(-time.Minute), Closed: true},
	}
	parties := []Party{party(1, cit, 0, adult(11), adult(12)), party(2, cit, time.Minute, adult(21))}
	existing := []Seat{{FlightID: "A", CaseID: 1, PersonID: 11}, {FlightID: "A", CaseID: 1, PersonID: 12},
		{FlightID: "B", CaseID: 2, PersonID: 21}}
	// Both flagged after seating: case 1 leaves the open flight; case 2
	// has departed and stays on the record.
	parties[0].Hold, parties[1].Hold = ReasonScreeningHit, ReasonScreeningHit
	got := Manifest(DefaultWeights(), flights, parties, existing, t0)
	if diff := gocmp.Diff([]Standby{{1, ReasonScreeningHit}}, got.Waiting); diff != "" {
		t.Errorf("waiting (-want +got):\n%s", diff)
	}
	if len(got.Flights[0].Seats) != 1 || got.Flights[0].Seats[0].CaseID != 2 || len(got.Flights[1].Seats) != 0 {
		t.Errorf("flights %+v", got.Flights)
	}
}

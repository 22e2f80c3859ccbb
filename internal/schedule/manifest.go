package schedule

import (
	"cmp"
	"slices"
	"time"

	"muster"
)

// Flight is a flight (or bus) that checked-in people board.
type Flight struct {
	ID          string
	Capacity    int // seats
	Departure   time.Time
	Destination string
	Closed      bool // departed or manifest closed: seats stay, none are added
}

// Traveller is one checked-in person of a party.
type Traveller struct {
	PersonID int64
	Minor    bool
}

// Party is the checked-in members of one case: the unit that boards together.
type Party struct {
	CaseID        int64
	People        []Traveller
	Category      muster.Category
	Vulnerability int
	CheckedIn     time.Time // earlier check-in breaks rank ties
	Destinations  []string  // destinations the case may go to; empty means any
	// Hold, when set, is why the case must not board now (a screening hit
	// raised after check-in, a gate flag): it is not seated, loses any
	// seat on an open flight, and waits with this reason.
	Hold string
}

// Seat is one person on a manifest.
type Seat struct {
	FlightID string
	CaseID   int64
	PersonID int64
	Minor    bool
	// Unaccompanied flags a minor with no adult of their case on board:
	// the receiving side must have a caseworker at the aircraft.
	Unaccompanied bool
}

// FlightManifest is one flight's seats, by case rank then person order.
type FlightManifest struct {
	Flight Flight
	Seats  []Seat
	Free   int
}

// Reasons a party is not seated (besides ReasonNoCapacity and ReasonTooLarge).
const (
	ReasonNoFlight     = "no_flight_to_destination"
	ReasonFamilyAboard = "family_flight_full" // part of the case is already on a flight with no room for the rest
)

// ManifestResult is the seat plan.
type ManifestResult struct {
	Flights []FlightManifest // by departure, then id
	Waiting []Standby        // parties not seated, in rank order
	// Unaccompanied lists the cases with a minor and no adult checked in,
	// seated or not, so that they are linked and followed up.
	Unaccompanied []int64
}

// Manifest seats checked-in parties on flights. parties must hold every case
// with people checked in, including those already manifested: a seat whose
// case or person is no longer among them is dropped. Seats already on a
// manifest (existing) stay where they are; every other party is seated whole,
// in rank order (Weights, then check-in time, then case id), on the
// earliest open flight departing after now to an allowed destination with
// room for all of it. Capacity is never exceeded: existing seats that no
// longer fit a flight whose capacity was cut are given up, lowest-ranked case
// first, and that case is seated again.
func Manifest(w Weights, flights []Flight, parties []Party, existing []Seat, now time.Time) *ManifestResult {
	res := &ManifestResult{}
	fs := slices.Clone(flights)
	slices.SortFunc(fs, func(a, b Flight) int {
		return cmp.Or(a.Departure.Compare(b.Departure), cmp.Compare(a.ID, b.ID))
	})
	fm := make([]FlightManifest, len(fs))
	index := map[string]int{}
	for i, f := range fs {
		fm[i] = FlightManifest{Flight: f, Free: f.Capacity}
		index[f.ID] = i
	}

	ps := make([]*Party, len(parties))
	for i := range parties {
		ps[i] = &parties[i]
	}
	slices.SortFunc(ps, func(a, b *Party) int {
		sa := w.Category[a.Category] + w.Vulnerability*a.Vulnerability
		sb := w.Category[b.Category] + w.Vulnerability*b.Vulnerability
		return cmp.Or(cmp.Compare(sb, sa), a.CheckedIn.Compare(b.CheckedIn), cmp.Compare(a.CaseID, b.CaseID))
	})

	seatedOn := map[int64]map[int64]string{} // case -> person -> flight already manifested
	for _, s := range existing {
		if _, ok := index[s.FlightID]; !ok {
			continue // flight cancelled: seat again
		}
		if seatedOn[s.CaseID] == nil {
			seatedOn[s.CaseID] = map[int64]string{}
		}
		seatedOn[s.CaseID][s.PersonID] = s.FlightID
	}

	maxCap := 0
	for _, f := range fs {
		if !f.Closed && f.Departure.After(now) {
			maxCap = max(maxCap, f.Capacity)
		}
	}
	seat := func(i int, p *Party, people []Traveller) {
		for _, t := range people {
			fm[i].Seats = append(fm[i].Seats, Seat{FlightID: fm[i].Flight.ID, CaseID: p.CaseID, PersonID: t.PersonID, Minor: t.Minor})
		}
		fm[i].Free -= len(people)
	}

	// Keep what is already manifested, by rank, as far as capacity allows.
	// A closed flight keeps its record whatever its capacity says now.
	var toSeat []*Party
	for _, p := range ps {
		on := seatedOn[p.CaseID]
		if len(on) == 0 {
			toSeat = append(toSeat, p)
			continue
		}
		if p.Hold != "" && !fm[index[anyValue(on)]].Flight.Closed {
			res.Waiting = append(res.Waiting, Standby{p.CaseID, p.Hold})
			continue
		}
		i := index[anyValue(on)] // the planner never splits a case, so all are on one flight
		var aboard, rest []Traveller
		for _, t := range p.People {
			if _, ok := on[t.PersonID]; ok {
				aboard = append(aboard, t)
			} else {
				rest = append(rest, t)
			}
		}
		f := fm[i].Flight
		if !f.Closed && len(aboard) > fm[i].Free {
			toSeat = append(toSeat, p) // capacity cut: seat the whole case again
			continue
		}
		// Members who checked in after the others were manifested join
		// them when there is room, and wait otherwise (flagged).
		if len(rest) > 0 && (f.Closed || !f.Departure.After(now) || len(aboard)+len(rest) > fm[i].Free) {
			seat(i, p, aboard)
			res.Waiting = append(res.Waiting, Standby{p.CaseID, ReasonFamilyAboard})
			continue
		}
		seat(i, p, append(aboard, rest...))
	}

	// Seat the rest whole, earliest flight first.
	for _, p := range toSeat {
		n := len(p.People)
		if n == 0 {
			continue
		}
		if p.Hold != "" {
			res.Waiting = append(res.Waiting, Standby{p.CaseID, p.Hold})
			continue
		}
		best, anyDest := -1, false
		for i, f := range fs {
			if f.Closed || !f.Departure.After(now) {
				continue
			}
			if len(p.Destinations) > 0 && !slices.Contains(p.Destinations, f.Destination) {
				continue
			}
			anyDest = true
			if fm[i].Free >= n {
				best = i
				break
			}
		}
		switch {
		case best >= 0:
			seat(best, p, p.People)
		case !anyDest:
			res.Waiting = append(res.Waiting, Standby{p.CaseID, ReasonNoFlight})
		case n > maxCap:
			res.Waiting = append(res.Waiting, Standby{p.CaseID, ReasonTooLarge})
		default:
			res.Waiting = append(res.Waiting, Standby{p.CaseID, ReasonNoCapacity})
		}
	}

	// Order each manifest by rank (kept and new interleaved) and flag
	// unaccompanied minors.
	rank := make(map[int64]int, len(ps))
	for i, p := range ps {
		rank[p.CaseID] = i
		adult, minor := false, false
		for _, t := range p.People {
			adult = adult || !t.Minor
			minor = minor || t.Minor
		}
		if minor && !adult {
			res.Unaccompanied = append(res.Unaccompanied, p.CaseID)
		}
	}
	slices.Sort(res.Unaccompanied)
	for i := range fm {
		seats := fm[i].Seats
		slices.SortStableFunc(seats, func(a, b Seat) int { return cmp.Compare(rank[a.CaseID], rank[b.CaseID]) })
		// A minor is unaccompanied on this flight when no adult of the
		// case is on it.
		adultOn := map[int64]bool{}
		for _, s := range seats {
			if !s.Minor {
				adultOn[s.CaseID] = true
			}
		}
		for j := range seats {
			seats[j].Unaccompanied = seats[j].Minor && !adultOn[seats[j].CaseID]
		}
	}
	// Waiting in rank order too.
	slices.SortStableFunc(res.Waiting, func(a, b Standby) int { return cmp.Compare(rank[a.CaseID], rank[b.CaseID]) })
	res.Flights = fm
	return res
}

func anyValue(m map[int64]string) string {
	for _, v := range m {
		return v
	}
	return ""
}

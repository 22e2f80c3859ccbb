package store

// Flights, manifests, boarding, departure and arrival reconciliation (the
// second half of movement control; see movement.go).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"muster"
	"muster/internal/schedule"
)

// Flight states.
const (
	FlightOpen     = "open"
	FlightDeparted = "departed"
	FlightArrived  = "arrived"
)

// Flight is a flight (or bus) out.
type Flight struct {
	ID          string    `json:"id"`
	Capacity    int       `json:"capacity"`
	Booked      int       `json:"booked"`
	Departs     time.Time `json:"departs"`
	Destination string    `json:"destination"`
	State       string    `json:"state"`
}

// AddFlight creates a flight; ECONFLICT when the id is taken.
func (s *Store) AddFlight(ctx context.Context, actor string, f Flight) error {
	f.ID = strings.TrimSpace(f.ID)
	switch {
	case !gateNameRE.MatchString(f.ID):
		return muster.Errorf(muster.EINVALID, "flight id %q: use letters, digits, '.', '_' or '-'", f.ID)
	case f.Capacity <= 0:
		return muster.Errorf(muster.EINVALID, "flight %s: capacity must be at least 1", f.ID)
	case f.Destination == "":
		return muster.Errorf(muster.EINVALID, "flight %s: destination needed", f.ID)
	case f.Departs.IsZero():
		return muster.Errorf(muster.EINVALID, "flight %s: departure time needed", f.ID)
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO flights (id, capacity, booked, departs, destination, state, created, updated) VALUES ($1, $2, 0, $3, $4, $5, $6, $6)`,
			f.ID, f.Capacity, f.Departs.UnixMicro(), f.Destination, FlightOpen, now.UnixMicro()); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventFlight, At: now, Data: jsonRaw(map[string]any{"flight": f.ID, "added": f})})
	})
}

// GetFlight returns one flight or ENOTFOUND.
func (s *Store) GetFlight(ctx context.Context, id string) (*Flight, error) {
	return s.flight(ctx, s.db, id)
}

func (s *Store) flight(ctx context.Context, q querier, id string) (*Flight, error) {
	var f Flight
	var dep int64
	err := q.QueryRowContext(ctx, `SELECT id, capacity, booked, departs, destination, state FROM flights WHERE id = $1`, id).
		Scan(&f.ID, &f.Capacity, &f.Booked, &dep, &f.Destination, &f.State)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, muster.Errorf(muster.ENOTFOUND, "no flight %q", id)
	} else if err != nil {
		return nil, err
	}
	f.Departs = time.UnixMicro(dep).UTC()
	return &f, nil
}

// ManifestSeat is one seat on a manifest with the person's name opened.
type ManifestSeat struct {
	PersonID      int64      `json:"person_id"`
	CaseID        int64      `json:"case_id"`
	CaseRef       string     `json:"case_ref"`
	Name          string     `json:"name"`
	Sex           muster.Sex `json:"sex,omitempty"`
	DOB           string     `json:"dob,omitempty"`
	Document      string     `json:"document,omitempty"`
	Minor         bool       `json:"minor"`
	Unaccompanied bool       `json:"unaccompanied"`
	Boarded       bool       `json:"boarded"`
}

// FlightManifest is a flight with its seats, in case order.
type FlightManifest struct {
	Flight  Flight             `json:"flight"`
	Seats   []ManifestSeat     `json:"seats"`
	Added   int                `json:"added"`   // seated by this call
	Waiting []schedule.Standby `json:"waiting"` // checked-in cases not seated, with why
}

// minorAt reports whether a person is under 18 at t (unknown: adult).
func minorAt(d muster.Date, t time.Time) bool {
	if d.Year == 0 {
		return false
	}
	m, day := d.Month, d.Day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return time.Date(d.Year+18, time.Month(m), day, 0, 0, 0, 0, time.UTC).After(t)
}

// BuildManifest seats checked-in cases on a flight with schedule.Manifest:
// a case boards only when every one of its travelling members is checked
// in (families together), unaccompanied minors are flagged, cases with a
// screening flag wait, and the flight's capacity is enforced again in SQL.
// Seated people move to "manifested". It returns the whole manifest.
func (s *Store) BuildManifest(ctx context.Context, actor, flightID string) (*FlightManifest, error) {
	var waiting []schedule.Standby
	added := 0
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		f, err := s.flight(ctx, tx, flightID)
		if err != nil {
			return err
		}
		if f.State != FlightOpen {
			return muster.Errorf(muster.ECONFLICT, "flight %s has %s: its manifest is closed", f.ID, f.State)
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.case_id, p.stage, p.flags, p.sealed FROM persons p
			WHERE p.merged_into IS NULL AND p.case_id IN (SELECT case_id FROM persons WHERE merged_into IS NULL AND stage = 'checked_in')
			AND p.id NOT IN (SELECT person_id FROM manifest_seats) ORDER BY p.case_id, p.id`)
		if err != nil {
			return err
		}
		byCase, caseIDs, err := peopleByCase(rows)
		if err != nil {
			return err
		}
		info, err := s.caseInfo(ctx, tx, caseIDs)
		if err != nil {
			return err
		}
		// Earlier through the gate, earlier on a flight (within a rank).
		firstIn := map[int64]time.Time{}
		for chunk := range slices.Chunk(caseIDs, 500) {
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			rows, err := tx.QueryContext(ctx, `SELECT case_id, MIN(received) FROM checkins WHERE case_id IN (`+inList(1, len(args))+`) GROUP BY case_id`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id, at int64
				if err := rows.Scan(&id, &at); err != nil {
					rows.Close()
					return err
				}
				firstIn[id] = time.UnixMicro(at).UTC()
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		var parties []schedule.Party
		for _, cid := range caseIDs {
			in, ok := firstIn[cid]
			if !ok {
				in = info[cid].created // moved to checked_in by hand, not by a gate
			}
			pt := schedule.Party{CaseID: cid, Category: info[cid].cat, CheckedIn: in}
			var boarding []planPerson
			for _, p := range byCase[cid] {
				switch p.stage {
				case muster.StageCheckedIn:
					boarding = append(boarding, p)
					per, err := s.person(ctx, tx, Scope{}, p.id)
					if err != nil {
						return err
					}
					pt.People = append(pt.People, schedule.Traveller{PersonID: p.id, Minor: minorAt(per.DOB, f.Departs)})
					if hasFlag(p.flags, flagHold) || hasFlag(p.flags, flagConfirmed) {
						pt.Hold = schedule.ReasonScreeningHit
					}
				case muster.StageApproved, muster.StageCalled:
					if pt.Hold == "" {
						pt.Hold = "family_not_all_checked_in"
					}
				}
			}
			// Ages at departure, as for the minors above.
			if pt.Vulnerability, err = s.caseVulnerability(boarding, f.Departs); err != nil {
				return err
			}
			parties = append(parties, pt)
		}
		w, err := s.weights(ctx, tx)
		if err != nil {
			return err
		}
		sf := schedule.Flight{ID: f.ID, Capacity: f.Capacity - f.Booked, Departure: f.Departs, Destination: f.Destination}
		res := schedule.Manifest(w, []schedule.Flight{sf}, parties, nil, now)
		waiting = res.Waiting
		for _, fm := range res.Flights {
			byParty := map[int64][]schedule.Seat{}
			var order []int64
			for _, seat := range fm.Seats {
				if _, ok := byParty[seat.CaseID]; !ok {
					order = append(order, seat.CaseID)
				}
				byParty[seat.CaseID] = append(byParty[seat.CaseID], seat)
			}
			for _, cid := range order {
				seats := byParty[cid]
				r, err := tx.ExecContext(ctx, `UPDATE flights SET booked = booked + $1, updated = $2 WHERE id = $3 AND state = 'open' AND booked + $1 <= capacity`, len(seats), now.UnixMicro(), f.ID)
				if err != nil {
					return err
				}
				if n, _ := r.RowsAffected(); n == 0 {
					return muster.Errorf(muster.ECONFLICT, "flight %s is full (another manifest run seated people): run manifest again", f.ID)
				}
				ids := make([]int64, len(seats))
				for i, seat := range seats {
					ids[i] = seat.PersonID
					if _, err := tx.ExecContext(ctx, `INSERT INTO manifest_seats (person_id, flight_id, case_id, minor, unaccompanied, created) VALUES ($1, $2, $3, $4, $5, $6)`,
						seat.PersonID, f.ID, cid, boolInt(seat.Minor), boolInt(seat.Unaccompanied), now.UnixMicro()); err != nil {
						return err
					}
				}
				n, err := s.stageTx(ctx, tx, now, actor, ids, muster.StageManifested, "manifest "+f.ID, muster.StageCheckedIn)
				if err != nil {
					return err
				}
				added += n
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m, err := s.Manifest(ctx, flightID)
	if err != nil {
		return nil, err
	}
	m.Added, m.Waiting = added, waiting
	return m, nil
}

// Manifest returns a flight's seats with names opened, in case order.
func (s *Store) Manifest(ctx context.Context, flightID string) (*FlightManifest, error) {
	f, err := s.flight(ctx, s.db, flightID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, case_id, minor, unaccompanied, boarded FROM manifest_seats WHERE flight_id = $1 ORDER BY case_id, person_id`, flightID)
	if err != nil {
		return nil, err
	}
	var seats []ManifestSeat
	for rows.Next() {
		var st ManifestSeat
		var minor, unacc, boarded int
		if err := rows.Scan(&st.PersonID, &st.CaseID, &minor, &unacc, &boarded); err != nil {
			rows.Close()
			return nil, err
		}
		st.CaseRef, st.Minor, st.Unaccompanied, st.Boarded = CaseRef(st.CaseID), minor != 0, unacc != 0, boarded != 0
		seats = append(seats, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range seats {
		p, err := s.person(ctx, s.db, Scope{}, seats[i].PersonID)
		if err != nil {
			return nil, err
		}
		seats[i].Name, seats[i].Sex, seats[i].DOB, seats[i].Document = p.DisplayName(), p.Sex, p.DOB.String(), passDocument(p)
	}
	return &FlightManifest{Flight: *f, Seats: seats}, nil
}

// Board marks manifested people as boarded. A person not on this flight's
// manifest is refused with ENOTFOUND naming them, and nothing is marked.
func (s *Store) Board(ctx context.Context, actor, flightID string, personIDs []int64) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		f, err := s.flight(ctx, tx, flightID)
		if err != nil {
			return err
		}
		if f.State != FlightOpen {
			return muster.Errorf(muster.ECONFLICT, "flight %s has %s", f.ID, f.State)
		}
		for _, id := range personIDs {
			var caseID int64
			var boarded int
			err := tx.QueryRowContext(ctx, `SELECT case_id, boarded FROM manifest_seats WHERE person_id = $1 AND flight_id = $2`, id, flightID).Scan(&caseID, &boarded)
			if errors.Is(err, sql.ErrNoRows) {
				return muster.Errorf(muster.ENOTFOUND, "person %d is not on the manifest of flight %s: do not board", id, flightID)
			} else if err != nil {
				return err
			}
			if boarded != 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE manifest_seats SET boarded = 1, boarded_at = $1 WHERE person_id = $2`, now.UnixMicro(), id); err != nil {
				return err
			}
			if err := s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventBoarded, PersonID: id, CaseID: caseID, At: now, Data: jsonRaw(map[string]string{"flight": flightID})}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// DepartResult counts what a departure did.
type DepartResult struct {
	Departed  int     `json:"departed"`
	NotBoard  []int64 `json:"not_boarded"` // manifested but not boarded: back to checked_in, seat freed
	FlightID  string  `json:"flight"`
	Departure time.Time
}

// Depart closes a flight's manifest: boarded people move to "departed";
// manifested people who did not board lose their seat and go back to
// "checked_in" for the next flight.
func (s *Store) Depart(ctx context.Context, actor, flightID string) (*DepartResult, error) {
	res := &DepartResult{FlightID: flightID}
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		f, err := s.flight(ctx, tx, flightID)
		if err != nil {
			return err
		}
		if f.State != FlightOpen {
			return muster.Errorf(muster.ECONFLICT, "flight %s has already %s", f.ID, f.State)
		}
		res.Departure = now
		rows, err := tx.QueryContext(ctx, `SELECT person_id, boarded FROM manifest_seats WHERE flight_id = $1 ORDER BY person_id`, flightID)
		if err != nil {
			return err
		}
		var boarded []int64
		for rows.Next() {
			var id int64
			var b int
			if err := rows.Scan(&id, &b); err != nil {
				rows.Close()
				return err
			}
			if b != 0 {
				boarded = append(boarded, id)
			} else {
				res.NotBoard = append(res.NotBoard, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range res.NotBoard {
			if _, err := tx.ExecContext(ctx, `DELETE FROM manifest_seats WHERE person_id = $1`, id); err != nil {
				return err
			}
		}
		if _, err := s.stageTx(ctx, tx, now, actor, res.NotBoard, muster.StageCheckedIn, "not boarded on "+flightID, muster.StageManifested); err != nil {
			return err
		}
		if res.Departed, err = s.stageTx(ctx, tx, now, actor, boarded, muster.StageDeparted, "flight "+flightID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE flights SET state = $1, booked = $2, updated = $3 WHERE id = $4`, FlightDeparted, len(boarded), now.UnixMicro(), flightID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventFlight, At: now, Data: jsonRaw(map[string]any{"flight": flightID, "departed": len(boarded), "not_boarded": len(res.NotBoard)})})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ArrivalLine is one line of a destination's arrival list: a person id
// when the destination has muster's, else a document number.
type ArrivalLine struct {
	Line     int    `json:"line"`
	PersonID int64  `json:"person_id,omitempty"`
	Document string `json:"document,omitempty"`
	Name     string `json:"name,omitempty"`
}

// Reconciliation is the outcome of comparing a departed flight's boarded
// people with the destination's list.
type Reconciliation struct {
	FlightID string        `json:"flight"`
	Arrived  []int64       `json:"arrived"`
	Missing  []int64       `json:"missing"` // boarded, not on the arrival list
	Extra    []ArrivalLine `json:"extra"`   // on the list, not boarded on this flight
}

// Arrive reconciles a departed flight with the destination's list: people
// on both move to "arrived"; boarded people not on the list are missing
// (they stay "departed"), lines matching nobody boarded are extra. Every
// outcome is stored in arrivals (extra lines sealed).
func (s *Store) Arrive(ctx context.Context, actor, flightID string, list []ArrivalLine) (*Reconciliation, error) {
	rec := &Reconciliation{FlightID: flightID, Arrived: []int64{}, Missing: []int64{}, Extra: []ArrivalLine{}}
	// Document numbers are looked up by blind index before the write
	// transaction (FindBy reads outside it).
	docPerson := map[int]int64{}
	for _, l := range list {
		if l.PersonID == 0 && l.Document != "" {
			ids, err := s.FindBy(ctx, Scope{}, "doc", l.Document)
			if err != nil {
				return nil, err
			}
			if len(ids) == 1 {
				docPerson[l.Line] = ids[0]
			} else if len(ids) > 1 {
				// Several people share the number: match the one on this flight below.
				for _, id := range ids {
					var n int
					if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM manifest_seats WHERE person_id = $1 AND flight_id = $2`, id, flightID).Scan(&n); err != nil {
						return nil, err
					}
					if n > 0 {
						docPerson[l.Line] = id
					}
				}
			}
		}
	}
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		rec.Arrived, rec.Missing, rec.Extra = []int64{}, []int64{}, []ArrivalLine{}
		f, err := s.flight(ctx, tx, flightID)
		if err != nil {
			return err
		}
		if f.State != FlightDeparted {
			return muster.Errorf(muster.ECONFLICT, "flight %s is %s: only a departed flight can arrive", f.ID, f.State)
		}
		rows, err := tx.QueryContext(ctx, `SELECT person_id FROM manifest_seats WHERE flight_id = $1 AND boarded = 1 ORDER BY person_id`, flightID)
		if err != nil {
			return err
		}
		onboard := map[int64]bool{}
		var order []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			onboard[id] = true
			order = append(order, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, l := range list {
			id := l.PersonID
			if id == 0 {
				id = docPerson[l.Line]
			}
			if id != 0 && onboard[id] && !seen[id] {
				seen[id] = true
				continue
			}
			rec.Extra = append(rec.Extra, l)
			sealed, err := s.vault.Seal(jsonRaw(l), "arrival")
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO arrivals (flight_id, person_id, status, sealed, at) VALUES ($1, NULL, 'extra', $2, $3)`, flightID, sealed, now.UnixMicro()); err != nil {
				return err
			}
		}
		for _, id := range order {
			status := "missing"
			if seen[id] {
				status = "arrived"
				rec.Arrived = append(rec.Arrived, id)
			} else {
				rec.Missing = append(rec.Missing, id)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO arrivals (flight_id, person_id, status, sealed, at) VALUES ($1, $2, $3, NULL, $4)`, flightID, id, status, now.UnixMicro()); err != nil {
				return err
			}
		}
		if _, err := s.stageTx(ctx, tx, now, actor, rec.Arrived, muster.StageArrived, "arrived on "+flightID, muster.StageDeparted); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE flights SET state = $1, updated = $2 WHERE id = $3`, FlightArrived, now.UnixMicro(), flightID); err != nil {
			return err
		}
		slices.Sort(rec.Missing)
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventArrival, At: now,
			Data: jsonRaw(map[string]any{"flight": flightID, "arrived": len(rec.Arrived), "missing": len(rec.Missing), "extra": len(rec.Extra)})})
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// PersonByDocument returns the live people holding a document number, for
// boarding by passport scan.
func (s *Store) PersonByDocument(ctx context.Context, number string) ([]int64, error) {
	ids, err := s.FindBy(ctx, Scope{}, "doc", number)
	if err != nil {
		return nil, fmt.Errorf("document lookup: %w", err)
	}
	return ids, nil
}

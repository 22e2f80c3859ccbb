package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"muster"
)

// The record-linkage model lives in the meta table under this key: m, u
// and the prior per field and level, probabilities only. The engine's
// term-frequency tables, which hold names, are not stored: they are
// rebuilt from the registrations each time the linker is built.
const resolveModelKey = "resolve.model"

// SaveResolveModel keeps the linkage engine's trained model (JSON) so that
// later imports link new registrations with it instead of re-resolving
// everyone.
func (s *Store) SaveResolveModel(ctx context.Context, model []byte) error {
	if !json.Valid(model) {
		return muster.Errorf(muster.EINVALID, "resolve model: not JSON")
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, resolveModelKey, string(model))
	if err != nil {
		return fmt.Errorf("save resolve model: %w", mapErr(err))
	}
	return nil
}

// ResolveModel returns the model SaveResolveModel kept, or nil when none was.
func (s *Store) ResolveModel(ctx context.Context) ([]byte, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = $1`, resolveModelKey).Scan(&v)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolve model: %w", err)
	}
	return []byte(v), nil
}

// RegistrationsOf returns the newest version of every registration of the
// given live people (those an import created or updated), for linking on
// arrival; decrypted in memory only.
func (s *Store) RegistrationsOf(ctx context.Context, people []int64) ([]RegRecord, error) {
	const chunk = 500
	var out []RegRecord
	for start := 0; start < len(people); start += chunk {
		part := people[start:min(start+chunk, len(people))]
		args := make([]any, len(part))
		marks := make([]string, len(part))
		for i, p := range part {
			args[i], marks[i] = p, "$"+strconv.Itoa(i+1)
		}
		regs, err := s.liveRegistrations(ctx, `AND r.person_id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("registrations of %d people: %w", len(part), err)
		}
		out = append(out, regs...)
	}
	return out, nil
}

// LiveRegistrations returns what AllRegistrations does, opening and
// decoding the registrations on all cores while the next rows are read:
// building a linker reads every registration, and on one core that was
// most of the time (4.4 s of CPU for 100,000).
func (s *Store) LiveRegistrations(ctx context.Context) ([]RegRecord, error) {
	return s.liveRegistrations(ctx, "")
}

// liveRegistrations reads the newest versions of live people's
// registrations, in registration order, with more conditions on r (the
// registration) appended to the query.
func (s *Store) liveRegistrations(ctx context.Context, where string, args ...any) ([]RegRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.person_id, v.sealed FROM registrations r
		JOIN registration_versions v ON v.registration_id = r.id AND v.version = r.version
		JOIN persons p ON p.id = r.person_id WHERE p.merged_into IS NULL `+where+` ORDER BY r.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type job struct {
		regs   []RegRecord
		sealed [][]byte
		err    error
		done   chan struct{}
	}
	const chunk = 2048
	workers := runtime.GOMAXPROCS(0)
	// Jobs are opened by the workers and collected in read order; at most
	// a few chunks are in flight.
	jobs, pending := make(chan *job, workers), make(chan *job, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				for i, sealed := range j.sealed {
					rr := &j.regs[i]
					body, err := s.vault.Open(sealed, "registration")
					if err == nil {
						err = json.Unmarshal(body, &rr.Record)
					}
					if err != nil {
						j.err = fmt.Errorf("registration %d: %w", rr.RegID, err)
						break
					}
				}
				j.sealed = nil
				close(j.done)
			}
		}()
	}
	var out []RegRecord
	var firstErr error
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for j := range pending {
			<-j.done
			if j.err != nil && firstErr == nil {
				firstErr = j.err
			}
			out = append(out, j.regs...)
		}
	}()
	cur := &job{done: make(chan struct{})}
	send := func() {
		pending <- cur
		jobs <- cur
		cur = &job{done: make(chan struct{})}
	}
	var scanErr error
	for rows.Next() {
		var rr RegRecord
		var sealed []byte
		if scanErr = rows.Scan(&rr.RegID, &rr.PersonID, &sealed); scanErr != nil {
			break
		}
		cur.regs = append(cur.regs, rr)
		cur.sealed = append(cur.sealed, sealed)
		if len(cur.regs) == chunk {
			send()
		}
	}
	if len(cur.regs) > 0 {
		send()
	}
	close(jobs)
	close(pending)
	wg.Wait()
	<-collected
	if scanErr == nil {
		scanErr = rows.Err()
	}
	if scanErr != nil {
		return nil, scanErr
	}
	return out, firstErr
}

// LinkageEvent is an event that changes what the linkage engine holds:
// registrations imported or updated, people merged or split, reviewers'
// decisions.
type LinkageEvent struct {
	Seq      int64
	Type     string
	PersonID int64
}

// LinkageEvents returns the linkage events after seq, without their data,
// so that a process keeping a linker in memory can tell whether others
// changed the people under it.
func (s *Store) LinkageEvents(ctx context.Context, after int64) ([]LinkageEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, type, COALESCE(person_id, 0) FROM events
		WHERE seq > $1 AND type IN ($2, $3, $4, $5, $6) ORDER BY seq`,
		after, muster.EventImported, muster.EventUpdated, muster.EventMerged, muster.EventSplit, EventReviewDecided)
	if err != nil {
		return nil, fmt.Errorf("linkage events after %d: %w", after, err)
	}
	defer rows.Close()
	var out []LinkageEvent
	for rows.Next() {
		var e LinkageEvent
		if err := rows.Scan(&e.Seq, &e.Type, &e.PersonID); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EventReviewDecided is the type of a reviewer's decision on a pair.
const EventReviewDecided = "resolve.review_decided"

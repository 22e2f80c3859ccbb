package store

import (
	"context"
	"time"

	"muster"
)

// Status is the operation's count of people (not registrations): by
// category and stage, the totals, throughput and how long the backlog takes.
type Status struct {
	Operation  string                                   `json:"operation"`
	At         time.Time                                `json:"at"`
	Categories []muster.Category                        `json:"categories"`
	Stages     []muster.Stage                           `json:"stages"`
	Counts     map[muster.Category]map[muster.Stage]int `json:"by_category"`
	ByStage    map[muster.Stage]int                     `json:"by_stage"`
	Totals     Totals                                   `json:"totals"`
	// Throughput holds people who departed in each of the last 24 hours,
	// oldest first; the last element is the current hour.
	Throughput []int `json:"throughput_per_hour"`
	// BacklogHours is how long the people still left take at the last 24
	// hours' average rate; nil when nobody left in that time.
	BacklogHours  *float64 `json:"backlog_hours"`
	Registrations int      `json:"registrations"`
	// Screening counts people screened, hits waiting for a screener, and
	// decisions.
	Screening ScreeningCounts `json:"screening"`
}

// Totals are the three numbers a crisis team asks for first.
type Totals struct {
	Registered int `json:"registered"` // people known, whatever their stage
	Out        int `json:"out"`        // departed or arrived
	StillLeft  int `json:"still_left"` // neither out, withdrawn nor denied
	Withdrawn  int `json:"withdrawn"`
	Denied     int `json:"denied"`
	NoShow     int `json:"no_show"`
}

// uncategorised is the row for people registered without a category.
const uncategorised muster.Category = "uncategorised"

// Status counts live people within scope. The counts are kept by the same
// transactions that append the events; CheckStatus replays the event log to
// prove they agree.
//
// A dashboard asks for them on every view, and counting reads every live
// person, so the counts of a scope are kept for up to statusMaxAge while
// no event that may change them has been committed (the counts_version
// that flushChain keeps in meta; any server of a shared database moves
// it). Registrations and people screened, the costly part, are kept while
// registry_version stands still: movement moves only counts_version.
func (s *Store) Status(ctx context.Context, scope Scope) (*Status, error) {
	var version, registry string
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN ('counts_version', 'registry_version')`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return nil, err
		}
		if k == "counts_version" {
			version = v
		} else {
			registry = v
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	s.statusMu.Lock()
	c, ok := s.statusCache[scope.Partner]
	s.statusMu.Unlock()
	fresh := func(at time.Time) bool { return !now.Before(at) && now.Sub(at) < statusMaxAge }
	if ok && c.version == version && fresh(c.st.At) {
		return c.st.clone(), nil
	}
	// Movement (stage changes, check-ins) invalidates the counts many
	// times a second under load; the registrations and people screened,
	// which cost most, are kept while no registry change was committed.
	var reg *registryCounts
	if ok && c.registry == registry && fresh(c.registryAt) {
		reg = &registryCounts{registrations: c.st.Registrations, screened: c.st.Screening.Screened}
	}
	st, err := s.status(ctx, scope, reg)
	if err != nil {
		return nil, err
	}
	entry := cachedStatus{version: version, registry: registry, registryAt: now, st: st.clone()}
	if reg != nil {
		entry.registryAt = c.registryAt
	}
	s.statusMu.Lock()
	if s.statusCache == nil {
		s.statusCache = map[string]cachedStatus{}
	}
	s.statusCache[scope.Partner] = entry
	s.statusMu.Unlock()
	return st, nil
}

// statusMaxAge bounds how old cached counts may be: throughput and the
// backlog move with the clock even when nothing is written.
const statusMaxAge = 5 * time.Second

type cachedStatus struct {
	version string
	// registry is the registry_version the registrations and screened
	// counts in st were computed at, at registryAt.
	registry   string
	registryAt time.Time
	st         *Status
}

// registryCounts are the counts Status may reuse across movement.
type registryCounts struct{ registrations, screened int }

// clone copies st deeply enough that a caller may change the copy.
func (st *Status) clone() *Status {
	c := *st
	c.Categories = append([]muster.Category(nil), st.Categories...)
	c.Stages = append([]muster.Stage(nil), st.Stages...)
	c.Throughput = append([]int(nil), st.Throughput...)
	c.Counts = make(map[muster.Category]map[muster.Stage]int, len(st.Counts))
	for k, v := range st.Counts {
		m := make(map[muster.Stage]int, len(v))
		for s, n := range v {
			m[s] = n
		}
		c.Counts[k] = m
	}
	c.ByStage = make(map[muster.Stage]int, len(st.ByStage))
	for k, v := range st.ByStage {
		c.ByStage[k] = v
	}
	if st.BacklogHours != nil {
		h := *st.BacklogHours
		c.BacklogHours = &h
	}
	return &c
}

// status counts; reg, when given, are the registrations and people
// screened, still current, so only the live people's index is read.
func (s *Store) status(ctx context.Context, scope Scope, reg *registryCounts) (*Status, error) {
	op, err := s.Operation(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	st := &Status{Operation: op.Name, At: now, Categories: append([]muster.Category(nil), op.Categories...), Stages: muster.Stages,
		Counts: map[muster.Category]map[muster.Stage]int{}, ByStage: map[muster.Stage]int{}, Throughput: make([]int, 24)}
	for _, c := range st.Categories {
		st.Counts[c] = map[muster.Stage]int{}
	}
	// One pass over the live people's index, with each person's
	// registrations and screening looked up by key: joins from
	// registrations or screened to persons read the people's table pages.
	registry := `CAST(SUM((SELECT COUNT(*) FROM registrations r WHERE r.person_id = p.id)) AS BIGINT),
		CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM screened x WHERE x.person_id = p.id) THEN 1 ELSE 0 END) AS BIGINT)`
	if reg != nil {
		st.Registrations, st.Screening.Screened = reg.registrations, reg.screened
		registry = `0, 0`
	}
	rows, err := s.db.QueryContext(ctx, `SELECT p.category, p.stage, COUNT(*), `+registry+`
		FROM persons p WHERE p.merged_into IS NULL AND ($1 = '' OR p.partner = $1) GROUP BY p.category, p.stage`, scope.Partner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var cat, stage string
		var n, regs, screened int
		if err := rows.Scan(&cat, &stage, &n, &regs, &screened); err != nil {
			return nil, err
		}
		c := muster.Category(cat)
		if c == "" {
			c = uncategorised
		}
		if st.Counts[c] == nil {
			st.Counts[c] = map[muster.Stage]int{}
			st.Categories = append(st.Categories, c)
		}
		st.Counts[c][muster.Stage(stage)] += n
		st.add(muster.Stage(stage), n)
		st.Registrations += regs
		st.Screening.Screened += screened
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	if err := s.hitCounts(ctx, scope, &st.Screening); err != nil {
		return nil, err
	}
	hour := now.Truncate(time.Hour)
	since := hour.Add(-23 * time.Hour)
	// The literals match the partial index events_departed (migration 0010).
	rows2, err := s.db.QueryContext(ctx, `SELECT at FROM events WHERE type = '`+muster.EventStage+`' AND to_stage = '`+string(muster.StageDeparted)+`'
		AND at >= $1 AND ($2 = '' OR partner = $2)`, since.UnixMicro(), scope.Partner)
	if err != nil {
		return nil, err
	}
	defer rows2.Close()
	total := 0
	for rows2.Next() {
		var at int64
		if err := rows2.Scan(&at); err != nil {
			return nil, err
		}
		i := int(time.UnixMicro(at).UTC().Sub(since) / time.Hour)
		if i >= 0 && i < 24 {
			st.Throughput[i]++
			total++
		}
	}
	if err := rows2.Err(); err != nil {
		return nil, err
	}
	if total > 0 {
		// Average over the hours since the first departure in the window, so
		// an operation that started two hours ago is not diluted by 22 empty ones.
		first := 0
		for first < 24 && st.Throughput[first] == 0 {
			first++
		}
		hours := float64(24-first-1) + float64(now.Sub(hour))/float64(time.Hour)
		if hours < 1 {
			hours = 1
		}
		h := float64(st.Totals.StillLeft) / (float64(total) / hours)
		st.BacklogHours = &h
	}
	return st, nil
}

func (st *Status) add(stage muster.Stage, n int) {
	st.ByStage[stage] += n
	st.Totals.Registered += n
	switch {
	case stage.Out():
		st.Totals.Out += n
	case stage == muster.StageWithdrawn:
		st.Totals.Withdrawn += n
	case stage == muster.StageDenied:
		st.Totals.Denied += n
	default:
		if stage == muster.StageNoShow {
			st.Totals.NoShow += n
		}
		st.Totals.StillLeft += n
	}
}

// ReplayStages rebuilds every live person's stage from the event log alone.
// Tests and `muster audit verify` compare it with the counts Status uses.
func (s *Store) ReplayStages(ctx context.Context) (map[int64]muster.Stage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT person_id, type, to_stage FROM events WHERE person_id IS NOT NULL ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]muster.Stage{}
	for rows.Next() {
		var id int64
		var typ, to string
		if err := rows.Scan(&id, &typ, &to); err != nil {
			return nil, err
		}
		switch {
		case typ == muster.EventMerged && to == "":
			delete(out, id) // merged away: counted in the survivor
		case to != "":
			out[id] = muster.Stage(to)
		}
	}
	return out, rows.Err()
}

// ProjectedStages returns every live person's stage as Status counts it.
func (s *Store) ProjectedStages(ctx context.Context) (map[int64]muster.Stage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, stage FROM persons WHERE merged_into IS NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]muster.Stage{}
	for rows.Next() {
		var id int64
		var st string
		if err := rows.Scan(&id, &st); err != nil {
			return nil, err
		}
		out[id] = muster.Stage(st)
	}
	return out, rows.Err()
}

// Package ops wires muster's engines to its store: it runs screening (and,
// as they land, resolution and movement) over the people in the database,
// keeping the in-memory indexes current. Commands and the web server use
// it; it holds no SQL (that is internal/store's) and no matching logic
// (that is internal/screen's and internal/names').
package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"muster"
	"muster/internal/lists"
	"muster/internal/screen"
	"muster/internal/store"
)

// Screener screens the people in a store against the lists loaded into
// it. It is safe for concurrent use.
type Screener struct {
	store     *store.Store
	threshold float64

	mu      sync.RWMutex
	ix      *screen.Index
	entries int
}

// NewScreener builds the screening index from the lists in the store.
// threshold 0 means screen.GateThreshold.
func NewScreener(ctx context.Context, s *store.Store, threshold float64) (*Screener, error) {
	if threshold == 0 {
		threshold = screen.GateThreshold
	}
	sc := &Screener{store: s, threshold: threshold}
	return sc, sc.Reload(ctx)
}

// Reload rebuilds the index from the store (after another server loaded a
// list version).
func (sc *Screener) Reload(ctx context.Context) error {
	entries, err := sc.store.ListEntries(ctx)
	if err != nil {
		return err
	}
	ix := screen.NewIndex(entries)
	sc.mu.Lock()
	sc.ix, sc.entries = ix, len(entries)
	sc.mu.Unlock()
	return nil
}

// Entries returns how many list entries the index holds.
func (sc *Screener) Entries() int {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.entries
}

// Index returns the current index (for ad-hoc name queries).
func (sc *Screener) Index() *screen.Index {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.ix
}

// LoadResult says what loading list files did.
type LoadResult struct {
	Lists     []*store.ListLoad   `json:"lists"`
	Rescreen  store.ScreenSummary `json:"rescreen"`
	Rescanned int                 `json:"people_rescreened"`
}

// LoadEntries stores new versions of the lists the entries belong to and
// re-screens everyone, but only against the entries that were added or
// whose names, dates, nationalities or sex changed.
func (sc *Screener) LoadEntries(ctx context.Context, actor, source string, entries []lists.Entry) (*LoadResult, error) {
	byList := map[string][]lists.Entry{}
	for _, e := range entries {
		byList[e.List] = append(byList[e.List], e)
	}
	names := make([]string, 0, len(byList))
	for l := range byList {
		names = append(names, l)
	}
	sort.Strings(names)
	res := &LoadResult{}
	var changed []lists.Entry
	keys := map[string]bool{}
	for _, l := range names {
		ld, err := sc.store.LoadList(ctx, actor, l, source, byList[l])
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", l, err)
		}
		res.Lists = append(res.Lists, ld)
		want := map[string]bool{}
		for _, id := range ld.Rescreen {
			want[id] = true
		}
		for _, e := range byList[l] {
			if want[e.ID] {
				changed = append(changed, e)
				keys[e.Key()] = true
			}
		}
	}
	if err := sc.Reload(ctx); err != nil {
		return nil, err
	}
	if len(changed) == 0 {
		return res, nil
	}
	// Screen everyone against the changed entries only.
	sub := screen.NewIndex(changed)
	n, sum, err := sc.screenWhere(ctx, actor, sub, keys, store.PeopleFilter{})
	if err != nil {
		return nil, err
	}
	res.Rescreen, res.Rescanned = sum, n
	return res, nil
}

// LoadPath loads list files (a file or a folder, format detected).
func (sc *Screener) LoadPath(ctx context.Context, actor, path string) (*LoadResult, error) {
	entries, err := lists.Load(path)
	if err != nil {
		return nil, err
	}
	return sc.LoadEntries(ctx, actor, path, entries)
}

// ScreenPeople screens the given people against every list.
func (sc *Screener) ScreenPeople(ctx context.Context, actor string, ids []int64) (store.ScreenSummary, error) {
	var total store.ScreenSummary
	ix := sc.Index()
	for len(ids) > 0 {
		n := min(len(ids), 2000)
		_, sum, err := sc.screenWhere(ctx, actor, ix, nil, store.PeopleFilter{IDs: ids[:n]})
		if err != nil {
			return total, err
		}
		addSummary(&total, sum)
		ids = ids[n:]
	}
	return total, nil
}

// ScreenAll screens every live person against every list.
func (sc *Screener) ScreenAll(ctx context.Context, actor string) (store.ScreenSummary, error) {
	_, sum, err := sc.screenWhere(ctx, actor, sc.Index(), nil, store.PeopleFilter{})
	return sum, err
}

func addSummary(dst *store.ScreenSummary, s store.ScreenSummary) {
	dst.People += s.People
	dst.NewHits += s.NewHits
	dst.Reopened += s.Reopened
	dst.Kept += s.Kept
	dst.Withdrawn += s.Withdrawn
}

// screenWhere screens the people f selects, page by page, against ix;
// entries, when set, limits which stored hits the results replace.
func (sc *Screener) screenWhere(ctx context.Context, actor string, ix *screen.Index, entries map[string]bool, f store.PeopleFilter) (int, store.ScreenSummary, error) {
	var total store.ScreenSummary
	people := 0
	f.Limit = 5000
	for {
		ps, err := sc.store.People(ctx, f)
		if err != nil {
			return people, total, err
		}
		if len(ps) == 0 {
			return people, total, nil
		}
		qs := make([]screen.Query, len(ps))
		for i, p := range ps {
			qs[i] = screen.QueryFromPerson(p)
		}
		// Registrants are people: an organisation's name that happens to
		// contain a person's first name is not a hit on them.
		hits, err := ix.ScreenAll(ctx, qs, screen.Options{Threshold: sc.threshold, Types: []string{lists.TypeIndividual}}, nil)
		if err != nil {
			return people, total, err
		}
		results := make([]store.Screening, len(ps))
		for i, p := range ps {
			results[i] = store.Screening{PersonID: p.ID, Digest: sc.digest(qs[i])}
			for _, h := range hits[i] {
				results[i].Hits = append(results[i].Hits, store.HitRecord{List: h.List, EntryID: h.EntryID, Score: h.Score,
					Programs: h.Programs, NameMatched: h.NameMatched, Query: h.Query, Explanation: h.Explanation})
			}
		}
		sum, err := sc.store.SaveScreening(ctx, actor, results, entries)
		if err != nil {
			return people, total, err
		}
		addSummary(&total, sum)
		people += len(ps)
		f.AfterID = ps[len(ps)-1].ID
		if len(f.IDs) > 0 {
			return people, total, nil // an id list is one page
		}
	}
}

// digest identifies what was screened about a person, so that a decision
// holds until their names, date of birth, nationalities or sex change. It
// is keyed (a blind index), so it says nothing about the values.
func (sc *Screener) digest(q screen.Query) []byte {
	q.ID = ""
	b, _ := json.Marshal(q)
	return sc.store.Vault().Blind("screened", string(b))
}

// Name screens one name (and optional date of birth) against every list,
// for `muster screen name` and the API.
func (sc *Screener) Name(name string, dob muster.Date, top int) []screen.Hit {
	return sc.Index().Screen(screen.Query{Names: []string{name}, DOB: dob}, screen.Options{Threshold: 0.5, Top: top})
}

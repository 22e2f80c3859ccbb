// Package screen owns screening: an index over watchlist entries that finds,
// for a person, the entries one of whose names is one of the person's names,
// qualified by date of birth, nationality and sex, with an explanation a
// screener can check. Name similarity is muster/internal/names; this package
// adds candidate retrieval (no query ever scans the list), the qualifiers
// and the hit.
package screen

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"muster"
	"muster/internal/lists"
	"muster/internal/names"
)

// GateThreshold is the score at or above which a person is held for a
// screener at a gate. It was chosen at the knee of the curve measured by
// TestMeasure (go test ./internal/screen -run TestMeasure -measure -v;
// figures in README.md): lowering it from 0.80 to 0.75 finds 8 more points
// of held-out SDN individual aliases (0.670 -> 0.753) for 2 more points of
// generated Afghan registrants held (3.7% -> 5.7%), while going on to 0.70
// buys under 4 points of recall for the next 2 points held. At a gate a
// missed listed person costs more than a screener's minute, so the gate sits
// at the knee and below the name engine's same-person threshold.
const GateThreshold = 0.75

// Qualifier adjustments, applied to the best name score of an individual
// entry. Agreement raises, clear disagreement lowers, absence is neutral.
// They are small next to the name score on purpose: lists carry wrong and
// alternative dates, and registrants give approximate ones, so dates decide
// between near names but never make a poor name match a hit or clear an
// exact one.
const (
	dobExactBonus     = 0.06  // same day
	dobYearBonus      = 0.03  // same year, or inside the listed range
	dobNearPenalty    = -0.04 // 3 to 5 years outside every listed date
	dobFarPenalty     = -0.10 // 6 to 10 years
	dobVeryFarPenalty = -0.30 // over 10 years: not the same person unless a date is wrong.
	// It takes even an exact name under GateThreshold: this is what stops a
	// shared "Mohammad Hassan" holding a child born decades after the
	// listed man; the screener still sees it at a lower threshold.
	natAgreeBonus     = 0.03
	natDisagree       = -0.05 // weak: dual nationals, Afghans on Pakistani papers
	sexDisagree       = -0.10
	lowQualityFactor  = 0.92 // OFAC "weak" and UN "Low" aliases: too broad to hold on alone
	approxSlack       = 2    // years either side of a "circa" date
	maxQualifierBoost = dobExactBonus + natAgreeBonus
)

// Query is one person to screen: every name they have (Latin, native
// script, aliases) and what qualifies a name match.
type Query struct {
	ID            string // the caller's id (source_id), copied into hits
	Names         []string
	DOB           muster.Date
	Nationalities []string // ISO 3166-1 alpha-2
	Sex           muster.Sex
}

// QueryFromRecord builds the query for a registration row: given+family,
// the full name and the native-script name, without repeats.
func QueryFromRecord(r *muster.Record) Query {
	p := muster.Person{Given: r.Given, Family: r.Family, FullName: r.FullName, NativeName: r.NativeName}
	return Query{ID: r.SourceID, Names: p.Names(), DOB: r.DOB, Nationalities: r.Nationalities, Sex: r.Sex}
}

// QueryFromPerson builds the query for a resolved person.
func QueryFromPerson(p *muster.Person) Query {
	return Query{ID: fmt.Sprint(p.ID), Names: p.Names(), DOB: p.DOB, Nationalities: p.Nationalities, Sex: p.Sex}
}

// Hit is one entry a person may be.
type Hit struct {
	QueryID     string       `json:"query_id,omitempty"`
	List        string       `json:"list"`
	EntryID     string       `json:"entry_id"`
	Type        string       `json:"type"`
	Programs    []string     `json:"programs,omitempty"`
	Score       float64      `json:"score"`      // name score adjusted by the qualifiers, in [0,1]
	NameScore   float64      `json:"name_score"` // the name engine's score of the best name pair
	NameMatched string       `json:"name_matched"`
	Query       string       `json:"query"` // the person's name that matched
	Explanation string       `json:"explanation"`
	Entry       *lists.Entry `json:"-"`
}

// Options tune one screening call.
type Options struct {
	Threshold float64 // hits below it are dropped; 0 means GateThreshold
	Top       int     // keep at most this many hits per person, best first; 0 keeps all
	// Types restricts the entry types screened; nil means individuals and
	// entities (a person is never a vessel or an aircraft).
	Types []string
	// Only, when not nil, restricts screening to the entries whose Key is
	// in it: after a list update, screening everyone against
	// ChangedKeys(delta) finds every hit the update can have created while
	// scoring as the full index does.
	Only map[string]bool
}

// ChangedKeys returns the keys of the entries a list update added, or
// changed in a way that can alter a screening result. Hits on removed
// entries are the caller's to withdraw.
func ChangedKeys(d lists.Delta) map[string]bool {
	keys := make(map[string]bool, len(d.Added)+len(d.Changed))
	for i := range d.Added {
		keys[d.Added[i].Key()] = true
	}
	for _, c := range d.Changed {
		if c.AffectsScreening() {
			keys[c.New.Key()] = true
		}
	}
	return keys
}

// indexedName is one name of one entry, prepared once.
type indexedName struct {
	entry int32
	low   bool
	p     *names.Prepared
}

// Index is a read-only index over list entries; it is safe for concurrent
// use once built.
type Index struct {
	entries  []lists.Entry
	names    []indexedName
	postings map[string][]int32
	matcher  names.Matcher
	cache    nameCache
}

// cand is one list name a query name scored against, at or above
// cacheFloor.
type cand struct {
	name  int32
	score float64
}

// cacheFloor is the lowest name score remembered. Screening thresholds
// below it would miss candidates the cache dropped, so Screen bypasses the
// cache for them.
const cacheFloor = 0.5

// nameCache remembers, per query name, the list names it scored against.
// Registrants share names (a registry of a million Afghans holds far fewer
// distinct full names), so a batch screens each distinct name once. Shards
// are cleared when full: eviction by generation, cheap and bounded.
type nameCache struct {
	shards [64]cacheShard
}

type cacheShard struct {
	mu sync.Mutex
	m  map[string][]cand
}

const cacheShardMax = 1 << 13 // 64 shards x 8,192 names

func (c *nameCache) shard(k string) *cacheShard {
	var h uint32 = 2166136261
	for i := 0; i < len(k); i++ {
		h = (h ^ uint32(k[i])) * 16777619
	}
	return &c.shards[h%uint32(len(c.shards))]
}

func (c *nameCache) get(k string) ([]cand, bool) {
	s := c.shard(k)
	s.mu.Lock()
	v, ok := s.m[k]
	s.mu.Unlock()
	return v, ok
}

func (c *nameCache) put(k string, v []cand) {
	s := c.shard(k)
	s.mu.Lock()
	if s.m == nil || len(s.m) >= cacheShardMax {
		s.m = make(map[string][]cand)
	}
	s.m[k] = v
	s.mu.Unlock()
}

// candidates returns every list name that qp's retrieval keys reach and
// that scores at least floor against it.
func (ix *Index) candidates(qp *names.Prepared, floor float64, seen *seenSet) []cand {
	var out []cand
	seen.next(len(ix.names))
	for _, k := range names.Keys(qp) {
		for _, id := range ix.postings[k] {
			if seen.stamp[id] == seen.gen {
				continue
			}
			seen.stamp[id] = seen.gen
			n := &ix.names[id]
			s := ix.matcher.Score(qp, n.p)
			if n.low {
				s *= lowQualityFactor
			}
			if s >= floor {
				out = append(out, cand{name: id, score: s})
			}
		}
	}
	return out
}

// seenSet marks the list names a query has scored: a generation stamp per
// name, so that starting a query costs nothing (a map had to be cleared).
type seenSet struct {
	stamp []uint32
	gen   uint32
}

var seenPool = sync.Pool{New: func() any { return new(seenSet) }}

// next starts a new query over n names.
func (s *seenSet) next(n int) {
	if len(s.stamp) < n {
		s.stamp = make([]uint32, n)
		s.gen = 0
	}
	s.gen++
	if s.gen == 0 { // wrapped: old stamps could collide
		clear(s.stamp)
		s.gen = 1
	}
}

// NewIndex prepares every name of every entry and indexes it under the name
// engine's retrieval keys. Token frequencies for weighting come from the
// list names themselves, and so do translations: words left over together
// when the names of one organisation are aligned, over many organisations
// (names.LearnTranslations). Both are learnt from entries alone, so an
// index never knows more than the names given to it.
func NewIndex(entries []lists.Entry) *Index {
	ix := &Index{entries: entries, postings: map[string][]int32{}}
	freq := names.NewFreq()
	var groups [][]*names.Prepared
	for i := range entries {
		e := &entries[i]
		var group []*names.Prepared
		for _, n := range e.Names {
			if strings.TrimSpace(n.Name) == "" {
				continue
			}
			p := names.Prepare(n.Name)
			id := int32(len(ix.names))
			ix.names = append(ix.names, indexedName{entry: int32(i), low: n.Quality == lists.QualityLow, p: p})
			for _, k := range names.Keys(p) {
				ix.postings[k] = append(ix.postings[k], id)
			}
			freq.Add(n.Name)
			if n.Script == lists.ScriptLatin {
				group = append(group, p)
			}
		}
		// Organisations only: people's aliases are spellings, noms de
		// guerre and other names, not translations.
		if e.Type == lists.TypeEntity && len(group) > 1 {
			groups = append(groups, group)
		}
	}
	ix.matcher = names.Matcher{Freq: freq, Trans: names.LearnTranslations(groups)}
	for i := range ix.names {
		ix.matcher.Bind(ix.names[i].p)
	}
	return ix
}

// Translations are the word pairs the index learnt from its entries.
func (ix *Index) Translations() *names.Translations { return ix.matcher.Trans }

// Len is the number of entries indexed.
func (ix *Index) Len() int { return len(ix.entries) }

// Names is the number of entry names indexed.
func (ix *Index) Names() int { return len(ix.names) }

// best is the best name pair found so far for one entry.
type best struct {
	score  float64
	query  int // index into the query's prepared names
	name   int32
	exists bool
}

// Screen returns the hits for one person, best first.
func (ix *Index) Screen(q Query, opt Options) []Hit {
	threshold := opt.Threshold
	if threshold <= 0 {
		threshold = GateThreshold
	}
	allowed := opt.Types
	if allowed == nil {
		allowed = []string{lists.TypeIndividual, lists.TypeEntity}
	}
	var qnames []string
	for _, s := range q.Names {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		dup := false
		for _, o := range qnames {
			dup = dup || o == s
		}
		if !dup {
			qnames = append(qnames, s)
		}
	}
	if len(qnames) == 0 {
		return nil
	}
	// Names are prepared only when the cache does not answer for them or
	// when a hit needs its explanation.
	qps := make([]*names.Prepared, len(qnames))
	prep := func(i int) *names.Prepared {
		if qps[i] == nil {
			qps[i] = names.Prepare(qnames[i])
			ix.matcher.Bind(qps[i])
		}
		return qps[i]
	}
	// A name pair can reach the threshold only if its name score is at
	// least threshold minus the largest qualifier boost.
	floor := threshold - maxQualifierBoost
	seen := seenPool.Get().(*seenSet)
	defer seenPool.Put(seen)
	bests := make(map[int32]*best, 16)
	for qi, qn := range qnames {
		var cs []cand
		if floor >= cacheFloor {
			var ok bool
			if cs, ok = ix.cache.get(qn); !ok {
				cs = ix.candidates(prep(qi), cacheFloor, seen)
				ix.cache.put(qn, cs)
			}
		} else {
			cs = ix.candidates(prep(qi), floor, seen)
		}
		for _, c := range cs {
			s := c.score
			if s < floor {
				continue
			}
			n := &ix.names[c.name]
			if !typeAllowed(ix.entries[n.entry].Type, allowed) {
				continue
			}
			if opt.Only != nil && !opt.Only[ix.entries[n.entry].Key()] {
				continue
			}
			b := bests[n.entry]
			if b == nil {
				b = &best{}
				bests[n.entry] = b
			}
			if !b.exists || s > b.score {
				*b = best{score: s, query: qi, name: c.name, exists: true}
			}
		}
	}
	var hits []Hit
	for ei, b := range bests {
		e := &ix.entries[ei]
		score, notes := qualify(b.score, q, e)
		if score < threshold {
			continue
		}
		n := &ix.names[b.name]
		r := ix.matcher.Compare(prep(b.query), n.p)
		expl := r.Explain()
		if n.low {
			expl += fmt.Sprintf("; low-quality alias x%.2f", lowQualityFactor)
		}
		if len(notes) > 0 {
			expl += "; " + strings.Join(notes, "; ")
		}
		hits = append(hits, Hit{
			QueryID: q.ID, List: e.List, EntryID: e.ID, Type: e.Type, Programs: e.Programs,
			Score: score, NameScore: b.score, NameMatched: n.p.Orig, Query: qnames[b.query],
			Explanation: expl, Entry: e,
		})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Score != hits[j].Score {
			return hits[i].Score > hits[j].Score
		}
		if hits[i].List != hits[j].List {
			return hits[i].List < hits[j].List
		}
		return hits[i].EntryID < hits[j].EntryID
	})
	if opt.Top > 0 && len(hits) > opt.Top {
		hits = hits[:opt.Top]
	}
	return hits
}

func typeAllowed(t string, allowed []string) bool {
	for _, a := range allowed {
		if a == t {
			return true
		}
	}
	return false
}

// ScreenAll screens every query on all cores and returns the hits of
// qs[i] at index i. progress, when not nil, is called now and then with the
// number of queries done; it must be safe to call from several goroutines.
func (ix *Index) ScreenAll(ctx context.Context, qs []Query, opt Options, progress func(done int)) ([][]Hit, error) {
	out := make([][]Hit, len(qs))
	workers := runtime.GOMAXPROCS(0)
	const chunk = 256
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				start := int(next.Add(chunk)) - chunk
				if start >= len(qs) {
					return
				}
				end := min(start+chunk, len(qs))
				for i := start; i < end; i++ {
					out[i] = ix.Screen(qs[i], opt)
				}
				d := done.Add(int64(end - start))
				if progress != nil {
					progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

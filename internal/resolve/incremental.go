package resolve

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"muster"
)

// A Linker links records one at a time, on arrival, against the records it
// already holds: the same blocking rules and caps as a batch run, but over
// in-memory indexes kept current (blocking key -> records), the same
// comparators, and a model trained once by a batch run and reused. Each
// record starts in the cluster the caller names (in muster, its person);
// the record's strongest pairs then propose merges of its cluster with
// others, checked as the batch clustering checks them (no forbidden pair
// across the two clusters, mean match probability over all pairs across
// them at least Link). A merge keeps the smaller cluster id, so ids stay
// stable: a record never changes cluster unless a merge absorbs its
// cluster. Records arriving as families (one source's case) are linked
// together with AddGroup, which weighs them with the batch's family
// evidence (linker_case.go). A Linker is safe for concurrent use.
type Linker struct {
	mu    sync.Mutex
	d     *Data
	opt   Options
	model *Model
	minW  float64
	rules []*ruleIndex

	cluster []int64 // per record
	dead    []bool  // replaced or erased records, no longer linked against
	live    int
	members map[int64][]int32
	// alias lists the cluster ids a cluster has absorbed, itself first:
	// cannot-links name clusters as they were when a reviewer decided.
	alias  map[int64][]int64
	cannot map[[2]int64]bool
	gone   map[int64]int64 // absorbed cluster -> the one that absorbed it
	rng    *rand.Rand
	keyBuf []string
	// gsize counts each group's live records, gmembers lists its records
	// (removed ones too), for family evidence (AddGroup).
	gsize    []int32
	gmembers [][]int32
	// famTerm is the family evidence of pairs that merged or went to
	// review, for Explain.
	famTerm map[uint64]Term
}

// Merge is one merge a link made: cluster Absorbed joined Into, proposed
// by the pair of records I (the new one) and J with match probability Prob.
type Merge struct {
	Into, Absorbed int64
	I, J           int
	Prob           float64
}

// Linked is what linking one record did.
type Linked struct {
	Record     int   // the record's index
	Cluster    int64 // the cluster it ended in
	Merges     []Merge
	Refused    int          // merges a cannot-link rule or a reviewer forbade
	Review     []ReviewPair // doubtful pairs across clusters, strongest first
	Candidates int          // records blocking paired it with
}

// NewLinker indexes the records of d for linking with model m (from a
// batch run over d or an earlier set of the same fields). cluster gives
// each record's cluster id (nil: record i in cluster i). The Linker owns d
// from then on. opt.MustLink and opt.CannotLink are not used: a Linker's
// clusters already hold the must-links, and cannot-links name clusters
// (CannotLink).
func NewLinker(d *Data, opt Options, m *Model, cluster []int64) (*Linker, error) {
	opt.defaults()
	if err := m.Fits(d); err != nil {
		return nil, err
	}
	if len(opt.Rules) > 32 {
		return nil, fmt.Errorf("resolve: %d blocking rules, at most 32", len(opt.Rules))
	}
	if cluster != nil && len(cluster) != d.Len() {
		return nil, fmt.Errorf("resolve: %d cluster ids for %d records", len(cluster), d.Len())
	}
	if opt.SortKey == nil {
		opt.SortKey = func(i int) string { return d.IDs[i] }
	}
	if m.w == nil {
		m.finish()
	}
	l := &Linker{d: d, opt: opt, model: m, minW: math.Log2(opt.Threshold / (1 - opt.Threshold)),
		members: map[int64][]int32{}, alias: map[int64][]int64{}, cannot: map[[2]int64]bool{}, gone: map[int64]int64{},
		rng: rand.New(rand.NewPCG(opt.Seed, 7))}
	d.extend()
	n := d.Len()
	l.cluster, l.dead, l.live = make([]int64, n), make([]bool, n), n
	for i := range n {
		c := int64(i)
		if cluster != nil {
			c = cluster[i]
		}
		l.cluster[i] = c
		l.join(c, int32(i))
	}
	l.indexGroups()
	l.rules = make([]*ruleIndex, len(opt.Rules))
	rk := sortRanks(n, opt.SortKey)
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for ri := range opt.Rules {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			l.rules[ri] = buildRuleIndex(d, opt.Rules[ri], opt.MaxBlock, rk)
		}()
	}
	wg.Wait()
	return l, nil
}

func (l *Linker) join(c int64, i int32) {
	if _, ok := l.alias[c]; !ok {
		l.alias[c] = []int64{c}
	}
	l.members[c] = append(l.members[c], i)
}

// Fits reports whether m was trained on d's fields and levels.
func (m *Model) Fits(d *Data) error {
	if m == nil {
		return errors.New("resolve: no model")
	}
	if len(m.Fields) != len(d.Fields) || len(m.M) != len(d.Fields) || len(m.U) != len(d.Fields) || len(m.Levels) != len(d.Fields) {
		return fmt.Errorf("resolve: model has %d fields, data %d", len(m.Fields), len(d.Fields))
	}
	for f := range d.Fields {
		nl := len(d.Fields[f].Cmp.Levels())
		if m.Fields[f] != d.Fields[f].Name || len(m.M[f]) != nl || len(m.U[f]) != nl || len(m.Levels[f]) != nl {
			return fmt.Errorf("resolve: model field %d is %s with %d levels, data has %s with %d", f, m.Fields[f], len(m.M[f]), d.Fields[f].Name, nl)
		}
		for l := range nl {
			// Zero happens on tiny data (every phone the same): the batch
			// lives with it, and so does the Linker.
			if !(m.M[f][l] >= 0 && m.M[f][l] <= 1) || !(m.U[f][l] >= 0 && m.U[f][l] <= 1) {
				return fmt.Errorf("resolve: model field %s level %d: m %g u %g", m.Fields[f], l, m.M[f][l], m.U[f][l])
			}
		}
	}
	return nil
}

// LoadModel reads a model written with encoding/json (as a store keeps
// it). It holds probabilities only, no values.
func LoadModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("resolve: model: %w", err)
	}
	if len(m.M) != len(m.U) {
		return nil, fmt.Errorf("resolve: model: %d m rows, %d u rows", len(m.M), len(m.U))
	}
	for f := range m.M {
		if len(m.M[f]) != len(m.U[f]) {
			return nil, fmt.Errorf("resolve: model field %d: %d m levels, %d u levels", f, len(m.M[f]), len(m.U[f]))
		}
	}
	m.finish()
	return &m, nil
}

// Model returns the model the Linker scores with.
func (l *Linker) Model() *Model {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.model
}

// Learn refines the model with pairs of the Linker's records that
// reviewers called the same person, as a batch run does with its
// must-links: m is recomputed from EM's estimate and all of these labels
// (not added to earlier ones), so calling it again with every decision so
// far is how a Linker keeps learning between batch runs. Pairs naming a
// removed record are skipped. It returns how many labels it used.
func (l *Linker) Learn(same [][2]int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	base := l.model.EM
	if base == nil {
		base = l.model.M
	}
	var gs []uint64
	for _, p := range same {
		i, j := p[0], p[1]
		if i == j || min(i, j) < 0 || max(i, j) >= len(l.dead) || l.dead[i] || l.dead[j] {
			continue
		}
		g, _ := l.d.gamma(int32(i), int32(j))
		gs = append(gs, g)
	}
	m := *l.model
	m.M, m.EM, m.Labels = base, nil, len(gs)
	if len(gs) > 0 {
		m.M, m.EM = refineM(base, gs, l.opt.LabelWeight), base
	}
	m.finish()
	l.model = &m
	return len(gs)
}

// Add appends a record (values as Data.Add takes them) in cluster c (or
// the cluster that absorbed c) and links it. Pairs from lo up that end in
// different clusters are returned for review. It is linked alone, with
// no family evidence: AddGroup links the members of a case together.
func (l *Linker) Add(id, group string, values []string, c int64, lo float64) (Linked, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	res, err := l.add([]Arrival{{ID: id, Group: group, Values: values, Cluster: c}}, lo, false)
	if err != nil {
		return Linked{}, err
	}
	return res[0], nil
}

// AddRecord adds and links a muster registration (the Linker's data made by
// NewRegistrations).
func (l *Linker) AddRecord(r *muster.Record, c int64, lo float64) (Linked, error) {
	id, group, v := RecordValues(r)
	return l.Add(id, group, v, c, lo)
}

// Remove takes record i out of linking (a registration replaced by a newer
// version, or erased). Its index stays taken.
func (l *Linker) Remove(i int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 || i >= len(l.dead) || l.dead[i] {
		return
	}
	l.dead[i] = true
	l.live--
	if g := l.d.Group[i]; g >= 0 {
		l.gsize[g]--
	}
	c := l.cluster[i]
	ms := slices.DeleteFunc(l.members[c], func(x int32) bool { return x == int32(i) })
	if len(ms) == 0 {
		delete(l.members, c)
	} else {
		l.members[c] = ms
	}
}

// CannotLink records that clusters a and b are different people (a
// reviewer's decision, an undone merge): no link merges them, nor the
// clusters that later absorb them.
func (l *Linker) CannotLink(a, b int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cannot[[2]int64{min(a, b), max(a, b)}] = true
}

// Cluster returns record i's cluster.
func (l *Linker) Cluster(i int) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cluster[i]
}

// Clusters returns every record's cluster (removed records' last one).
func (l *Linker) Clusters() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.cluster)
}

// Current returns the cluster that cluster c now is: itself, or the one
// that absorbed it.
func (l *Linker) Current(c int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.current(c)
}

// Len returns how many records the Linker holds, removed ones included;
// Live without them; NumClusters how many clusters they form.
func (l *Linker) Len() int  { l.mu.Lock(); defer l.mu.Unlock(); return len(l.cluster) }
func (l *Linker) Live() int { l.mu.Lock(); defer l.mu.Unlock(); return l.live }
func (l *Linker) NumClusters() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.members)
}

// Explain lays out, field by field, why records i and j score as they do,
// and the family evidence when AddGroup found some for the pair.
func (l *Linker) Explain(i, j int) []Term {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := explain(l.d, l.model, min(i, j), max(i, j))
	if t, ok := l.famTerm[pairOf(int32(i), int32(j))]; ok {
		out = append(out, t)
	}
	return out
}

// prior is the log2 prior odds that two random records match, for the
// records held now: the trained number of matches scaled to them, as a
// batch run over them would estimate it.
func (l *Linker) prior() float64 {
	m := l.model
	n := float64(l.live)
	if m.Records <= 0 || n < 2 {
		lam := min(max(m.Lambda, 1e-12), 0.5)
		return math.Log2(lam / (1 - lam))
	}
	matches := m.Matches * n / float64(m.Records)
	lam := min(max(matches, 1)/(n*(n-1)/2), 0.5)
	return math.Log2(lam / (1 - lam))
}

// veto applies the record-level cannot-link rules: field vetoes come with
// gamma, groups (one source's case) and Options.Veto (siblings) here.
func (l *Linker) veto(i, j int32, g uint64) bool {
	d := l.d
	if d.Group[i] >= 0 && d.Group[i] == d.Group[j] {
		return true
	}
	return l.opt.Veto != nil && l.opt.Veto(d, i, j, g)
}

// forbidden reports whether a reviewer kept clusters a and b apart.
func (l *Linker) forbidden(a, b int64) bool {
	if len(l.cannot) == 0 {
		return false
	}
	for _, x := range l.alias[a] {
		for _, y := range l.alias[b] {
			if l.cannot[[2]int64{min(x, y), max(x, y)}] {
				return true
			}
		}
	}
	return false
}

// score compares two records as the batch does (older record first).
func (l *Linker) score(x, y int32, prior float64) (logit float64, veto bool) {
	i, j := min(x, y), max(x, y)
	g, v := l.d.gamma(i, j)
	if !v {
		v = l.veto(i, j, g)
	}
	return weightOf(l.d, l.model, i, g) + prior, v
}

// current follows cluster c through the merges that absorbed it.
func (l *Linker) current(c int64) int64 {
	for {
		n, ok := l.gone[c]
		if !ok {
			return c
		}
		c = n
	}
}

func (l *Linker) merge(into, gone int64) {
	l.gone[gone] = into
	for _, i := range l.members[gone] {
		l.cluster[i] = into
	}
	l.members[into] = append(l.members[into], l.members[gone]...)
	l.alias[into] = append(l.alias[into], l.alias[gone]...)
	delete(l.members, gone)
	delete(l.alias, gone)
}

// ruleIndex is one blocking rule's index: blocks built at start in one
// sorted array (keys[k]'s records are ids[start[k]:start[k+1]], by sort key
// when the block is over the cap, as the batch pairs them), and the blocks
// of records added since in a map.
type ruleIndex struct {
	rule  Rule
	keys  []uint64
	start []int32
	ids   []int32
	more  map[uint64]*addedBlock
}

// addedBlock holds records added to one key since the index was built;
// once over the cap they are kept in sort-key order.
type addedBlock struct {
	ids    []int32
	sorted bool
}

// sortBySortKey orders records by sort key, then by index.
func sortBySortKey(ids []int32, sortKey func(int) string) {
	keys := make(map[int32]string, len(ids))
	for _, i := range ids {
		keys[i] = sortKey(int(i))
	}
	slices.SortFunc(ids, func(a, b int32) int {
		if c := strings.Compare(keys[a], keys[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}

func (ix *ruleIndex) base(h uint64) []int32 {
	k, ok := slices.BinarySearch(ix.keys, h)
	if !ok {
		return nil
	}
	return ix.ids[ix.start[k]:ix.start[k+1]]
}

// after returns the position of the first record of sorted ids whose sort
// key comes after key (x, the record placed, is newer than all of them).
func after(ids []int32, key string, sortKey func(int) string) int {
	p, _ := slices.BinarySearchFunc(ids, key, func(i int32, key string) int {
		if strings.Compare(sortKey(int(i)), key) <= 0 {
			return -1
		}
		return 1
	})
	return p
}

// keysOf returns record x's distinct keys under rule ri, hashed.
func (l *Linker) keysOf(ri int, x int32) []uint64 {
	l.keyBuf = l.opt.Rules[ri].Keys(l.d, int(x), l.keyBuf[:0])
	var hs []uint64
	for k, key := range l.keyBuf {
		if indexOf(l.keyBuf[:k], key) < 0 {
			hs = append(hs, maphash.String(seed, key))
		}
	}
	return hs
}

// candidates returns the live records blocking pairs with x: every record
// of a block up to the cap, else x's Window neighbours in sort-key order,
// as the batch pairs them.
func (l *Linker) candidates(x int32) []int32 {
	var out []int32
	var xKey string
	keyed := false
	w, capN := l.opt.Window, l.opt.MaxBlock
	for ri, ix := range l.rules {
		for _, h := range l.keysOf(ri, x) {
			base := ix.base(h)
			add := ix.more[h]
			var added []int32
			sorted := false
			if add != nil {
				added, sorted = add.ids, add.sorted
			}
			if len(base)+len(added)+1 <= capN {
				out = append(out, base...)
				out = append(out, added...)
				continue
			}
			if !keyed {
				xKey, keyed = l.opt.SortKey(int(x)), true
			}
			// The W neighbours on either side of x in the whole block are
			// among the W on either side in each sorted part.
			near := func(ids []int32, sorted bool) []int32 {
				if !sorted {
					return ids
				}
				p := after(ids, xKey, l.opt.SortKey)
				return ids[max(0, p-w):min(len(ids), p+w)]
			}
			pool := slices.Concat(near(base, len(base) > capN), near(added, sorted))
			sortBySortKey(pool, l.opt.SortKey)
			p := after(pool, xKey, l.opt.SortKey)
			out = append(out, pool[max(0, p-w):min(len(pool), p+w)]...)
		}
	}
	slices.Sort(out)
	out = slices.Compact(out)
	return slices.DeleteFunc(out, func(i int32) bool { return i == x || l.dead[i] })
}

// index adds record x to the blocks of its keys.
func (l *Linker) index(x int32) {
	var xKey string
	keyed := false
	for ri, ix := range l.rules {
		for _, h := range l.keysOf(ri, x) {
			b := ix.more[h]
			if b == nil {
				b = &addedBlock{}
				ix.more[h] = b
			}
			if !b.sorted {
				b.ids = append(b.ids, x)
				if len(b.ids) > l.opt.MaxBlock {
					sortBySortKey(b.ids, l.opt.SortKey)
					b.sorted = true
				}
				continue
			}
			if !keyed {
				xKey, keyed = l.opt.SortKey(int(x)), true
			}
			p := after(b.ids, xKey, l.opt.SortKey)
			b.ids = slices.Insert(b.ids, p, x)
		}
	}
}

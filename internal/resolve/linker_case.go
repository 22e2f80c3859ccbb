package resolve

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"muster"
)

// Family evidence in the Linker. An import brings families: the members of
// one case from one source (a group). Linked one record at a time, a case
// of five whose members each match their records in a case already held
// only weakly stays apart, and the lone namesake pair between two
// unrelated cases merges. AddGroup links the records of an arrival
// together and weighs each pair with the family evidence the batch run
// gives (family.go): the same bonus (the family's prior for the
// population's) when two members or more of each side match, the same
// hold just under the threshold for the only match between two groups of
// two members or more; then merges strongest pair first, as Add does.
//
// The strong pairs are the arrival's pairs that reach the threshold on
// their own fields, and, for members of the arrival's groups linked
// earlier (a source sending one more child of a case), the records their
// clusters already hold from other groups: a merge stands for the strong
// pair that made it.

// An Arrival is one record for AddGroup: its id, group and values as
// Data.Add takes them, and the cluster it starts in.
type Arrival struct {
	ID, Group string
	Values    []string
	Cluster   int64
}

// AddGroup appends records (one case's members, or several cases') and
// links them together with family evidence; it returns what linking did,
// one Linked per record in rs's order. Pairs from lo up that end in
// different clusters are returned for review, the lone matches between
// families among them. On error nothing was added.
func (l *Linker) AddGroup(rs []Arrival, lo float64) ([]Linked, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.add(rs, lo, true)
}

// AddCase is AddGroup for muster registrations (the Linker's data made by
// NewRegistrations): recs[k] starts in cluster clusters[k].
func (l *Linker) AddCase(recs []*muster.Record, clusters []int64, lo float64) ([]Linked, error) {
	if len(clusters) != len(recs) {
		return nil, fmt.Errorf("resolve: %d clusters for %d records", len(clusters), len(recs))
	}
	rs := make([]Arrival, len(recs))
	for k, r := range recs {
		id, g, v := RecordValues(r)
		rs[k] = Arrival{ID: id, Group: g, Values: v, Cluster: clusters[k]}
	}
	return l.AddGroup(rs, lo)
}

// indexGroups counts and lists the records of each group (a new Linker's,
// none removed yet).
func (l *Linker) indexGroups() {
	d := l.d
	l.gsize = make([]int32, len(d.groups))
	total := 0
	for _, g := range d.Group {
		if g >= 0 {
			l.gsize[g]++
			total++
		}
	}
	// One array for all, each group's part capped so that appending to
	// one moves it out rather than over the next.
	flat := make([]int32, total)
	l.gmembers = make([][]int32, len(d.groups))
	at := 0
	for g, n := range l.gsize {
		l.gmembers[g] = flat[at : at : at+int(n)]
		at += int(n)
	}
	for i, g := range d.Group {
		if g >= 0 {
			l.gmembers[g] = append(l.gmembers[g], int32(i))
		}
	}
}

func (l *Linker) joinGroup(x int32) {
	g := l.d.Group[x]
	if g < 0 {
		return
	}
	for int(g) >= len(l.gsize) {
		l.gsize = append(l.gsize, 0)
		l.gmembers = append(l.gmembers, nil)
	}
	l.gsize[g]++
	l.gmembers[g] = append(l.gmembers[g], x)
}

// add appends rs and links them, with family evidence when family is set.
func (l *Linker) add(rs []Arrival, lo float64, family bool) ([]Linked, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	for k, r := range rs {
		if len(r.Values) != len(l.d.Fields) {
			return nil, fmt.Errorf("resolve: record %d of %d: %d values for %d fields", k+1, len(rs), len(r.Values), len(l.d.Fields))
		}
	}
	first := int32(l.d.Len())
	xs := make([]int32, len(rs))
	for k, r := range rs {
		c := l.current(r.Cluster)
		if err := l.d.Add(r.ID, r.Group, r.Values); err != nil {
			return nil, err // the lengths were checked: not reached
		}
		x := first + int32(k)
		l.cluster = append(l.cluster, c)
		l.dead = append(l.dead, false)
		l.live++
		l.join(c, x)
		l.joinGroup(x)
		xs[k] = x
	}
	l.d.extend()
	return l.link(xs, lo, family), nil
}

// scoredPair is a new record x scored against another record y: w is the
// log2 odds on their own fields.
type scoredPair struct {
	x, y int32
	w    float64
	veto bool
}

// link scores the new records xs (consecutive, added to the data but not
// to the blocking indexes) against their candidates, each against those
// added before it, and merges their clusters as the batch clustering
// would, strongest pair first.
func (l *Linker) link(xs []int32, lo float64, family bool) []Linked {
	d := l.d
	first := xs[0]
	res := make([]Linked, len(xs))
	prior := l.prior()
	var pairs []scoredPair
	for k, x := range xs {
		cands := l.candidates(x)
		res[k] = Linked{Record: int(x), Candidates: len(cands)}
		for _, y := range cands {
			w, veto := l.score(x, y, prior)
			pairs = append(pairs, scoredPair{x, y, w, veto})
		}
		l.index(x)
	}
	var fe *familyEvidence
	var arrived map[int32]bool // the groups of xs
	if family && !l.opt.NoFamily {
		fe, arrived = l.familyEvidence(xs, pairs, prior)
		if fe != nil {
			pairs = append(pairs, l.familyPairs(fe, xs, pairs, prior)...)
		}
	}
	// adjust is the family evidence on a pair, which the batch gives every
	// pair across two groups; here only pairs with a record of the groups
	// that arrived have their evidence counted.
	adjust := func(i, j int32, w float64) (float64, string) {
		if fe == nil || !arrived[d.Group[i]] && !arrived[d.Group[j]] {
			return 0, ""
		}
		return fe.adjust(d, i, j, w)
	}
	type edge struct {
		x, y int32
		w    float64
	}
	var edges []edge
	for _, p := range pairs {
		if p.veto {
			continue
		}
		adj, _ := adjust(p.x, p.y, p.w)
		if w := p.w + adj; w >= l.minW {
			edges = append(edges, edge{p.x, p.y, w})
		}
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		if c := cmp.Compare(a.x, b.x); c != 0 {
			return c
		}
		return cmp.Compare(a.y, b.y)
	})
	const maxCross, samples = 1024, 256
	// Refusals are counted once per pair of clusters, as the batch counts
	// them per pair of people.
	refused := map[[2]int64]bool{}
	refuse := func(x int32, a, b int64) {
		if k := [2]int64{min(a, b), max(a, b)}; !refused[k] {
			refused[k] = true
			res[x-first].Refused++
		}
	}
	for _, e := range edges {
		a, b := l.cluster[e.x], l.cluster[e.y]
		if a == b {
			continue
		}
		if l.forbidden(a, b) {
			refuse(e.x, a, b)
			continue
		}
		ma, mb := l.members[a], l.members[b]
		sum, cnt, veto := 0.0, 0, false
		check := func(p, q int32) {
			w, v := l.score(p, q, prior)
			if v {
				veto = true
				return
			}
			adj, _ := adjust(p, q, w)
			sum += prob(w + adj)
			cnt++
		}
		if len(ma)*len(mb) <= maxCross {
		all:
			for _, p := range ma {
				for _, q := range mb {
					if check(p, q); veto {
						break all
					}
				}
			}
		} else {
			for range samples {
				if check(ma[l.rng.IntN(len(ma))], mb[l.rng.IntN(len(mb))]); veto {
					break
				}
			}
		}
		if veto {
			refuse(e.x, a, b)
			continue
		}
		if cnt == 0 || sum/float64(cnt) < l.opt.Link {
			continue
		}
		into, gone := min(a, b), max(a, b)
		l.merge(into, gone)
		res[e.x-first].Merges = append(res[e.x-first].Merges, Merge{Into: into, Absorbed: gone, I: int(e.x), J: int(e.y), Prob: prob(e.w)})
		l.noteFamily(e.x, e.y, adjust)
	}
	loW := math.Inf(1)
	if lo > 0 && lo < 1 {
		loW = math.Log2(lo / (1 - lo))
	}
	var doubtful []edge
	for _, p := range pairs {
		if p.veto {
			continue
		}
		// A lone match between two families is kept from merging on its
		// own, not from a reviewer: only the bonus counts here (as
		// Result.Review).
		adj, _ := adjust(p.x, p.y, p.w)
		if w := p.w + max(adj, 0); w >= loW {
			doubtful = append(doubtful, edge{p.x, p.y, w})
		}
	}
	slices.SortFunc(doubtful, func(a, b edge) int {
		if c := cmp.Compare(a.x, b.x); c != 0 {
			return c
		}
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.y, b.y)
	})
	for _, e := range doubtful {
		a, b := l.cluster[e.x], l.cluster[e.y]
		if a == b || l.forbidden(a, b) {
			continue
		}
		r := &res[e.x-first]
		r.Review = append(r.Review, ReviewPair{I: int(e.x), J: int(e.y), Prob: prob(e.w)})
		l.noteFamily(e.x, e.y, adjust)
	}
	for k, x := range xs {
		res[k].Cluster = l.cluster[x]
	}
	return res
}

// noteFamily keeps the family evidence of a pair that merged or went to
// review, for Explain.
func (l *Linker) noteFamily(x, y int32, adjust func(i, j int32, w float64) (float64, string)) {
	w, _ := l.score(x, y, l.prior())
	if adj, why := adjust(x, y, w); adj != 0 {
		if l.famTerm == nil {
			l.famTerm = map[uint64]Term{}
		}
		l.famTerm[pairOf(x, y)] = Term{Field: "family", Level: why, Weight: adj}
	}
}

// familyEvidence counts the strong links between the groups of xs and
// others; nil when xs have no group.
func (l *Linker) familyEvidence(xs []int32, pairs []scoredPair, prior float64) (*familyEvidence, map[int32]bool) {
	d := l.d
	arrived := map[int32]bool{}
	for _, x := range xs {
		if g := d.Group[x]; g >= 0 {
			arrived[g] = true
		}
	}
	if len(arrived) == 0 {
		return nil, nil
	}
	fe := &familyEvidence{size: l.gsize, links: map[uint64]*groupLink{}, bonus: l.opt.FamilyBonus,
		prior: prior, minW: l.minW, certW: math.Log2(familyCertain / (1 - familyCertain))}
	var strong []uint64
	for _, p := range pairs {
		if !p.veto && p.w >= l.minW {
			strong = append(strong, pairOf(p.x, p.y))
		}
	}
	for g := range arrived {
		for _, p := range l.gmembers[g] {
			if l.dead[p] || p >= xs[0] {
				continue
			}
			for _, q := range l.members[l.cluster[p]] {
				if gq := d.Group[q]; q != p && gq >= 0 && gq != g {
					strong = append(strong, pairOf(p, q))
				}
			}
		}
	}
	// In pairOf order, as the batch notes them.
	slices.Sort(strong)
	for _, p := range slices.Compact(strong) {
		i, j := unpair(p)
		fe.note(d, i, j)
	}
	return fe, arrived
}

// familyPairs scores the new records against the members of the groups
// their group is joined to as one family that blocking did not pair them
// with (a child given with neither birth date nor father's name shares no
// blocking key with its other record), as the batch does (crossPairs).
func (l *Linker) familyPairs(fe *familyEvidence, xs []int32, pairs []scoredPair, prior float64) []scoredPair {
	d := l.d
	seen := make(map[uint64]bool, len(pairs))
	for _, p := range pairs {
		seen[pairOf(p.x, p.y)] = true
	}
	var keys []uint64
	for k, gl := range fe.links {
		if gl.distinct {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []scoredPair
	for _, x := range xs {
		gx := d.Group[x]
		if gx < 0 {
			continue
		}
		for _, k := range keys {
			ga, gb := int32(k>>32), int32(uint32(k))
			gy := gb
			switch gx {
			case ga:
			case gb:
				gy = ga
			default:
				continue
			}
			if int(l.gsize[gx])*int(l.gsize[gy]) > maxFamilyCross {
				continue
			}
			for _, y := range l.gmembers[gy] {
				// Records of xs are scored by the later of the two.
				if l.dead[y] || y >= x || seen[pairOf(x, y)] {
					continue
				}
				seen[pairOf(x, y)] = true
				w, veto := l.score(x, y, prior)
				out = append(out, scoredPair{x, y, w, veto})
			}
		}
	}
	return out
}

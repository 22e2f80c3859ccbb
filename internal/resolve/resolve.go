package resolve

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Options tune a run. The zero value of every field means its default.
type Options struct {
	Rules []Rule
	// MaxBlock caps the records one blocking key pairs all against all;
	// larger blocks are sorted by SortKey and paired within Window.
	MaxBlock, Window int
	SortKey          func(i int) string
	// USamples is how many random pairs estimate u.
	USamples     int
	EMIterations int
	// Threshold is the match probability (prior: the estimated chance that
	// two random records match) from which a pair proposes a merge; Link
	// the mean match probability over every pair across two clusters that
	// a merge requires (average linkage, default 0.3: 0.2-0.3 scored best
	// on both Splink sets, with precision >= 0.97).
	Threshold, Link float64
	// Veto adds cannot-link rules beyond field vetoes and groups (families:
	// same father and family name, different given names).
	Veto func(d *Data, i, j int32, g uint64) bool
	// MustLink and CannotLink are reviewers' decisions on pairs of records
	// (indexes into Data): same person, different people. They override the
	// model both ways, and the must-links are labels that refine m (see
	// refineM; LabelPrior unless LabelWeight is set).
	LabelWeight          float64
	MustLink, CannotLink [][2]int32
	// FamilyBonus, when set, is the log2 odds that family evidence adds
	// to a pair across two cases that match in two members or more (by
	// default the family's prior replaces the population's); the lone
	// match between two cases is held for a reviewer (see family.go).
	// NoFamily turns both off.
	FamilyBonus float64
	NoFamily    bool
	// KeepCandidates keeps the candidate pairs in the result (blocking
	// recall measurements, Review).
	KeepCandidates bool
	Seed           uint64
	// Progress, when set, is told how far each phase has come.
	Progress func(phase string, done, total int64)
}

func (o *Options) defaults() {
	if o.MaxBlock == 0 {
		o.MaxBlock = 40
	}
	if o.Window == 0 {
		o.Window = 8
	}
	if o.USamples == 0 {
		o.USamples = 150_000
	}
	if o.EMIterations == 0 {
		o.EMIterations = 50
	}
	if o.Threshold == 0 {
		o.Threshold = 0.5
	}
	if o.Link == 0 {
		o.Link = 0.3
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.LabelWeight == 0 {
		o.LabelWeight = LabelPrior
	}
}

// Phase is one timed step of a run.
type Phase struct {
	Name     string
	Duration time.Duration
}

// Stats counts what a run did.
type Stats struct {
	Records    int
	Candidates int64
	Blocking   []BlockStats
	Patterns   int
	Edges      int // pairs at or above Threshold
	Merges     int
	Vetoed     int // proposed merges refused by a cannot-link rule
	Weak       int // proposed merges refused by average linkage
	Clusters   int
	// Comparisons counts every pair compared: candidates, u samples and the
	// pairs checked on demand during clustering.
	Comparisons int64
	Phases      []Phase
}

// ComparisonsPerSecond is the rate of the scoring phase.
func (s *Stats) ComparisonsPerSecond() float64 {
	for _, p := range s.Phases {
		if p.Name == "score" && p.Duration > 0 {
			return float64(s.Candidates) / p.Duration.Seconds()
		}
	}
	return 0
}

// Result is the outcome of a run: a cluster number for every record.
type Result struct {
	Cluster    []int32
	Model      *Model
	Stats      Stats
	Candidates []uint64 // i<<32|j, when Options.KeepCandidates

	d   *Data
	opt Options
	// prior is the log2 prior odds of two random records matching.
	prior  float64
	cannot map[uint64]bool
	family *familyEvidence
}

// Resolve links the records of d: it blocks, estimates the model from d
// itself, scores every candidate pair and clusters.
func Resolve(ctx context.Context, d *Data, opt Options) (*Result, error) {
	opt.defaults()
	if len(d.Fields) > 15 {
		return nil, fmt.Errorf("resolve: %d fields, at most 15", len(d.Fields))
	}
	if opt.SortKey == nil {
		opt.SortKey = func(i int) string { return d.IDs[i] }
	}
	r := &Result{d: d, opt: opt, cannot: map[uint64]bool{}}
	for _, p := range opt.CannotLink {
		r.cannot[pairOf(p[0], p[1])] = true
	}
	r.Stats.Records = d.Len()
	t := time.Now()
	phase := func(name string) {
		r.Stats.Phases = append(r.Stats.Phases, Phase{name, time.Since(t)})
		t = time.Now()
	}
	d.prepare()
	phase("prepare")

	if len(opt.Rules) > 32 {
		return nil, fmt.Errorf("resolve: %d blocking rules, at most 32", len(opt.Rules))
	}
	pairs, masks, bs := block(d, opt.Rules, opt.MaxBlock, opt.Window, opt.SortKey, opt.Progress)
	r.Stats.Blocking, r.Stats.Candidates = bs, int64(len(pairs))
	if opt.KeepCandidates {
		r.Candidates = pairs
	}
	phase("block")
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rng := rand.New(rand.NewPCG(opt.Seed, 0x9e3779b97f4a7c15))
	us := min(opt.USamples, d.Len()*(d.Len()-1)/2)
	u := estimateU(d, us, rng)
	r.Stats.Comparisons += int64(us)
	phase("estimate-u")

	gammas, vetoes, pats, perRule, perCell := r.compareAll(ctx, pairs, masks)
	r.Stats.Patterns = len(pats)
	r.Stats.Comparisons += int64(len(pairs))
	phase("score")
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	m, sessions := train(pats, perRule, opt.Rules, u, opt.EMIterations)
	var labels []uint64
	em := m
	for _, p := range opt.MustLink {
		// A vetoed pair a reviewer still called one person (a passport
		// misread past the typo tolerance) is a label like any other.
		g, _ := d.gamma(p[0], p[1])
		labels = append(labels, g)
	}
	if len(labels) > 0 {
		m = refineM(m, labels, opt.LabelWeight)
	}
	model := &Model{M: m, U: u, Sessions: sessions, Records: d.Len(), Labels: len(labels)}
	if len(labels) > 0 {
		model.EM = em
	}
	for _, f := range d.Fields {
		model.Fields = append(model.Fields, f.Name)
		model.Levels = append(model.Levels, f.Cmp.Levels())
	}
	model.finish()
	r.Model = model
	r.priors(perCell)
	phase("em")

	r.cluster(pairs, gammas, vetoes)
	phase("cluster")
	return r, nil
}

// compareAll computes the comparison vector of every candidate pair on all
// cores and counts the distinct vectors for EM.
func (r *Result) compareAll(ctx context.Context, pairs []uint64, masks []uint32) (gammas []uint64, vetoes []bool, all []pattern, perRule, perCell [][]pattern) {
	d := r.d
	gammas = make([]uint64, len(pairs))
	vetoes = make([]bool, len(pairs))
	workers := runtime.GOMAXPROCS(0)
	counts := make([]map[uint64]float64, workers)
	nr := len(r.opt.Rules)
	ruleCounts := make([][]map[uint64]float64, workers)
	cellCounts := make([][]map[uint64]float64, workers)
	var wg sync.WaitGroup
	const chunk = 1 << 14
	var next int64
	var mu sync.Mutex
	take := func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		s := int(next)
		next += chunk
		if r.opt.Progress != nil {
			r.opt.Progress("score", min(next, int64(len(pairs))), int64(len(pairs)))
		}
		return s, min(s+chunk, len(pairs))
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := map[uint64]float64{}
			rc, cc := make([]map[uint64]float64, nr), make([]map[uint64]float64, nr)
			for k := range rc {
				rc[k], cc[k] = map[uint64]float64{}, map[uint64]float64{}
			}
			for {
				s, e := take()
				if s >= len(pairs) || ctx.Err() != nil {
					break
				}
				for k := s; k < e; k++ {
					i, j := unpair(pairs[k])
					g, veto := d.gamma(i, j)
					if !veto {
						veto = r.veto(i, j, g)
					}
					gammas[k], vetoes[k] = g, veto
					if veto {
						// A pair a rule forbids is known to be two people;
						// it would teach EM that siblings look like matches.
						continue
					}
					c[g]++
					for m := masks[k]; m != 0; m &= m - 1 {
						rc[bits.TrailingZeros32(m)][g]++
					}
					cc[bits.TrailingZeros32(masks[k])][g]++
				}
			}
			counts[w], ruleCounts[w], cellCounts[w] = c, rc, cc
		}()
	}
	wg.Wait()
	agg := map[uint64]float64{}
	for _, c := range counts {
		for g, n := range c {
			agg[g] += n
		}
	}
	all = patterns(agg)
	perRule, perCell = make([][]pattern, nr), make([][]pattern, nr)
	for k := range nr {
		ra, ca := map[uint64]float64{}, map[uint64]float64{}
		for w := range workers {
			for g, n := range ruleCounts[w][k] {
				ra[g] += n
			}
			for g, n := range cellCounts[w][k] {
				ca[g] += n
			}
		}
		perRule[k], perCell[k] = patterns(ra), patterns(ca)
	}
	return gammas, vetoes, all, perRule, perCell
}

// priors estimates how many candidate pairs match and from that the chance
// that two random records match. EM over all candidates at once would
// count blocked non-matches as matches (they agree on the blocking fields
// far more than u says); so each rule's first-found pairs are estimated
// separately, leaving out the fields that rule made agree, and summed.
func (r *Result) priors(perCell [][]pattern) {
	m, u := r.Model.M, r.Model.U
	matches := 0.0
	for k, pats := range perCell {
		var mask uint64
		for _, f := range r.opt.Rules[k].Fields {
			mask |= nullLevel << (4 * f)
		}
		masked := map[uint64]float64{}
		total := 0.0
		for _, p := range pats {
			masked[p.g|mask] += p.n
			total += p.n
		}
		if total == 0 {
			continue
		}
		matches += emLambda(patterns(masked), m, u, r.opt.EMIterations) * total
	}
	n := float64(r.d.Len())
	all := max(n*(n-1)/2, 1)
	lam := min(max(matches, 1)/all, 0.5)
	r.prior = math.Log2(lam / (1 - lam))
	r.Model.Lambda = lam
	r.Model.Matches = matches
}

// veto applies the cannot-link rules other than field vetoes.
func (r *Result) veto(i, j int32, g uint64) bool {
	d := r.d
	if d.Group[i] >= 0 && d.Group[i] == d.Group[j] || r.cannot[pairOf(i, j)] {
		return true
	}
	return r.opt.Veto != nil && r.opt.Veto(d, i, j, g)
}

// weight is the log2 Bayes factor of a pair with comparison vector g,
// with term-frequency adjustment on exact agreements.
func (r *Result) weight(i int32, g uint64) float64 { return weightOf(r.d, r.Model, i, g) }

func weightOf(d *Data, m *Model, i int32, g uint64) float64 {
	w := 0.0
	for f := range d.Fields {
		l := level(g, f)
		if l == nullLevel {
			continue
		}
		if l == 0 && d.Fields[f].TF {
			tf := float64(d.count[f][d.vals[f][i]]) / float64(d.nonNull[f])
			w += math.Log2(m.M[f][0] / tf)
			continue
		}
		w += m.w[f][l]
	}
	return w
}

// logit is the log2 posterior odds that a pair with comparison vector g
// (i its first record, for term frequencies) matches. Every pair starts
// from the same prior, the chance that two random records match; a prior
// per blocking rule was tried and scored worse on historical_50k.
func (r *Result) logit(i int32, g uint64) float64 { return r.weight(i, g) + r.prior }

// Score compares records i and j afresh: the match weight (log2 Bayes
// factor over all fields), the match probability and whether a cannot-link
// rule forbids the pair.
func (r *Result) Score(i, j int) (weight, p float64, veto bool) {
	g, v := r.d.gamma(int32(i), int32(j))
	if !v {
		v = r.veto(int32(i), int32(j), g)
	}
	return r.weight(int32(i), g), prob(r.logit(int32(i), g)), v
}

func prob(logit float64) float64 { return 1 / (1 + math.Exp2(-logit)) }

// Term is one field's share of a pair's score.
type Term struct {
	Field  string
	A, B   string // the two values
	Level  string // "null" when either is missing
	Weight float64
}

// Explain lays out, field by field, why records i and j score as they do,
// and the family evidence when there is any.
func (r *Result) Explain(i, j int) []Term {
	out := explain(r.d, r.Model, i, j)
	g, _ := r.d.gamma(int32(i), int32(j))
	if adj, why := r.family.adjust(r.d, int32(i), int32(j), r.logit(int32(i), g)); adj != 0 {
		out = append(out, Term{Field: "family", Level: why, Weight: adj})
	}
	return out
}

func explain(d *Data, m *Model, i, j int) []Term {
	g, _ := d.gamma(int32(i), int32(j))
	var out []Term
	for f := range d.Fields {
		t := Term{Field: d.Fields[f].Name, A: d.Value(f, i), B: d.Value(f, j), Level: "null"}
		if l := level(g, f); l != nullLevel {
			t.Level = m.Levels[f][l]
			t.Weight = weightOf(d, m, int32(i), g&(0xF<<(4*f))|allNullExcept(len(d.Fields), f))
		}
		out = append(out, t)
	}
	return out
}

func allNullExcept(n, f int) uint64 {
	var g uint64
	for k := range n {
		if k != f {
			g |= nullLevel << (4 * k)
		}
	}
	return g
}

// cluster merges records greedily from the strongest pair down. A pair
// only proposes a merge of its two clusters; the merge happens when no pair
// across them is forbidden and the mean match probability over every pair
// across them (scored on demand when blocking did not pair them) reaches
// Link. So A~B and B~C do not put A with C unless A and C fit too.
func (r *Result) cluster(pairs []uint64, gammas []uint64, vetoes []bool) {
	d := r.d
	n := d.Len()
	type edge struct {
		p uint64
		w float64
	}
	var edges []edge
	minW := math.Log2(r.opt.Threshold / (1 - r.opt.Threshold))
	logits := make([]float64, len(pairs))
	for k, p := range pairs {
		if !vetoes[k] {
			i, _ := unpair(p)
			logits[k] = r.logit(i, gammas[k])
		}
	}
	r.family = r.newFamilyEvidence(pairs, func(k int) float64 { return logits[k] }, func(k int) bool { return !vetoes[k] }, minW)
	for k, p := range pairs {
		if vetoes[k] {
			continue
		}
		i, j := unpair(p)
		adj, _ := r.family.adjust(d, i, j, logits[k])
		if w := logits[k] + adj; w >= minW {
			edges = append(edges, edge{p, w})
		}
	}
	// Members of two cases found to be one family are compared even
	// where blocking did not pair them.
	for _, p := range r.family.crossPairs(d, pairs) {
		i, j := unpair(p)
		g, v := d.gamma(i, j)
		if v || r.veto(i, j, g) {
			continue
		}
		r.Stats.Comparisons++
		w := r.logit(i, g)
		adj, _ := r.family.adjust(d, i, j, w)
		if w+adj >= minW {
			edges = append(edges, edge{p, w + adj})
		}
		if r.opt.KeepCandidates {
			r.Candidates = append(r.Candidates, p)
		}
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return cmp.Compare(a.p, b.p)
	})
	r.Stats.Edges = len(edges)

	of := make([]int32, n)
	members := make([][]int32, n)
	for i := range of {
		of[i] = int32(i)
		members[i] = []int32{int32(i)}
	}
	merge := func(a, b int32) {
		ma, mb := members[a], members[b]
		if len(ma) < len(mb) {
			a, b, ma, mb = b, a, mb, ma
		}
		for _, x := range mb {
			of[x] = a
		}
		members[a] = append(ma, mb...)
		members[b] = nil
		r.Stats.Merges++
	}
	// A reviewer's "same person" is merged before any model evidence.
	for _, p := range r.opt.MustLink {
		if a, b := of[p[0]], of[p[1]]; a != b {
			merge(a, b)
		}
	}
	rng := rand.New(rand.NewPCG(r.opt.Seed, 7))
	const maxCross, samples = 1024, 256
	for _, e := range edges {
		i, j := unpair(e.p)
		a, b := of[i], of[j]
		if a == b {
			continue
		}
		ma, mb := members[a], members[b]
		sum, cnt, veto := 0.0, 0, false
		cross := len(ma) * len(mb)
		check := func(x, y int32) {
			g, v := d.gamma(x, y)
			if v || r.veto(x, y, g) {
				veto = true
				return
			}
			w := r.logit(x, g)
			adj, _ := r.family.adjust(d, x, y, w)
			sum += prob(w + adj)
			cnt++
		}
		if cross <= maxCross {
			for _, x := range ma {
				for _, y := range mb {
					if check(x, y); veto {
						break
					}
				}
				if veto {
					break
				}
			}
		} else {
			for range samples {
				if check(ma[rng.IntN(len(ma))], mb[rng.IntN(len(mb))]); veto {
					break
				}
			}
		}
		r.Stats.Comparisons += int64(cnt)
		switch {
		case veto:
			r.Stats.Vetoed++
			continue
		case sum/float64(cnt) < r.opt.Link:
			r.Stats.Weak++
			continue
		}
		merge(a, b)
	}
	// Number clusters by first appearance so output is stable.
	r.Cluster = make([]int32, n)
	num := make(map[int32]int32)
	for i := range n {
		c, ok := num[of[i]]
		if !ok {
			c = int32(len(num))
			num[of[i]] = c
		}
		r.Cluster[i] = c
	}
	r.Stats.Clusters = len(num)
}

// BlockingRecall measures blocking against known truth (truth[i] names
// record i's real person): how many true pairs the candidates hold, of how
// many there are. A true pair blocking never generated cannot be found by any
// model, so this bounds recall.
func BlockingRecall(truth []string, candidates []uint64) (found, total int64) {
	size := map[string]int64{}
	for _, t := range truth {
		size[t]++
	}
	for _, n := range size {
		total += n * (n - 1) / 2
	}
	for _, p := range candidates {
		i, j := unpair(p)
		if truth[i] == truth[j] {
			found++
		}
	}
	return found, total
}

func patterns(agg map[uint64]float64) []pattern {
	pats := make([]pattern, 0, len(agg))
	for g, n := range agg {
		pats = append(pats, pattern{g, n})
	}
	slices.SortFunc(pats, func(a, b pattern) int { return cmp.Compare(a.g, b.g) })
	return pats
}

// ReviewPair is a pair a human should look at.
type ReviewPair struct {
	I, J int     // record indexes
	Prob float64 // match probability
}

// Review returns the candidate pairs a human should decide: those with a
// match probability from lo up that ended in different clusters (below the
// threshold, or refused by average linkage), strongest first. Pairs a rule
// forbids are not doubtful and are left out. It needs KeepCandidates.
func (r *Result) Review(lo float64) []ReviewPair {
	var out []ReviewPair
	for _, p := range r.Candidates {
		i, j := unpair(p)
		if r.Cluster[i] == r.Cluster[j] {
			continue
		}
		g, v := r.d.gamma(i, j)
		if v || r.veto(i, j, g) {
			continue
		}
		// A lone match between two families is kept from merging on its
		// own, not from a reviewer: only the bonus counts here.
		w := r.logit(i, g)
		adj, _ := r.family.adjust(r.d, i, j, w)
		if pr := prob(w + max(adj, 0)); pr >= lo {
			out = append(out, ReviewPair{int(i), int(j), pr})
		}
	}
	slices.SortFunc(out, func(a, b ReviewPair) int { return cmp.Compare(b.Prob, a.Prob) })
	return out
}

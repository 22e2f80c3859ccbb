package resolve

import (
	"cmp"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// Model is a trained Fellegi-Sunter model: per field and level, the
// probability m that two records of the same person fall in that level and
// the probability u that two records of different people do.
type Model struct {
	Fields []string
	Levels [][]string
	M, U   [][]float64
	// Lambda is the estimated chance that two random records match, from
	// Matches, the expected number of matching pairs among the candidates.
	Lambda, Matches float64
	Sessions        int // EM training sessions, one per blocking rule with enough pairs
	// Labels is how many pairs reviewers called the same person refined M
	// (see refineM); 0 when the model was estimated without labels.
	Labels int `json:",omitempty"`
	// EM is m as EM estimated it, before labels refined it (nil without
	// labels): a Linker refines from it again as reviewers decide more.
	EM [][]float64 `json:",omitempty"`
	// Records is how many records the model was trained on: matches grow
	// with the records and pairs with their square, so the Linker scales
	// the prior to the records it holds.
	Records int

	w [][]float64 // log2(m/u)
}

// Weight returns the log2 Bayes factor of field f at level l (0 for null).
func (m *Model) Weight(f, l int) float64 {
	if l == nullLevel {
		return 0
	}
	return m.w[f][l]
}

func (m *Model) finish() {
	m.w = make([][]float64, len(m.M))
	for f := range m.M {
		m.w[f] = make([]float64, len(m.M[f]))
		for l := range m.M[f] {
			m.w[f][l] = math.Log2(m.M[f][l] / m.U[f][l])
		}
	}
}

// estimateU measures u for every field and level. Exact agreement comes
// from the value counts (the chance that two random records share a value
// is the sum of squared frequencies), which is precise even where random
// sampling would almost never hit an agreement; the other levels come from
// random pairs of records that both have the field and disagree on it.
func estimateU(d *Data, samples int, rng *rand.Rand) [][]float64 {
	nf := len(d.Fields)
	counts := make([][]float64, nf)
	for f := range counts {
		counts[f] = make([]float64, len(d.Fields[f].Cmp.Levels()))
	}
	n := d.Len()
	if n < 2 {
		samples = 0
	}
	type pr struct{ i, j int32 }
	pairs := make([]pr, 0, samples)
	for len(pairs) < samples {
		i, j := rng.IntN(n), rng.IntN(n)
		if i != j {
			pairs = append(pairs, pr{int32(i), int32(j)})
		}
	}
	workers := runtime.GOMAXPROCS(0)
	parts := make([][][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([][]float64, nf)
			for f := range c {
				c[f] = make([]float64, len(counts[f]))
			}
			for k := w; k < len(pairs); k += workers {
				p := pairs[k]
				for f := range d.Fields {
					a, b := d.vals[f][p.i], d.vals[f][p.j]
					if a < 0 || b < 0 || a == b || d.Fields[f].BlockOnly {
						continue
					}
					c[f][d.Fields[f].Cmp.Level(a, b)]++
				}
			}
			parts[w] = c
		}()
	}
	wg.Wait()
	u := make([][]float64, nf)
	for f := range u {
		for _, c := range parts {
			for l := range c[f] {
				counts[f][l] += c[f][l]
			}
		}
		nn := float64(d.nonNull[f])
		exact := 0.0
		if nn > 1 {
			for _, c := range d.count[f] {
				exact += float64(c) * float64(c-1)
			}
			exact /= nn * (nn - 1)
		}
		total := 0.0
		for _, c := range counts[f] {
			total += c
		}
		u[f] = make([]float64, len(counts[f]))
		for l := range u[f] {
			// Half a pair of pseudo-count keeps unseen levels finite.
			u[f][l] = (1 - exact) * (counts[f][l] + 0.5) / (total + 0.5*float64(len(u[f])))
		}
		u[f][0] = max(exact, 0.5/(nn*nn+1))
	}
	return u
}

// pattern is one distinct comparison vector and how many pairs have it.
type pattern struct {
	g uint64
	n float64
}

// em estimates m and lambda from the comparison vectors of the blocked
// pairs, holding u fixed (as Splink does), by expectation-maximisation over
// the distinct vectors. exclude lists fields whose agreement the pairs were
// selected on: their m would only echo the selection, so they keep their
// prior values.
func em(pats []pattern, u [][]float64, lambda float64, maxIter int, fixed uint64) (m [][]float64, lam float64, iters int) {
	nf := len(u)
	m = make([][]float64, nf)
	for f := range m {
		m[f] = priorM(len(u[f]))
	}
	lam = lambda
	num := make([][]float64, nf)
	for f := range num {
		num[f] = make([]float64, len(u[f]))
	}
	for iters = 1; iters <= maxIter; iters++ {
		for f := range num {
			clear(num[f])
		}
		var sumP, sumN float64
		for _, p := range pats {
			lm, lu := math.Log(lam), math.Log(1-lam)
			for f := range nf {
				l := level(p.g, f)
				if l == nullLevel {
					continue
				}
				lm += math.Log(m[f][l])
				lu += math.Log(u[f][l])
			}
			post := 1 / (1 + math.Exp(lu-lm))
			sumP += post * p.n
			sumN += p.n
			for f := range nf {
				if l := level(p.g, f); l != nullLevel {
					num[f][l] += post * p.n
				}
			}
		}
		delta := 0.0
		for f := range nf {
			if fixed>>(4*f)&0xF != 0 {
				continue
			}
			tot := 0.0
			for _, v := range num[f] {
				tot += v
			}
			for l := range num[f] {
				// A small pseudo-count keeps a level nobody matched on possible.
				nv := (num[f][l] + 1e-3) / (tot + 1e-3*float64(len(num[f])))
				delta = max(delta, math.Abs(nv-m[f][l]))
				m[f][l] = nv
			}
		}
		nl := sumP / sumN
		nl = min(max(nl, 1e-9), 1-1e-9)
		delta = max(delta, math.Abs(nl-lam))
		lam = nl
		if delta < 1e-5 {
			break
		}
	}
	return m, lam, iters
}

// priorM starts EM from "the same person mostly agrees exactly".
func priorM(levels int) []float64 {
	m := make([]float64, levels)
	m[0] = 0.9
	rest := 0.1
	for l := 1; l < levels; l++ {
		if l == levels-1 {
			m[l] = rest
		} else {
			m[l] = rest / 2
			rest /= 2
		}
	}
	return m
}

// train estimates m as Splink does, one EM session per blocking rule over
// the pairs that rule generated, leaving out the rule's own fields: within
// the pairs of "same surname and date of birth" the non-matches are random
// on every other field, so the u of random pairs describes them and EM can
// separate them from matches. A session whose EM takes every pair for a
// match is dropped (see below). Each field's m is the mean over the sessions
// that could learn it; a field every rule uses keeps m from the session over
// all pairs.
func train(all []pattern, perRule [][]pattern, rules []Rule, u [][]float64, maxIter int) (m [][]float64, sessions int) {
	nf := len(u)
	m = make([][]float64, nf)
	learned := make([]int, nf)
	for f := range m {
		m[f] = make([]float64, len(u[f]))
	}
	for r, pats := range perRule {
		var mask uint64
		for _, f := range rules[r].Fields {
			mask |= nullLevel << (4 * f)
		}
		agg := map[uint64]float64{}
		total := 0.0
		for _, p := range pats {
			agg[p.g|mask] += p.n
			total += p.n
		}
		if total < 20 {
			continue
		}
		ps := make([]pattern, 0, len(agg))
		for g, n := range agg {
			ps = append(ps, pattern{g, n})
		}
		slices.SortFunc(ps, func(a, b pattern) int { return cmp.Compare(a.g, b.g) })
		mr, lam, _ := em(ps, u, 0.1, maxIter, mask)
		if lam > 0.98 {
			// EM found no non-matches: either the rule pairs only
			// duplicates (a passport number), which teaches little, or it
			// took everything for matches (namesakes, siblings), which
			// teaches wrong m. Either way the session is not used.
			continue
		}
		sessions++
		for f := range nf {
			if mask>>(4*f)&0xF == nullLevel {
				continue
			}
			learned[f]++
			for l := range mr[f] {
				m[f][l] += mr[f][l]
			}
		}
	}
	var global [][]float64
	for f := range nf {
		if learned[f] == 0 {
			if global == nil {
				global, _, _ = em(all, u, 0.1, maxIter, 0)
			}
			m[f] = global[f]
			continue
		}
		for l := range m[f] {
			m[f][l] /= float64(learned[f])
		}
	}
	return m, sessions
}

// LabelPrior is how many labelled pairs EM's estimate of m is worth when
// reviewers' labels refine it: with a few labels EM still decides, with
// hundreds the labels do. Reviewers see the doubtful pairs, so their
// matches disagree more than a random match does; a weak prior would let
// a handful of such pairs teach that disagreement is normal.
const LabelPrior = 50.0

// refineM updates m with the comparison vectors of pairs labelled as the
// same person, as Splink estimates m from pairwise labels, but Bayesian:
// each field's m is the mean of a Dirichlet posterior whose prior is EM's
// m worth prior pairs. A label missing a field says nothing of that field.
// u is not touched: it comes from random pairs, and the pairs reviewers
// call different people are the hardest non-matches, not random ones.
func refineM(m [][]float64, labels []uint64, prior float64) [][]float64 {
	out := make([][]float64, len(m))
	for f := range m {
		counts := make([]float64, len(m[f]))
		n := 0.0
		for _, g := range labels {
			if l := level(g, f); l != nullLevel && l < len(counts) {
				counts[l]++
				n++
			}
		}
		out[f] = make([]float64, len(m[f]))
		for l := range m[f] {
			out[f][l] = (prior*m[f][l] + counts[l]) / (prior + n)
		}
	}
	return out
}

// emLambda estimates the share of pats that match, m and u fixed.
func emLambda(pats []pattern, m, u [][]float64, maxIter int) float64 {
	lr := make([]float64, len(pats)) // log likelihood ratio of each pattern
	for k, p := range pats {
		for f := range m {
			if l := level(p.g, f); l != nullLevel {
				lr[k] += math.Log(m[f][l] / u[f][l])
			}
		}
	}
	lam := 0.1
	for range maxIter {
		s, n := 0.0, 0.0
		for k, p := range pats {
			post := 1 / (1 + math.Exp(-lr[k]-math.Log(lam/(1-lam))))
			s += post * p.n
			n += p.n
		}
		// Laplace's rule keeps a cell of all-agreeing pairs from claiming
		// certainty that would override any evidence against a pair.
		nl := (s + 1) / (n + 2)
		if math.Abs(nl-lam) < 1e-7 {
			return nl
		}
		lam = nl
	}
	return lam
}

package names

// Tests and benchmarks on the full data sets in /work/shared/data; they
// skip when the data is absent (and the slower ones under -short).

import (
	"encoding/csv"
	"io"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"
)

const sharedData = "../../../shared/data/"

func openShared(t testing.TB, path string) *os.File {
	t.Helper()
	f, err := os.Open(sharedData + path)
	if err != nil {
		t.Skipf("shared data not available: %v", err)
	}
	return f
}

// TestWikidataFull measures the letter tables on all 64,973 Wikidata
// Arabic-Latin token pairs: the share of Arabic-script tokens whose
// transliteration meets the Latin spelling at TokenSim >= tokenMatchSim.
func TestWikidataFull(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	f := openShared(t, "names/wikidata-en-ar-name-tokens.txt")
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	n, ok, arabicN, arabicOK := 0, 0, 0, 0
	for _, line := range strings.Split(string(b), "\n") {
		p := strings.Split(line, "\t")
		if len(p) != 3 {
			continue
		}
		ar := strings.ReplaceAll(p[1], " ", "")
		s := TokenSim(ToLatin(ar), ToLatin(p[0]))
		n++
		// Letters only Arabic-origin names have.
		arabic := strings.ContainsAny(ar, "عحخقصضطظذثغ")
		if arabic {
			arabicN++
		}
		if s >= tokenMatchSim {
			ok++
			if arabic {
				arabicOK++
			}
		}
	}
	frac := float64(ok) / float64(n)
	t.Logf("Wikidata: %d/%d = %.3f of Arabic-script tokens meet their Latin spelling at TokenSim >= %.2f; names with Arabic-only letters %.3f (n=%d)",
		ok, n, frac, tokenMatchSim, float64(arabicOK)/float64(arabicN), arabicN)
	if frac < 0.85 {
		t.Errorf("only %.3f of Wikidata tokens meet their Latin spelling", frac)
	}
}

// sdnNames reads OFAC SDN primary and alternate names of individuals and
// entities: name, entry number and whether the entry is an individual.
func sdnNames(t testing.TB) (primary, alts []sdnName) {
	dir := "lists/ofac-sdn-2024-05/"
	f := openShared(t, dir+"sdn.csv")
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	ind := map[string]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) < 3 {
			continue
		}
		typ := strings.TrimSpace(rec[2])
		if typ != "individual" && typ != "-0-" {
			continue // vessels and aircraft
		}
		ind[rec[0]] = typ == "individual"
		primary = append(primary, sdnName{rec[1], rec[0], typ == "individual"})
	}
	fa := openShared(t, dir+"alt.csv")
	defer fa.Close()
	ra := csv.NewReader(fa)
	ra.FieldsPerRecord = -1
	ra.LazyQuotes = true
	for {
		rec, err := ra.Read()
		if err == io.EOF {
			break
		}
		if err != nil || len(rec) < 4 {
			continue
		}
		if i, ok := ind[rec[0]]; ok {
			alts = append(alts, sdnName{rec[3], rec[0], i})
		}
	}
	return primary, alts
}

type sdnName struct {
	name, ent string
	ind       bool
}

// BenchmarkSDNAliasRecall holds 1,500 SDN alternate names out of an index
// of the other SDN names (2024-05), retrieves candidates by Keys and ranks
// them by Score with token weights and translations learnt from the index
// (LearnTranslations); it reports recall@1 and
// recall@5 of the held-out name's entry, for individuals and entities, and
// the mean number of candidates scored per query.
func BenchmarkSDNAliasRecall(b *testing.B) {
	primary, alts := sdnNames(b)
	rng := rand.New(rand.NewSource(42))
	rng.Shuffle(len(alts), func(i, j int) { alts[i], alts[j] = alts[j], alts[i] })
	held, rest := alts[:1500], alts[1500:]
	index := append(append([]sdnName(nil), primary...), rest...)
	prep := make([]*Prepared, len(index))
	inv := map[string][]int32{}
	freq := NewFreq()
	for i, n := range index {
		prep[i] = Prepare(n.name)
		freq.Add(n.name)
		for _, k := range Keys(prep[i]) {
			inv[k] = append(inv[k], int32(i))
		}
	}
	// Translations learnt from the organisations' indexed names, as
	// screening learns them (entries that are not individuals).
	byEnt := map[string][]*Prepared{}
	var ents []string
	for i, n := range index {
		if !n.ind {
			if byEnt[n.ent] == nil {
				ents = append(ents, n.ent)
			}
			byEnt[n.ent] = append(byEnt[n.ent], prep[i])
		}
	}
	var groups [][]*Prepared
	for _, e := range ents {
		if len(byEnt[e]) > 1 {
			groups = append(groups, byEnt[e])
		}
	}
	m := Matcher{Freq: freq, Trans: LearnTranslations(groups)}
	for _, p := range prep {
		m.Bind(p)
	}
	seen := make([]int, len(index))
	var r1, r5, n, cands [2]int
	// For individuals: the best score of a name of the held-out name's own
	// entry, and of any other entry, to choose MatchThreshold.
	var sameBest, otherBest []float64
	gen := 0
	for b.Loop() {
		r1, r5, n, cands = [2]int{}, [2]int{}, [2]int{}, [2]int{}
		sameBest, otherBest = sameBest[:0], otherBest[:0]
		for _, h := range held {
			gen++
			q := Prepare(h.name)
			m.Bind(q)
			type scored struct {
				ent string
				s   float64
			}
			var res []scored
			for _, k := range Keys(q) {
				for _, i := range inv[k] {
					if seen[i] == gen {
						continue
					}
					seen[i] = gen
					res = append(res, scored{index[i].ent, m.Score(q, prep[i])})
				}
			}
			c := 0
			if h.ind {
				c = 1
			}
			n[c]++
			cands[c] += len(res)
			sort.SliceStable(res, func(i, j int) bool { return res[i].s > res[j].s })
			if h.ind {
				for _, x := range res {
					if x.ent == h.ent {
						sameBest = append(sameBest, x.s)
						break
					}
				}
				for _, x := range res {
					if x.ent != h.ent {
						otherBest = append(otherBest, x.s)
						break
					}
				}
			}
			var top []string
			for _, x := range res {
				dup := false
				for _, e := range top {
					dup = dup || e == x.ent
				}
				if !dup {
					top = append(top, x.ent)
				}
				if len(top) == 5 {
					break
				}
			}
			for i, e := range top {
				if e == h.ent {
					if i == 0 {
						r1[c]++
					}
					r5[c]++
				}
			}
		}
	}
	all := func(x [2]int) float64 { return float64(x[0] + x[1]) }
	b.ReportMetric(all(r1)/all(n), "recall@1")
	b.ReportMetric(all(r5)/all(n), "recall@5")
	b.ReportMetric(float64(r1[1])/float64(n[1]), "ind-recall@1")
	b.ReportMetric(float64(r5[1])/float64(n[1]), "ind-recall@5")
	b.ReportMetric(float64(r1[0])/float64(n[0]), "ent-recall@1")
	b.ReportMetric(all(cands)/all(n), "candidates/query")
	frac := func(xs []float64, t float64) float64 {
		c := 0
		for _, x := range xs {
			if x >= t {
				c++
			}
		}
		return float64(c) / float64(len(xs))
	}
	for _, t := range []float64{0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9} {
		b.Logf("individuals, threshold %.2f: own entry's best name >= t %.3f (n=%d), best other entry >= t %.3f (n=%d)",
			t, frac(sameBest, t), len(sameBest), frac(otherBest, t), len(otherBest))
	}
}

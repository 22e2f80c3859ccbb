package screen

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"muster/internal/lists"
	"muster/internal/names"
	"muster/internal/screen/eval"
)

var (
	measure       = flag.Bool("measure", false, "measure recall and speed on the real lists in ../shared/data (slow)")
	measurePeople = flag.Int("measure-people", 20_000, "generated registrants screened by -measure")
)

const realData = "../../../shared/data/lists"

func loadReal(t testing.TB) []lists.Entry {
	t.Helper()
	var all []lists.Entry
	for _, p := range []string{"ofac-sdn-2024-05", "un-sc-2026-02-27.xml"} {
		es, err := lists.Load(filepath.Join(realData, p))
		if err != nil {
			t.Skip("no shared list data:", err)
		}
		all = append(all, es...)
	}
	return all
}

var allTypes = []string{lists.TypeIndividual, lists.TypeEntity, lists.TypeVessel, lists.TypeAircraft}

func answers(hs []Hit) []eval.Scored {
	out := make([]eval.Scored, len(hs))
	for i, h := range hs {
		out[i] = eval.Scored{Key: h.List + ":" + h.EntryID, Score: h.Score}
	}
	return out
}

// TestMeasure prints the figures reported in the package README:
//
//	go test ./internal/screen -run TestMeasure -measure -v [-measure-people 1000000]
func TestMeasure(t *testing.T) {
	if !*measure {
		t.Skip("run with -measure")
	}
	all := loadReal(t)
	t.Logf("lists: %d entries (SDN 2024-05 + UN 2026-02-27), GOMAXPROCS %d", len(all), runtime.GOMAXPROCS(0))

	// Alias retrieval: 1,500 SDN alternate names held out and queried
	// against the rest of the SDN. The UN list stays out of this index
	// because many SDN persons are on it too, and finding the same person
	// under the UN reference would count as a miss.
	var sdn, un []lists.Entry
	for _, e := range all {
		if e.List == lists.OFACSDN {
			sdn = append(sdn, e)
		} else {
			un = append(un, e)
		}
	}
	idx, cases := eval.HoldOutAliases(sdn, lists.OFACSDN, 1500, 1)
	start := time.Now()
	ix := NewIndex(idx)
	t.Logf("index: %d names, built in %v", ix.Names(), time.Since(start).Round(time.Millisecond))
	rec := map[string]*eval.Recall{"individual": {}, "entity": {}, "all": {}}
	var trueScores, indScores []float64
	start = time.Now()
	for _, c := range cases {
		hs := ix.Screen(Query{Names: []string{c.Query}}, Options{Threshold: 0.3, Types: allTypes})
		a := answers(hs)
		rank := eval.Rank(a, c.Want)
		kind := "entity"
		if c.Type == lists.TypeIndividual {
			kind = "individual"
		}
		rec[kind].Add(rank)
		rec["all"].Add(rank)
		s := 0.0
		for _, x := range a {
			if x.Key == c.Want {
				s = x.Score
			}
		}
		trueScores = append(trueScores, s)
		if c.Type == lists.TypeIndividual {
			indScores = append(indScores, s)
		}
	}
	el := time.Since(start)
	// What no name matcher can rank first: aliases whose entry keeps no
	// name like them (a translation: HAYAT AL-DAM ... for ISLAMIC
	// RESISTANCE SUPPORT ORGANIZATION), and aliases written exactly as a
	// name of another entry (branches of one charity listed apart), where
	// a tie counts against the engine.
	byEntry := map[string][]int{}
	norm := map[string]map[string]bool{}
	for i := range ix.names {
		k := ix.entries[ix.names[i].entry].Key()
		byEntry[k] = append(byEntry[k], i)
		n := names.Normalize(ix.names[i].p.Orig)
		if norm[n] == nil {
			norm[n] = map[string]bool{}
		}
		norm[n][k] = true
	}
	var unlike, elsewhere, either int
	for _, c := range cases {
		q := names.Prepare(c.Query)
		best := 0.0
		for _, i := range byEntry[c.Want] {
			best = max(best, ix.matcher.Score(q, ix.names[i].p))
		}
		other := false
		for k := range norm[names.Normalize(c.Query)] {
			other = other || k != c.Want
		}
		if best < 0.5 {
			unlike++
		}
		if other {
			elsewhere++
		}
		if best < 0.5 || other {
			either++
		}
	}
	t.Logf("held-out aliases whose entry keeps no name scoring 0.5 with them: %d of %d (%.3f); written exactly as another entry's name: %d (%.3f); recall@1 ceiling for a name matcher about %.3f",
		unlike, len(cases), float64(unlike)/float64(len(cases)), elsewhere, float64(elsewhere)/float64(len(cases)), 1-float64(either)/float64(len(cases)))
	for _, k := range []string{"all", "individual", "entity"} {
		r := rec[k]
		t.Logf("held-out SDN aliases, %-10s n=%4d recall@1 %.3f recall@5 %.3f", k, r.N, r.R1(), r.R5())
	}
	t.Logf("alias queries on one goroutine (threshold 0.3, all types): %.0f queries/s", float64(len(cases))/el.Seconds())
	start = time.Now()
	for _, c := range cases {
		ix.Screen(Query{Names: []string{c.Query}}, Options{})
	}
	t.Logf("alias queries on one goroutine at GateThreshold %.2f: %.0f queries/s", GateThreshold, float64(len(cases))/time.Since(start).Seconds())

	// Arabic script: UN original-script names against the UN's Latin names
	// (UN only, for the same reason as above).
	aidx, acases := eval.ArabicCases(un, lists.UNSC)
	aix := NewIndex(aidx)
	var ar eval.Recall
	var arScores []float64
	for _, c := range acases {
		hs := aix.Screen(Query{Names: []string{c.Query}}, Options{Threshold: 0.3, Types: allTypes})
		a := answers(hs)
		ar.Add(eval.Rank(a, c.Want))
		s := 0.0
		for _, x := range a {
			if x.Key == c.Want {
				s = x.Score
			}
		}
		arScores = append(arScores, s)
	}
	t.Logf("UN Arabic-script names vs Latin names: n=%d recall@1 %.3f recall@5 %.3f", ar.N, ar.R1(), ar.R5())

	// Generated registrants against the full lists.
	full := NewIndex(all)
	people := eval.GeneratePeople(*measurePeople, 7)
	qs := make([]Query, len(people))
	for i, p := range people {
		qs[i] = Query{ID: fmt.Sprint(i), Names: []string{p.Given + " " + p.Family}, DOB: p.DOB, Sex: p.Sex, Nationalities: []string{"AF"}}
	}
	start = time.Now()
	res, err := full.ScreenAll(context.Background(), qs, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	el = time.Since(start)
	flagged := 0
	for _, hs := range res {
		if len(hs) > 0 {
			flagged++
		}
	}
	t.Logf("%d generated registrants screened at GateThreshold on %d cores in %v (%.0f/s); %.2f%% flagged",
		len(qs), runtime.GOMAXPROCS(0), el.Round(time.Millisecond), float64(len(qs))/el.Seconds(), 100*float64(flagged)/float64(len(qs)))

	// Threshold curve: held-out recall (true entry scored at or above T)
	// against the share of generated registrants holding a hit at T.
	low, err := full.ScreenAll(context.Background(), qs[:min(len(qs), 20000)], Options{Threshold: 0.6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range []float64{0.65, 0.70, 0.72, 0.75, 0.78, 0.80, 0.85, 0.90, 0.95} {
		var rAlias, rInd, rArabic, fl int
		for _, s := range trueScores {
			if s >= th {
				rAlias++
			}
		}
		for _, s := range indScores {
			if s >= th {
				rInd++
			}
		}
		for _, s := range arScores {
			if s >= th {
				rArabic++
			}
		}
		for _, hs := range low {
			if len(hs) > 0 && hs[0].Score >= th {
				fl++
			}
		}
		t.Logf("threshold %.2f: held-out aliases found %.3f (individuals %.3f), Arabic-script found %.3f, generated registrants flagged %.2f%%",
			th, float64(rAlias)/float64(len(trueScores)), float64(rInd)/float64(len(indScores)), float64(rArabic)/float64(len(arScores)), 100*float64(fl)/float64(len(low)))
	}
	if os.Getenv("MEASURE_SHOW_MISSES") != "" {
		n := 0
		for i, c := range cases {
			if trueScores[i] < GateThreshold && n < 40 {
				n++
				hs := ix.Screen(Query{Names: []string{c.Query}}, Options{Threshold: 0.3, Top: 1, Types: allTypes})
				top := ""
				if len(hs) > 0 {
					top = fmt.Sprintf("%s %q %.2f", hs[0].EntryID, hs[0].NameMatched, hs[0].Score)
				}
				t.Logf("miss %q want %s (%.2f), top %s", c.Query, c.Want, trueScores[i], top)
			}
		}
	}
}

// BenchmarkScreen is one registrant screened against SDN + UN at the gate
// threshold.
func BenchmarkScreen(b *testing.B) {
	ix := NewIndex(loadReal(b))
	people := eval.GeneratePeople(10000, 3)
	i := 0
	for b.Loop() {
		p := people[i%len(people)]
		ix.Screen(Query{Names: []string{p.Given + " " + p.Family}, DOB: p.DOB, Sex: p.Sex}, Options{})
		i++
	}
}

// BenchmarkScreenAll screens 100,000 generated registrants on all cores
// against SDN + UN, the shape of a registry-wide run.
func BenchmarkScreenAll(b *testing.B) {
	ix := NewIndex(loadReal(b))
	people := eval.GeneratePeople(100_000, 7)
	qs := make([]Query, len(people))
	for i, p := range people {
		qs[i] = Query{Names: []string{p.Given + " " + p.Family}, DOB: p.DOB, Sex: p.Sex, Nationalities: []string{"AF"}}
	}
	for b.Loop() {
		if _, err := ix.ScreenAll(context.Background(), qs, Options{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

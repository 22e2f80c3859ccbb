// Command watchman runs moov-io/watchman's matcher and muster's screening
// side by side on the same lists and the same queries, in one process, and
// prints both sets of figures and their ratio:
//
//   - alias retrieval: 1,500 SDN alternate names (alt.csv) held out of the
//     index and queried against the rest of the SDN; recall@1 and @5,
//     individuals and entities apart;
//   - original script: the UN list's Arabic-script names (NAME_ORIGINAL_SCRIPT)
//     queried against the UN's Latin names; recall@1 and @5;
//   - queries per second on one goroutine, over the alias queries;
//   - optionally (-people N), the time muster takes to screen N generated
//     registrants on all cores.
//
// Both engines index the same entries, parsed once by muster/internal/lists
// and handed to watchman as search.Entity values (primary name, alternate
// names, type); the held-out protocol is muster/internal/screen/eval. Ranks
// count ties against the engine. watchman is run the way its v2 search
// service scores (pkg/search.Similarity over every entity; TF-IDF weighting
// is off by default there and is off here).
//
// This is its own module so that watchman's dependencies never reach
// muster's build.
//
//	cd bench/watchman && go run . [-data ../../../shared/data/lists] [-people 1000000]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/moov-io/watchman/pkg/search"

	"muster/internal/lists"
	"muster/internal/screen"
	"muster/internal/screen/eval"
)

func main() {
	data := flag.String("data", "../../../shared/data/lists", "folder of the published lists")
	n := flag.Int("n", 1500, "SDN alternate names held out")
	seed := flag.Uint64("seed", 1, "seed of the held-out sample")
	people := flag.Int("people", 0, "also time muster screening this many generated registrants against SDN + UN on all cores")
	flag.Parse()
	if err := run(*data, *n, *seed, *people); err != nil {
		fmt.Fprintln(os.Stderr, "watchman bench:", err)
		os.Exit(1)
	}
}

var allTypes = []string{lists.TypeIndividual, lists.TypeEntity, lists.TypeVessel, lists.TypeAircraft}

// engine is one side of the comparison: build an index, rank a query.
type engine interface {
	Name() string
	Build(entries []lists.Entry)
	Rank(query string) []eval.Scored
}

type musterEngine struct{ ix *screen.Index }

func (m *musterEngine) Name() string                { return "muster" }
func (m *musterEngine) Build(entries []lists.Entry) { m.ix = screen.NewIndex(entries) }
func (m *musterEngine) Rank(q string) []eval.Scored {
	hs := m.ix.Screen(screen.Query{Names: []string{q}}, screen.Options{Threshold: 0.3, Types: allTypes})
	out := make([]eval.Scored, len(hs))
	for i, h := range hs {
		out[i] = eval.Scored{Key: h.List + ":" + h.EntryID, Score: h.Score}
	}
	return out
}

type watchmanEngine struct {
	ents []search.Entity[search.Value]
	keys []string
}

func (w *watchmanEngine) Name() string { return "watchman v0.60.0" }

func (w *watchmanEngine) Build(entries []lists.Entry) {
	w.ents, w.keys = w.ents[:0], w.keys[:0]
	for _, e := range entries {
		if len(e.Names) == 0 {
			continue
		}
		var alt []string
		for _, n := range e.Names[1:] {
			alt = append(alt, n.Name)
		}
		we := search.Entity[search.Value]{Name: e.Names[0].Name, Source: search.SourceUSOFAC, SourceID: e.ID}
		switch e.Type {
		case lists.TypeIndividual:
			we.Type = search.EntityPerson
			we.Person = &search.Person{Name: we.Name, AltNames: alt}
		case lists.TypeVessel:
			we.Type = search.EntityVessel
			we.Vessel = &search.Vessel{Name: we.Name, AltNames: alt}
		case lists.TypeAircraft:
			we.Type = search.EntityAircraft
			we.Aircraft = &search.Aircraft{Name: we.Name, AltNames: alt}
		default:
			we.Type = search.EntityBusiness
			we.Business = &search.Business{Name: we.Name, AltNames: alt}
		}
		w.ents = append(w.ents, we.Normalize())
		w.keys = append(w.keys, e.Key())
	}
}

// Rank scores every entity, as watchman's search service does; returning
// them all lets ties be counted exactly.
func (w *watchmanEngine) Rank(q string) []eval.Scored {
	qe := search.Entity[search.Value]{Name: q, Source: search.SourceAPIRequest}.Normalize()
	out := make([]eval.Scored, 0, 64)
	for i := range w.ents {
		if s := search.Similarity(qe, w.ents[i]); s > 0 {
			out = append(out, eval.Scored{Key: w.keys[i], Score: s})
		}
	}
	return out
}

type result struct {
	all, ind, ent eval.Recall
	qps           float64
	build         time.Duration
}

func measure(e engine, entries []lists.Entry, cases []eval.Case) result {
	var r result
	start := time.Now()
	e.Build(entries)
	r.build = time.Since(start)
	start = time.Now()
	for _, c := range cases {
		rank := eval.Rank(e.Rank(c.Query), c.Want)
		r.all.Add(rank)
		if c.Type == lists.TypeIndividual {
			r.ind.Add(rank)
		} else {
			r.ent.Add(rank)
		}
	}
	r.qps = float64(len(cases)) / time.Since(start).Seconds()
	return r
}

func run(data string, n int, seed uint64, people int) error {
	sdn, err := lists.Load(filepath.Join(data, "ofac-sdn-2024-05"))
	if err != nil {
		return err
	}
	un, err := lists.Load(filepath.Join(data, "un-sc-2026-02-27.xml"))
	if err != nil {
		return err
	}
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	fmt.Printf("# muster vs watchman, %s, GOMAXPROCS %d, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("lists: OFAC SDN 2024-05 (%d entries), UN SC 2026-02-27 (%d entries)\n\n", len(sdn), len(un))

	engines := []engine{&musterEngine{}, &watchmanEngine{}}

	idx, cases := eval.HoldOutAliases(sdn, lists.OFACSDN, n, seed)
	fmt.Printf("## Held-out SDN alternate names (%d, seed %d), queried against the rest of the SDN\n\n", len(cases), seed)
	fmt.Println("| engine | recall@1 | recall@5 | individuals @1 / @5 | entities @1 / @5 | queries/s, one goroutine | index build |")
	fmt.Println("|---|---|---|---|---|---|---|")
	var alias []result
	for _, e := range engines {
		r := measure(e, idx, cases)
		alias = append(alias, r)
		fmt.Printf("| %s | %.3f | %.3f | %.3f / %.3f (n=%d) | %.3f / %.3f (n=%d) | %.1f | %v |\n", e.Name(),
			r.all.R1(), r.all.R5(), r.ind.R1(), r.ind.R5(), r.ind.N, r.ent.R1(), r.ent.R5(), r.ent.N, r.qps, r.build.Round(time.Millisecond))
	}
	fmt.Printf("\nratio muster/watchman: recall@1 %.2fx, queries/s %.1fx\n\n", alias[0].all.R1()/alias[1].all.R1(), alias[0].qps/alias[1].qps)

	aidx, acases := eval.ArabicCases(un, lists.UNSC)
	fmt.Printf("## UN Arabic-script names (%d) queried against the UN's Latin names\n\n", len(acases))
	fmt.Println("| engine | recall@1 | recall@5 | queries/s, one goroutine |")
	fmt.Println("|---|---|---|---|")
	for _, e := range engines {
		r := measure(e, aidx, acases)
		fmt.Printf("| %s | %.3f | %.3f | %.1f |\n", e.Name(), r.all.R1(), r.all.R5(), r.qps)
	}

	if people > 0 {
		all := append(append([]lists.Entry(nil), sdn...), un...)
		ix := screen.NewIndex(all)
		ps := eval.GeneratePeople(people, 7)
		qs := make([]screen.Query, len(ps))
		for i, p := range ps {
			qs[i] = screen.Query{ID: fmt.Sprint(i), Names: []string{p.Given + " " + p.Family}, DOB: p.DOB, Sex: p.Sex, Nationalities: []string{"AF"}}
		}
		start := time.Now()
		res, err := ix.ScreenAll(context.Background(), qs, screen.Options{}, nil)
		if err != nil {
			return err
		}
		el := time.Since(start)
		flagged := 0
		for _, hs := range res {
			if len(hs) > 0 {
				flagged++
			}
		}
		fmt.Printf("\n## muster: %d generated registrants against SDN + UN (%d entries) at GateThreshold %.2f\n\n", people, len(all), screen.GateThreshold)
		fmt.Printf("%v on %d cores (%.0f registrants/s); %.2f%% held for a screener\n", el.Round(time.Millisecond), runtime.GOMAXPROCS(0),
			float64(people)/el.Seconds(), 100*float64(flagged)/float64(people))
	}
	return nil
}

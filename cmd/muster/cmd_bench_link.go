package main

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"syscall"
	"time"

	"muster"
	"muster/internal/demo"
	"muster/internal/intake"
	"muster/internal/resolve"
)

// benchLink measures incremental linking: one new registration linked
// against a Linker that holds --rows registrations of the demo's synthetic
// families (clustered as the generator's truth, as a resolved database
// would be), with a model trained by a batch run over the first --train.
// Generating, training and indexing are timed apart from the links. With
// --cases the new registrations are linked a case at a time, as muster
// import links them (family evidence), and the latency is per case.
func benchLink(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "bench link", "[--rows N] [--links N] [--train N] [--cases]")
	rows := fs.Int("rows", 100_000, "registrations the Linker holds")
	links := fs.Int("links", 10_000, "new registrations to link, one at a time")
	train := fs.Int("train", 100_000, "registrations the model is trained on (the first of --rows)")
	cases := fs.Bool("cases", false, "link the new registrations a case at a time (resolve.Linker.AddCase), as muster import does")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *rows < 2 || *links < 1 || *train < 2 {
		return fmt.Errorf("bench link: --rows and --train at least 2, --links at least 1")
	}
	t0 := time.Now()
	recs, truth, err := demoRecords(*rows + *links)
	if err != nil {
		return err
	}
	if len(recs) < *rows+*links {
		return fmt.Errorf("bench link: the generator made %d registrations, %d wanted", len(recs), *rows+*links)
	}
	t1 := time.Now()
	td := resolve.NewRegistrations()
	if err := resolve.AddRecords(td, min(*train, *rows), func(i int) *muster.Record { return &recs[i] }); err != nil {
		return err
	}
	res, err := resolve.Resolve(ctx, td, resolve.RegistrationOptions(td))
	if err != nil {
		return err
	}
	model := res.Model
	res, td = nil, nil
	runtime.GC()
	t2, c2 := time.Now(), cpuTime()
	d := resolve.NewRegistrations()
	if err := resolve.AddRecords(d, *rows, func(i int) *muster.Record { return &recs[i] }); err != nil {
		return err
	}
	cluster := slices.Clone(truth[:*rows])
	held := slices.Clone(recs[*rows:])
	recs = nil
	lk, err := resolve.NewLinker(d, resolve.RegistrationOptions(d), model, cluster)
	if err != nil {
		return err
	}
	t3, c3 := time.Now(), cpuTime()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// Wall time per link, and the process's CPU time per link: on a shared
	// machine the wall time's tail is mostly waiting for a core.
	// One arrival per registration, or per case: a case's registrations
	// are consecutive in the generator's output.
	var arrivals [][]int
	for i := range held {
		if k := len(arrivals) - 1; *cases && k >= 0 && held[i].CaseRef != "" &&
			held[i].Source == held[arrivals[k][0]].Source && held[i].CaseRef == held[arrivals[k][0]].CaseRef {
			arrivals[k] = append(arrivals[k], i)
			continue
		}
		arrivals = append(arrivals, []int{i})
	}
	lat, cpu := make([]time.Duration, len(arrivals)), make([]time.Duration, len(arrivals))
	merges, review := 0, 0
	t4 := time.Now()
	for k, a := range arrivals {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := cpuTime()
		t := time.Now()
		var res []resolve.Linked
		if *cases {
			rs, cl := make([]*muster.Record, len(a)), make([]int64, len(a))
			for m, i := range a {
				rs[m], cl[m] = &held[i], 1<<40+int64(i)
			}
			if res, err = lk.AddCase(rs, cl, 0.5); err != nil {
				return err
			}
		} else {
			r, err := lk.AddRecord(&held[a[0]], 1<<40+int64(a[0]), 0.5)
			if err != nil {
				return err
			}
			res = []resolve.Linked{r}
		}
		lat[k], cpu[k] = time.Since(t), cpuTime()-c
		for _, r := range res {
			merges += len(r.Merges)
			review += len(r.Review)
		}
	}
	total := time.Since(t4)
	fmt.Fprintf(env.Stdout, "generate %d registrations %.1fs, train on %d %.1fs, index %d registrations of %d people %.1fs (%.1fs cpu; heap in use %d MiB)\n",
		*rows+*links, t1.Sub(t0).Seconds(), min(*train, *rows), t2.Sub(t1).Seconds(), *rows, lk.NumClusters(), t3.Sub(t2).Seconds(), (c3 - c2).Seconds(), ms.HeapInuse>>20)
	unit := "registrations one at a time"
	if *cases {
		unit = fmt.Sprintf("registrations in %d cases, a case at a time (latency per case)", len(arrivals))
	}
	fmt.Fprintf(env.Stdout, "link %d %s: %d merges, %d pairs for review; mean %v wall\n",
		len(held), unit, merges, review, (total / time.Duration(len(lat))).Round(time.Microsecond))
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"wall", lat}, {"cpu", cpu}} {
		slices.Sort(m.d)
		q := func(p float64) time.Duration {
			return m.d[min(len(m.d)-1, int(p*float64(len(m.d))))].Round(time.Microsecond)
		}
		over := len(m.d) - sort.Search(len(m.d), func(i int) bool { return m.d[i] > 10*time.Millisecond })
		fmt.Fprintf(env.Stdout, "  %-4s p50 %v, p99 %v, max %v; %d over 10 ms\n", m.name, q(0.5), q(0.99), m.d[len(m.d)-1].Round(time.Microsecond), over)
	}
	return nil
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// demoRecords generates n registrations of the demo's synthetic families,
// read through intake as an import reads them, and each one's true person.
func demoRecords(n int) ([]muster.Record, []int64, error) {
	gen := demo.New(demo.Config{Seed: 1, Families: n, DupRate: 0.3})
	var recs []muster.Record
	var chunk []demo.Row
	flush := func() error {
		var buf bytes.Buffer
		if err := demo.WriteCSV(&buf, chunk); err != nil {
			return err
		}
		res, err := intake.Read(&buf, "generated.csv", intake.FormatCSV, intake.Options{})
		if err != nil {
			return err
		}
		if len(res.Rejected) > 0 {
			return fmt.Errorf("generated rows rejected: %v", res.Rejected[0].Error())
		}
		recs = append(recs, res.Records...)
		chunk = chunk[:0]
		return nil
	}
	for made := 0; made < n; {
		rs := gen.Next()
		if rs == nil {
			break
		}
		rs = rs[:min(len(rs), n-made)]
		chunk = append(chunk, rs...)
		made += len(rs)
		if len(chunk) >= 20_000 {
			if err := flush(); err != nil {
				return nil, nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	truth := make([]int64, len(recs))
	for i := range recs {
		p, ok := gen.Truth[recs[i].Source+"/"+recs[i].SourceID]
		if !ok {
			p = -1 - i // no truth known: a person of its own
		}
		truth[i] = int64(p)
	}
	return recs, truth, nil
}

package resolve

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
)

// splitLink links the records of src (in a shuffled order) twice: all in
// one batch, and the first half in a batch with the rest linked one at a
// time through a Linker trained by that batch. It returns the pair F1 of
// each against truth. fresh makes an empty data set with src's fields.
// With cases set, the rest arrive a group (case) at a time, in the order
// of their first record, and are linked with AddGroup: an import's
// families; records of no group still come one by one.
func splitLink(t *testing.T, src *Data, truth []int, fresh func() *Data, options func(*Data) Options, cases bool) (batch, incr float64) {
	t.Helper()
	ctx := context.Background()
	n := src.Len()
	perm := rand.New(rand.NewPCG(3, 4)).Perm(n)
	values := func(i int) (string, string, []string) {
		v := make([]string, len(src.Fields))
		for f := range v {
			v[f] = src.Value(f, i)
		}
		g := ""
		if src.Group[i] >= 0 {
			g = "g" + itoa(int(src.Group[i]))
		}
		return src.IDs[i], g, v
	}
	ptruth := make([]int, n)
	all := fresh()
	for k, i := range perm {
		ptruth[k] = truth[i]
		if err := all.Add(values(i)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Resolve(ctx, all, options(all))
	if err != nil {
		t.Fatal(err)
	}
	_, _, batch = pairF1(res.Cluster, ptruth)

	half := fresh()
	for _, i := range perm[:n/2] {
		if err := half.Add(values(i)); err != nil {
			t.Fatal(err)
		}
	}
	opt := options(half)
	hr, err := Resolve(ctx, half, opt)
	if err != nil {
		t.Fatal(err)
	}
	cl := make([]int64, n/2)
	for i, c := range hr.Cluster {
		cl[i] = int64(c)
	}
	l, err := NewLinker(half, opt, hr.Model, cl)
	if err != nil {
		t.Fatal(err)
	}
	// The rest in arrivals: one record each, or a group's records each.
	var arrivals [][]int
	at := map[string]int{}
	for k, i := range perm[n/2:] {
		_, g, _ := values(i)
		if a, ok := at[g]; ok && cases && g != "" {
			arrivals[a] = append(arrivals[a], k)
			continue
		}
		at[g] = len(arrivals)
		arrivals = append(arrivals, []int{k})
	}
	// Records are numbered in the order they arrive.
	order := make([]int, 0, n)
	for _, i := range perm[:n/2] {
		order = append(order, i)
	}
	start := time.Now()
	for _, a := range arrivals {
		rs := make([]Arrival, len(a))
		for m, k := range a {
			i := perm[n/2+k]
			order = append(order, i)
			id, g, v := values(i)
			// New clusters are numbered after the batch's, so a merge keeps
			// the batch's id.
			rs[m] = Arrival{ID: id, Group: g, Values: v, Cluster: int64(n/2 + k)}
		}
		var lks []Linked
		var err error
		if cases {
			lks, err = l.AddGroup(rs, 0.5)
		} else {
			var lk Linked
			lk, err = l.Add(rs[0].ID, rs[0].Group, rs[0].Values, rs[0].Cluster, 0.5)
			lks = []Linked{lk}
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, lk := range lks {
			for _, m := range lk.Merges {
				if m.Into > m.Absorbed {
					t.Errorf("merge kept the newer id: %+v", m)
				}
			}
		}
	}
	per := time.Since(start) / time.Duration(n-n/2)
	otruth := make([]int, n)
	for k, i := range order {
		otruth[k] = truth[i]
	}
	got := l.Clusters()
	c32 := make([]int32, n)
	num := map[int64]int32{}
	for i, c := range got {
		if _, ok := num[c]; !ok {
			num[c] = int32(len(num))
		}
		c32[i] = num[c]
	}
	p, r, f := pairF1(c32, otruth)
	bp, br, _ := pairF1(res.Cluster, ptruth)
	how := "one by one"
	if cases {
		how = "case by case"
	}
	t.Logf("%d records: all batch precision %.4f recall %.4f F1 %.4f; half batch + %d linked %s (%v each) precision %.4f recall %.4f F1 %.4f",
		n, bp, br, batch, n-n/2, how, per, p, r, f)
	return batch, f
}

// TestLinkerAgreesWithBatch links labelled sets half in batch and half one
// registration at a time: the incremental result must be about as good as
// resolving everything at once.
func TestLinkerAgreesWithBatch(t *testing.T) {
	tests := []struct {
		name string
		load func(t *testing.T) (*Data, []int)
		// fresh and options as the data set's reader makes them.
		fresh   func() *Data
		options func(*Data) Options
		slack   float64 // how far below the batch F1 incremental may fall
	}{{
		name: "synthetic registrations",
		load: func(t *testing.T) (*Data, []int) {
			recs, truth := synth(5000, 7)
			d := NewRegistrations()
			for k := range recs {
				if err := AddRecord(d, &recs[k]); err != nil {
					t.Fatal(err)
				}
			}
			return d, truth
		},
		fresh:   NewRegistrations,
		options: RegistrationOptions,
		slack:   0.02,
	}, {
		name: "FEBRL",
		load: func(t *testing.T) (*Data, []int) {
			f, err := os.Open("testdata/febrl1_head.csv")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d := NewFEBRL()
			if err := ReadFEBRL(d, f); err != nil {
				t.Fatal(err)
			}
			re := regexp.MustCompile(`^rec-(\d+)-`)
			truth := make([]int, d.Len())
			for i, id := range d.IDs {
				truth[i] = atoi(re.FindStringSubmatch(id)[1])
			}
			return d, truth
		},
		fresh:   NewFEBRL,
		options: FEBRLOptions,
		slack:   0.02,
	}, {
		name: "Splink fake_1000",
		load: func(t *testing.T) (*Data, []int) {
			raw, err := os.ReadFile("testdata/fake_1000.csv")
			if err != nil {
				t.Fatal(err)
			}
			d, err := ReadSplink(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
			truth := make([]int, 0, len(lines)-1)
			for _, l := range lines[1:] {
				truth = append(truth, atoi(l[strings.LastIndexByte(l, ',')+1:]))
			}
			return d, truth
		},
		fresh: func() *Data {
			d, err := ReadSplink(strings.NewReader("unique_id,first_name,surname,dob,city,email\n"))
			if err != nil {
				panic(err)
			}
			return d
		},
		options: SplinkOptions,
		slack:   0.05,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, truth := tt.load(t)
			for _, cases := range []bool{false, true} {
				batch, incr := splitLink(t, src, truth, tt.fresh, tt.options, cases)
				if incr < batch-tt.slack {
					t.Errorf("cases %v: incremental F1 %.4f, batch %.4f: more than %.2f below", cases, incr, batch, tt.slack)
				}
			}
		})
	}
}

// TestLinkerDecisions: a new spelling joins its person's cluster, whose id
// stays; a cannot-link between clusters holds, also after one of them
// absorbed another; a sibling is not merged; a model read back from JSON
// links the same.
func TestLinkerDecisions(t *testing.T) {
	bg, _ := synth(2000, 11)
	people := []muster.Record{
		{Source: "webform", SourceID: "p1", Given: "Ahmad", Family: "Wardak", Father: "Zahir", DOB: date(1990, 6, 15), Sex: "M", Passport: "P1234567", Phones: []string{"+93700999888"}},
		{Source: "ngo-a", SourceID: "p2", Given: "Ahmed", Family: "Wardag", Father: "Zaheer", DOB: date(1990, 6, 15), Sex: "M", Passport: "P1234567"},
		{Source: "consular", SourceID: "s1", Given: "Mahmood", Family: "Wardak", Father: "Zahir", DOB: date(1993, 2, 1), Sex: "M", Phones: []string{"+93700999888"}},
	}
	d := NewRegistrations()
	for k := range bg {
		if err := AddRecord(d, &bg[k]); err != nil {
			t.Fatal(err)
		}
	}
	opt := RegistrationOptions(d)
	res, err := Resolve(context.Background(), d, opt)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "Mohammad") {
		t.Error("the model holds a name")
	}
	newLinker := func(t *testing.T, m *Model) *Linker {
		d := NewRegistrations()
		for k := range bg {
			AddRecord(d, &bg[k])
		}
		cl := make([]int64, d.Len())
		for i, c := range res.Cluster {
			cl[i] = int64(c)
		}
		l, err := NewLinker(d, RegistrationOptions(d), m, cl)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	const a, b, s = 100_000, 100_001, 100_002
	link := func(t *testing.T, l *Linker, r muster.Record, c int64) Linked {
		t.Helper()
		lk, err := l.AddRecord(&r, c, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		return lk
	}
	loaded, err := LoadModel(body)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]*Model{"trained": res.Model, "from JSON": loaded} {
		t.Run(name, func(t *testing.T) {
			l := newLinker(t, m)
			link(t, l, people[0], a)
			lk := link(t, l, people[1], b)
			want := []Merge{{Into: a, Absorbed: b, I: lk.Record, J: lk.Record - 1, Prob: lk.Merges[0].Prob}}
			if diff := cmp.Diff(want, lk.Merges); diff != "" {
				t.Errorf("second spelling: merges (-want +got)\n%s", diff)
			}
			if lk.Cluster != a {
				t.Errorf("cluster %d, want %d (the older id)", lk.Cluster, a)
			}
			// The brother shares father, family, phone: kept apart.
			if lk := link(t, l, people[2], s); lk.Cluster != s || len(lk.Merges) != 0 {
				t.Errorf("sibling: %+v", lk)
			}
		})
	}
	t.Run("cannot-link", func(t *testing.T) {
		l := newLinker(t, res.Model)
		link(t, l, people[0], a)
		// A reviewer said the person in cluster a and the one about to be
		// registered as c are different; then c's record arrives.
		const c = 100_003
		l.CannotLink(a, c)
		lk := link(t, l, people[1], c)
		if lk.Cluster != c || len(lk.Merges) != 0 || lk.Refused == 0 {
			t.Errorf("cannot-link pair merged: %+v", lk)
		}
		if len(lk.Review) != 0 {
			t.Errorf("a decided pair is back in review: %+v", lk.Review)
		}
		// A third spelling may join one side, never both.
		r := people[1]
		r.Source, r.SourceID, r.Given = "mp-office", "m1", "Ahmad"
		lk = link(t, l, r, 100_004)
		if l.Cluster(lk.Record-1) == l.Cluster(lk.Record-2) {
			t.Errorf("a bridging record joined two people a reviewer kept apart: %+v", lk)
		}
		// Replaced: a removed record is not linked against.
		l.Remove(lk.Record)
		lk2 := link(t, l, r, 100_005)
		for _, m := range lk2.Merges {
			if m.J == lk.Record {
				t.Errorf("linked against a removed record: %+v", m)
			}
		}
	})
}

var (
	splitFEBRL  = flag.String("link.febrl", "", "TestLinkerAgreesWithBatchFiles: a FEBRL file to link half in batch, half one by one")
	splitSplink = flag.String("link.splink", "", "TestLinkerAgreesWithBatchFiles: a Splink demo CSV (with its cluster column) to do the same with")
	splitSynth  = flag.Int("link.synth", 0, "TestLinkerAgreesWithBatchFiles: this many synthetic registrations to do the same with")
)

// TestLinkerAgreesWithBatchFiles is TestLinkerAgreesWithBatch on the
// larger sets of ../shared/data/linkage when asked to (the figures in
// BENCHMARKS.md).
func TestLinkerAgreesWithBatchFiles(t *testing.T) {
	if *splitFEBRL == "" && *splitSplink == "" && *splitSynth == 0 {
		t.Skip("set -link.febrl, -link.splink or -link.synth")
	}
	if *splitFEBRL != "" {
		f, err := os.Open(*splitFEBRL)
		if err != nil {
			t.Fatal(err)
		}
		d := NewFEBRL()
		err = ReadFEBRL(d, f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(`^rec-(\d+)-`)
		truth := make([]int, d.Len())
		for i, id := range d.IDs {
			truth[i] = atoi(re.FindStringSubmatch(id)[1])
		}
		splitLink(t, d, truth, NewFEBRL, FEBRLOptions, false)
	}
	if *splitSplink != "" {
		raw, err := os.ReadFile(*splitSplink)
		if err != nil {
			t.Fatal(err)
		}
		d, err := ReadSplink(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		cr := csv.NewReader(strings.NewReader(string(raw)))
		rows, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(rows[0], "cluster")
		var truth []int
		for _, r := range rows[1:] {
			truth = append(truth, atoi(r[col]))
		}
		header := strings.Join(slices.DeleteFunc(slices.Clone(rows[0]), func(s string) bool { return s == "cluster" }), ",") + "\n"
		splitLink(t, d, truth, func() *Data {
			d, err := ReadSplink(strings.NewReader(header))
			if err != nil {
				panic(err)
			}
			return d
		}, SplinkOptions, false)
	}
	if *splitSynth > 0 {
		recs, truth := synth(*splitSynth, 1)
		d := NewRegistrations()
		for k := range recs {
			AddRecord(d, &recs[k])
		}
		splitLink(t, d, truth, NewRegistrations, RegistrationOptions, false)
		splitLink(t, d, truth, NewRegistrations, RegistrationOptions, true)
	}
}

// TestLinkerCandidatesMatchBatch: the records blocking pairs a new record
// with are exactly those the batch blocking of all records so far pairs it
// with, capped blocks and windows included (a small cap forces them; sort
// keys are unique, so windows have no ties).
func TestLinkerCandidatesMatchBatch(t *testing.T) {
	recs, _ := synth(1200, 9)
	rng := rand.New(rand.NewPCG(5, 6))
	// A few cities and many people: blocks far over the cap, also among
	// the records added one by one, whose ids come in no order.
	type row struct{ id, name, city string }
	var rows []row
	for k := range 600 {
		rows = append(rows, row{fmt.Sprintf("%08x", rng.Uint32()), fmt.Sprintf("name %d", k%37), fmt.Sprint("city ", rng.IntN(4))})
	}
	tests := []struct {
		name  string
		n     int
		fresh func() *Data
		add   func(d *Data, i int) error
		rules func(d *Data) []Rule
	}{{
		name:  "synthetic registrations",
		n:     len(recs),
		fresh: NewRegistrations,
		add:   func(d *Data, i int) error { return AddRecord(d, &recs[i]) },
		rules: func(d *Data) []Rule { return RegistrationOptions(d).Rules },
	}, {
		name: "few cities",
		n:    len(rows),
		fresh: func() *Data {
			return NewData([]Field{{Name: "name", Cmp: NewStringCmp()}, {Name: "city", Cmp: &ExactCmp{}}})
		},
		add: func(d *Data, i int) error { return d.Add(rows[i].id, "", []string{rows[i].name, rows[i].city}) },
		rules: func(d *Data) []Rule {
			return []Rule{On("city", Part{1, nil}), On("name", Part{0, nil})}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			options := func(d *Data) Options {
				return Options{Rules: tt.rules(d), MaxBlock: 4, Window: 2, SortKey: func(i int) string { return d.IDs[i] }}
			}
			first := tt.n / 5
			part := tt.fresh()
			for i := range first {
				tt.add(part, i)
			}
			opt := options(part)
			res, err := Resolve(context.Background(), part, opt)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewLinker(part, opt, res.Model, nil)
			if err != nil {
				t.Fatal(err)
			}
			checked, capped := 0, 0
			for i := first; i < tt.n; i++ {
				// Add's steps, with the candidates kept.
				if err := tt.add(l.d, i); err != nil {
					t.Fatal(err)
				}
				x := int32(i)
				l.d.extend()
				l.cluster, l.dead = append(l.cluster, int64(i)), append(l.dead, false)
				l.live++
				l.join(int64(i), x)
				got := l.candidates(x)
				l.index(x)
				if i%4 != 0 && i != tt.n-1 {
					continue
				}
				prefix := tt.fresh()
				for k := 0; k <= i; k++ {
					tt.add(prefix, k)
				}
				popt := options(prefix)
				pairs, _, stats := block(prefix, popt.Rules, popt.MaxBlock, popt.Window, popt.SortKey, nil)
				var want []int32
				for _, p := range pairs {
					if a, b := unpair(p); b == x {
						want = append(want, a)
					}
				}
				for _, s := range stats {
					capped += s.Capped
				}
				checked++
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("record %d: candidates (-batch +linker)\n%s", i, diff)
				}
			}
			sorted := 0
			for _, ix := range l.rules {
				for _, b := range ix.more {
					if b.sorted {
						sorted++
					}
				}
			}
			if capped == 0 || sorted == 0 {
				t.Error("no block was capped: the windows went untested")
			}
			t.Logf("%d records checked; %d capped blocks in the batch runs, %d of the added blocks over the cap", checked, capped, sorted)
		})
	}
}

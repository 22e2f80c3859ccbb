package resolve

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"muster"
)

// BenchmarkLinkerBuild is what a new process (each muster import) pays
// before it links anything: every registration added to the data, then the
// Linker's indexes built. The model is trained outside the timer.
func BenchmarkLinkerBuild(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			recs, truth := synth(n, 1)
			td := NewRegistrations()
			for k := range recs[:min(n, 10_000)] {
				if err := AddRecord(td, &recs[k]); err != nil {
					b.Fatal(err)
				}
			}
			res, err := Resolve(context.Background(), td, RegistrationOptions(td))
			if err != nil {
				b.Fatal(err)
			}
			cl := make([]int64, len(recs))
			for i, t := range truth {
				cl[i] = int64(t)
			}
			cpu := cpuTime()
			for b.Loop() {
				d := NewRegistrations()
				if err := AddRecords(d, len(recs), func(i int) *muster.Record { return &recs[i] }); err != nil {
					b.Fatal(err)
				}
				if _, err := NewLinker(d, RegistrationOptions(d), res.Model, cl); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// TestAddRecords: adding registrations all at once makes the same data as
// adding them one by one.
func TestAddRecords(t *testing.T) {
	recs, _ := synth(6000, 3)
	one, all := NewRegistrations(), NewRegistrations()
	for k := range recs {
		if err := AddRecord(one, &recs[k]); err != nil {
			t.Fatal(err)
		}
	}
	// In two parts, as a Linker's data grows.
	half := len(recs) / 2
	for _, part := range [][]muster.Record{recs[:half], recs[half:]} {
		if err := AddRecords(all, len(part), func(i int) *muster.Record { return &part[i] }); err != nil {
			t.Fatal(err)
		}
	}
	type view struct {
		IDs     []string
		Group   []int32
		Vals    [][]int32
		Dict    [][]string
		Count   [][]int32
		NonNull []int
		Groups  map[string]int32
	}
	of := func(d *Data) view { return view{d.IDs, d.Group, d.vals, d.dict, d.count, d.nonNull, d.groups} }
	if diff := gocmp.Diff(of(one), of(all)); diff != "" {
		t.Errorf("(-one by one +all at once)\n%s", diff)
	}
	bad := NewData([]Field{{Name: "a", Cmp: &ExactCmp{}}})
	if err := bad.addRows([]string{"x"}, []string{""}, [][]string{{"1", "2"}}); err == nil || bad.Len() != 0 {
		t.Errorf("two values for one field: %v, %d records added", err, bad.Len())
	}
}

// TestSortKeyRecords: the radix sort orders as a comparison sort does,
// many records to a hash.
func TestSortKeyRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{10, 5000, 70_000} {
		a := make([]keyRecord, n)
		for i := range a {
			// Records in increasing order, as buildRuleIndex appends them;
			// hashes share their top bytes, as few distinct keys do.
			a[i] = keyRecord{h: rng.Uint64N(uint64(n/3+1)) * 0x9e3779b97f4a7c15 >> 8, r: int32(i / 2)}
		}
		want := slices.Clone(a)
		slices.SortFunc(want, func(x, y keyRecord) int {
			if c := cmp.Compare(x.h, y.h); c != 0 {
				return c
			}
			return cmp.Compare(x.r, y.r)
		})
		sortKeyRecords(a)
		if !slices.Equal(a, want) {
			t.Errorf("n=%d: radix order differs", n)
		}
	}
}

package resolve

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"muster"
)

var buildN = flag.Int("linker.build", 0, "BenchmarkLinkerBuild: build over this many synthetic registrations instead")

// BenchmarkLinkerBuild is what a new process (each muster import) pays
// before it links anything: every registration added to the data, then the
// Linker's indexes built. The model is trained outside the timer.
func BenchmarkLinkerBuild(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if *buildN > 0 {
		sizes = []int{*buildN}
	}
	for _, n := range sizes {
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

// TestSortRanks: ranks follow (sort key, index) order, over parts sorted
// on several cores and merged, many records to a key.
func TestSortRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{7, 5000, 50_001} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("rahimi %d", rng.IntN(n/4+1))
		}
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
		rk := sortRanks(n, func(i int) string { return keys[i] })
		got := make([]int32, n)
		for i, r := range rk.rank {
			got[r] = int32(i)
		}
		if !slices.Equal(got, want) || !slices.Equal(rk.order, want) {
			t.Errorf("n=%d: rank order differs from (key, index) order", n)
		}
		// A block: every third record, shuffled.
		var block []int32
		for i := n - 1; i >= 0; i -= 3 {
			block = append(block, int32(i))
		}
		rng.Shuffle(len(block), func(a, b int) { block[a], block[b] = block[b], block[a] })
		bk := slices.Clone(block)
		sortBySortKey(bk, func(i int) string { return keys[i] })
		rk.sort(block)
		if !slices.Equal(block, bk) {
			t.Errorf("n=%d: a block sorted by rank differs from sortBySortKey", n)
		}
	}
}

package resolve

import (
	"context"
	"fmt"
	"testing"

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

package resolve

import (
	"context"
	"flag"
	"fmt"
	"testing"
)

var benchN = flag.Int("resolve.n", 0, "BenchmarkResolve: also resolve this many synthetic registrations (1000000 for the 3-minute goal)")

// BenchmarkResolve resolves synthetic registrations end to end (prepare,
// block, estimate, score, cluster); generation is outside the timer.
func BenchmarkResolve(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if *benchN > 0 {
		sizes = append(sizes, *benchN)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			recs, truth := synth(n, 1)
			var res *Result
			for b.Loop() {
				d := NewRegistrations()
				for k := range recs {
					if err := AddRecord(d, &recs[k]); err != nil {
						b.Fatal(err)
					}
				}
				var err error
				if res, err = Resolve(context.Background(), d, RegistrationOptions(d)); err != nil {
					b.Fatal(err)
				}
			}
			p, r, f := pairF1(res.Cluster, truth)
			b.ReportMetric(float64(res.Stats.Candidates)/float64(len(recs)), "pairs/record")
			b.ReportMetric(res.Stats.ComparisonsPerSecond(), "comparisons/s")
			b.ReportMetric(f, "F1")
			b.Logf("n=%d precision %.4f recall %.4f F1 %.4f phases %v", len(recs), p, r, f, res.Stats.Phases)
			for _, s := range res.Stats.Blocking {
				b.Logf("%+v", s)
			}
		})
	}
}

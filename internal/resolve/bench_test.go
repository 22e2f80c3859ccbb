package resolve

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"muster"
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

var synthCSV = flag.String("resolve.csv", "", "TestWriteSynthetic: write -resolve.n synthetic registrations to this muster registration CSV (for timing muster resolve --input)")

// TestWriteSynthetic writes the synthetic population as a registration CSV
// (and its truth, source,source_id,person, beside it with ".truth" added)
// when asked to; it is how the command-line timings get input.
func TestWriteSynthetic(t *testing.T) {
	if *synthCSV == "" || *benchN == 0 {
		t.Skip("set -resolve.csv and -resolve.n")
	}
	recs, truth := synth(*benchN, 1)
	tf, err := os.Create(*synthCSV + ".truth")
	if err != nil {
		t.Fatal(err)
	}
	tw := bufio.NewWriter(tf)
	fmt.Fprintln(tw, "source,source_id,person")
	for k, r := range recs {
		fmt.Fprintf(tw, "%s,%s,%d\n", r.Source, r.SourceID, truth[k])
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	tf.Close()
	f, err := os.Create(*synthCSV)
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(bufio.NewWriter(f))
	w.Write(strings.Split("source,source_id,case_ref,relationship,given_name,family_name,father_name,full_name,native_name,sex,date_of_birth,place_of_birth,nationalities,passport_no,national_id,phone,email,category", ","))
	for _, r := range recs {
		w.Write([]string{r.Source, r.SourceID, r.CaseRef, r.Relationship, r.Given, r.Family, r.Father, r.FullName, r.NativeName,
			string(r.Sex), r.DOB.String(), r.PlaceOfBirth, "AF", r.Passport, r.NationalID, strings.Join(r.Phones, ";"), "", "siv_applicant"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

var linkN = flag.Int("link.n", 0, "BenchmarkLink: also link against an index of this many synthetic registrations (1000000 for the 10 ms goal)")

// BenchmarkLink links one new registration at a time against a Linker
// holding n synthetic registrations (clustered as the generator's truth,
// model trained by a batch run over the first 100,000); generating,
// training and indexing are outside the timer. Each iteration adds and
// links one held-out registration of the same population; p50 and p99 are
// over the iterations (-benchtime 10000x for 10,000 links).
func BenchmarkLink(b *testing.B) {
	sizes := []int{100_000}
	if *linkN > 0 {
		sizes = []int{*linkN}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			l, held := benchLinker(b, n, 10_000)
			// Wall time per link, and the process's CPU time per link: on
			// a shared machine the wall time's tail is waiting for a core.
			lat, cpu := make([]time.Duration, 0, 10_000), make([]time.Duration, 0, 10_000)
			merges := 0
			k := 0
			for b.Loop() {
				c := cpuTime()
				t := time.Now()
				lk, err := l.AddRecord(&held[k%len(held)], int64(1<<40+k), 0.5)
				if err != nil {
					b.Fatal(err)
				}
				lat, cpu = append(lat, time.Since(t)), append(cpu, cpuTime()-c)
				merges += len(lk.Merges)
				k++
			}
			b.Logf("n=%d: %d links, %d merges", n, len(lat), merges)
			for _, m := range []struct {
				name string
				d    []time.Duration
			}{{"wall", lat}, {"cpu", cpu}} {
				slices.Sort(m.d)
				q := func(p float64) time.Duration { return m.d[min(len(m.d)-1, int(p*float64(len(m.d))))] }
				b.ReportMetric(float64(q(0.5).Microseconds()), m.name+"-p50-µs")
				b.ReportMetric(float64(q(0.99).Microseconds()), m.name+"-p99-µs")
				over := len(m.d) - sort.Search(len(m.d), func(i int) bool { return m.d[i] > 10*time.Millisecond })
				b.Logf("%s: p50 %v p99 %v max %v; %d over 10 ms", m.name, q(0.5), q(0.99), m.d[len(m.d)-1], over)
			}
		})
	}
}

// benchLinker returns a Linker over n synthetic registrations and extra
// registrations of the same population that it does not hold.
func benchLinker(b *testing.B, n, extra int) (*Linker, []muster.Record) {
	b.Helper()
	t0 := time.Now()
	recs, truth := synth(n+extra, 1)
	train := NewRegistrations()
	for k := range recs[:min(n, 100_000)] {
		AddRecord(train, &recs[k])
	}
	res, err := Resolve(context.Background(), train, RegistrationOptions(train))
	if err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	d := NewRegistrations()
	cl := make([]int64, n)
	for k := range recs[:n] {
		AddRecord(d, &recs[k])
		cl[k] = int64(truth[k])
	}
	held := slices.Clone(recs[n:])
	recs = nil
	l, err := NewLinker(d, RegistrationOptions(d), res.Model, cl)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("n=%d: generated and trained in %v, indexed in %v; heap %d MB", n, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond), ms.HeapInuse>>20)
	return l, held
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

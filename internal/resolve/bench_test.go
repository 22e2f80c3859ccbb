package resolve

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"strings"
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

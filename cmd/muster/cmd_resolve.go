package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"muster/internal/intake"
	"muster/internal/resolve"
)

func init() {
	register("resolve", "find registrations of the same person (batch, no database)", runResolve)
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func runResolve(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "resolve", "(--input registrations.csv | --febrl FILE [--febrl FILE2] | --splink FILE) --out clusters.csv")
	var febrl multiFlag
	fs.Var(&febrl, "febrl", "FEBRL-format file (repeat for a second file to link across and within)")
	input := fs.String("input", "", "muster registration CSV")
	splink := fs.String("splink", "", "Splink demo CSV (the cluster column is ignored)")
	out := fs.String("out", "", "output CSV of cluster ids, one row per input row")
	truth := fs.Bool("blocking-recall", false, "debug: also report blocking recall against the truth the benchmark files carry (FEBRL rec_id, Splink cluster)")
	explain := fs.Int("explain", 0, "debug: print the field-by-field explanation of this many sample pairs (benchmark files only: it prints the values)")
	threshold := fs.Float64("threshold", 0, "match probability from which a pair proposes a merge (default 0.5; registrations 0.9)")
	link := fs.Float64("link", 0, "mean match probability across two clusters that a merge needs (default 0.3; registrations 0.8)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	n := 0
	if *input != "" {
		n++
	}
	if len(febrl) > 0 {
		n++
	}
	if *splink != "" {
		n++
	}
	if n != 1 || *out == "" || len(pos) > 0 {
		fs.Usage()
		return errUsage
	}

	start := time.Now()
	var (
		d       *resolve.Data
		opt     resolve.Options
		header  []string
		row     func(i int) []string
		truthOf []string
		extra   func(next int) [][]string // rows not resolved
	)
	switch {
	case len(febrl) > 0:
		d = resolve.NewFEBRL()
		for _, p := range febrl {
			if err := readFile(p, func(r io.Reader) error { return resolve.ReadFEBRL(d, r) }); err != nil {
				return err
			}
		}
		opt = resolve.FEBRLOptions(d)
		header = []string{"rec_id", "cluster_id"}
		row = func(i int) []string { return []string{d.IDs[i]} }
		if *truth {
			re := regexp.MustCompile(`^rec-(\d+)-`)
			for _, id := range d.IDs {
				m := re.FindStringSubmatch(id)
				if m == nil {
					return fmt.Errorf("blocking recall: rec_id %q carries no truth", id)
				}
				truthOf = append(truthOf, m[1])
			}
		}
	case *splink != "":
		if err := readFile(*splink, func(r io.Reader) (err error) { d, err = resolve.ReadSplink(r); return err }); err != nil {
			return err
		}
		opt = resolve.SplinkOptions(d)
		header = []string{"unique_id", "cluster_id"}
		row = func(i int) []string { return []string{d.IDs[i]} }
		if *truth {
			if truthOf, err = readColumn(*splink, "cluster"); err != nil {
				return err
			}
		}
	default:
		in, err := intake.ReadFile(*input, intake.Options{})
		if err != nil {
			return err
		}
		d = resolve.NewRegistrations()
		type key struct {
			line             int
			source, sourceID string
		}
		var keys []key
		for k := range in.Records {
			r := &in.Records[k]
			if err := resolve.AddRecord(d, r); err != nil {
				return err
			}
			keys = append(keys, key{r.Line, r.Source, r.SourceID})
		}
		// A row intake rejected is still a row of the input: it gets a
		// cluster of its own, so the output has one row per input row.
		rejected := map[int]key{}
		for _, e := range in.Rejected {
			if _, ok := rejected[e.Line]; ok {
				continue
			}
			kk := key{line: e.Line}
			for i, h := range e.Header {
				switch strings.ToLower(strings.TrimSpace(h)) {
				case "source":
					kk.source = e.Raw[i]
				case "source_id":
					kk.sourceID = e.Raw[i]
				}
			}
			rejected[e.Line] = kk
		}
		if len(rejected) > 0 {
			fmt.Fprintf(env.Stderr, "%d rows rejected by intake: each is its own cluster (see muster import for reasons)\n", len(rejected))
		}
		opt = resolve.RegistrationOptions(d)
		header = []string{"source", "source_id", "cluster_id"}
		row = func(i int) []string { return []string{keys[i].source, keys[i].sourceID} }
		extra = func(next int) [][]string {
			var lines []int
			for l := range rejected {
				lines = append(lines, l)
			}
			slices.Sort(lines)
			var out [][]string
			for _, l := range lines {
				out = append(out, []string{rejected[l].source, rejected[l].sourceID, strconv.Itoa(next)})
				next++
			}
			return out
		}
		if *truth {
			return fmt.Errorf("blocking recall: registrations carry no truth")
		}
		if *explain > 0 {
			// Explanations print names and document numbers: fine for
			// public benchmarks, not for people's registrations, whose
			// explanations belong in the review queue behind a login.
			return fmt.Errorf("--explain prints personal data: use it on FEBRL or Splink files only")
		}
	}
	read := time.Since(start)
	opt.KeepCandidates = *truth || *explain > 0
	if *threshold > 0 {
		opt.Threshold = *threshold
	}
	if *link > 0 {
		opt.Link = *link
	}
	if termWriter(env.Stderr) {
		last := time.Time{}
		opt.Progress = func(phase string, done, total int64) {
			if now := time.Now(); now.Sub(last) > 200*time.Millisecond || done == total {
				last = now
				fmt.Fprintf(env.Stderr, "\r%s %d/%d", phase, done, total)
				if done == total {
					fmt.Fprintln(env.Stderr)
				}
			}
		}
	}
	res, err := resolve.Resolve(ctx, d, opt)
	if err != nil {
		return err
	}

	t := time.Now()
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	cw := csv.NewWriter(bw)
	cw.Write(header)
	for i := range d.Len() {
		cw.Write(append(row(i), strconv.Itoa(int(res.Cluster[i])+1)))
	}
	if extra != nil {
		for _, r := range extra(res.Stats.Clusters + 1) {
			cw.Write(r)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	write := time.Since(t)

	s := res.Stats
	w := env.Stderr
	fmt.Fprintf(w, "records %d, candidate pairs %d (%.1f per record), %.0f comparisons/s, clusters %d\n",
		s.Records, s.Candidates, float64(s.Candidates)/float64(max(s.Records, 1)), s.ComparisonsPerSecond(), s.Clusters)
	fmt.Fprintf(w, "edges %d, merges %d, refused by cannot-link %d, refused as weak %d, patterns %d, %d EM sessions, expected matching pairs %.0f\n",
		s.Edges, s.Merges, s.Vetoed, s.Weak, s.Patterns, res.Model.Sessions, res.Model.Matches)
	fmt.Fprintf(w, "time: read %s", read.Round(time.Millisecond))
	for _, p := range s.Phases {
		fmt.Fprintf(w, ", %s %s", p.Name, p.Duration.Round(time.Millisecond))
	}
	fmt.Fprintf(w, ", write %s, total %s\n", write.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if *truth {
		found, total := resolve.BlockingRecall(truthOf, res.Candidates)
		fmt.Fprintf(w, "blocking recall %.4f (%d of %d true pairs)\n", float64(found)/float64(max(total, 1)), found, total)
		for _, b := range s.Blocking {
			fmt.Fprintf(w, "  rule %-40s keys %8d blocks %7d capped %4d pairs %9d\n", b.Rule, b.Keys, b.Blocks, b.Capped, b.Generated)
		}
		for f := range res.Model.Fields {
			fmt.Fprintf(w, "  %-14s", res.Model.Fields[f])
			for l, name := range res.Model.Levels[f] {
				fmt.Fprintf(w, " %s m=%.3f u=%.2g w=%.1f;", name, res.Model.M[f][l], res.Model.U[f][l], res.Model.Weight(f, l))
			}
			fmt.Fprintln(w)
		}
	}
	for k := 0; k < *explain && k < len(res.Candidates); k++ {
		p := res.Candidates[k*len(res.Candidates) / *explain]
		i, j := int(p>>32), int(p&0xffffffff)
		wt, pr, veto := res.Score(i, j)
		fmt.Fprintf(w, "pair %s %s: weight %.2f prob %.3f veto %v\n", d.IDs[i], d.IDs[j], wt, pr, veto)
		for _, t := range res.Explain(i, j) {
			fmt.Fprintf(w, "  %-14s %-24q %-24q %-18s %+.2f\n", t.Field, t.A, t.B, t.Level, t.Weight)
		}
	}
	return nil
}

func readFile(path string, fn func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := fn(bufio.NewReaderSize(f, 1<<16)); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// readColumn returns one column of a CSV file, for debug measurements only.
func readColumn(path, col string) ([]string, error) {
	var out []string
	err := readFile(path, func(r io.Reader) error {
		cr := csv.NewReader(r)
		head, err := cr.Read()
		if err != nil {
			return err
		}
		at := -1
		for i, h := range head {
			if strings.TrimSpace(h) == col {
				at = i
			}
		}
		if at < 0 {
			return fmt.Errorf("no %s column", col)
		}
		for {
			row, err := cr.Read()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, row[at])
		}
	})
	return out, err
}

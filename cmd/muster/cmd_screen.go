package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/intake"
	"muster/internal/lists"
	"muster/internal/screen"
)

func init() {
	register("screen", "screen registrants (or one name) against sanctions lists", runScreen)
}

const screenSynopsis = `--list PATH [--list PATH ...] --input people.csv --out hits.csv [--threshold T]
       muster screen name "NAME" [--dob YEAR|DATE] [--top N] --list PATH [--list PATH ...]`

// listFlags collects repeated --list values.
type listFlags []string

func (l *listFlags) String() string     { return strings.Join(*l, ",") }
func (l *listFlags) Set(s string) error { *l = append(*l, s); return nil }

// hitsHeader is the header of hits.csv; the first six columns are the
// interface analysts and benchmarks rely on.
var hitsHeader = []string{"source_id", "list", "entry_id", "score", "name_matched", "explanation",
	"query_name", "name_score", "entry_type", "programs", "source"}

func runScreen(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "name" {
		return runScreenName(ctx, env, args[1:])
	}
	fs := newFlags(env, "screen", screenSynopsis)
	var listPaths listFlags
	fs.Var(&listPaths, "list", "watchlist file or folder (OFAC SDN or consolidated CSV set, UN consolidated XML); repeatable")
	input := fs.String("input", "", "registration file (muster registration CSV, TSV or XLSX)")
	out := fs.String("out", "", "hits CSV to write")
	threshold := fs.Float64("threshold", screen.GateThreshold, "report hits at or above this score")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(env.Stderr, "muster screen: unexpected argument %q\n", pos[0])
		fs.Usage()
		return errUsage
	}
	if len(listPaths) == 0 || *input == "" || *out == "" {
		fmt.Fprintln(env.Stderr, "muster screen: --list, --input and --out are required (no list is built in: pass the OFAC or UN files)")
		fs.Usage()
		return errUsage
	}
	if *threshold <= 0 || *threshold > 1 {
		return muster.Errorf(muster.EINVALID, "--threshold %v is outside (0, 1]", *threshold)
	}

	ix, nEntries, err := loadIndex(listPaths)
	if err != nil {
		return err
	}
	res, err := intake.ReadFile(*input, intake.Options{})
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		// Screening must not skip anyone silently: a rejected row is a
		// person nobody screened.
		fmt.Fprintf(env.Stderr, "muster screen: %d rows of %s could not be read and were not screened:\n", res.RejectedRows(), *input)
		for i, e := range res.Rejected {
			if i == 10 {
				fmt.Fprintf(env.Stderr, "  ... and %d more\n", len(res.Rejected)-10)
				break
			}
			fmt.Fprintf(env.Stderr, "  line %d: %s\n", e.Line, e.Reason)
		}
	}
	qs := make([]screen.Query, len(res.Records))
	for i := range res.Records {
		qs[i] = screen.QueryFromRecord(&res.Records[i])
	}

	start := time.Now()
	prog := newProgress(env.Stderr, "screening")
	hits, err := ix.ScreenAll(ctx, qs, screen.Options{Threshold: *threshold}, func(done int) { prog.Set(done, len(qs)) })
	prog.Done()
	if err != nil {
		return err
	}
	elapsed := time.Since(start)

	f, err := os.Create(*out)
	if err != nil {
		return muster.Errorf(muster.EINVALID, "cannot create %s: %v", *out, errors.Unwrap(err))
	}
	w := csv.NewWriter(f)
	w.Write(hitsHeader)
	nHits, people := 0, 0
	for i, hs := range hits {
		if len(hs) > 0 {
			people++
		}
		for _, h := range hs {
			nHits++
			w.Write([]string{h.QueryID, h.List, h.EntryID, strconv.FormatFloat(h.Score, 'f', 3, 64), h.NameMatched, h.Explanation,
				h.Query, strconv.FormatFloat(h.NameScore, 'f', 3, 64), h.Type, strings.Join(h.Programs, ";"), res.Records[i].Source})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", *out, err)
	}
	// Counts only: hits.csv holds the names, the terminal and logs do not.
	fmt.Fprintf(env.Stderr, "screened %d people against %d list entries in %v: %d hits for %d people at threshold %.2f; %d rows not screened\n",
		len(qs), nEntries, elapsed.Round(time.Millisecond), nHits, people, *threshold, res.RejectedRows())
	return nil
}

// loadIndex loads every list and indexes them together.
func loadIndex(paths []string) (*screen.Index, int, error) {
	var all []lists.Entry
	from := map[string]string{}
	for _, p := range paths {
		es, err := lists.Load(p)
		if err != nil {
			return nil, 0, err
		}
		for i := range es {
			if prev, dup := from[es[i].Key()]; dup {
				return nil, 0, muster.Errorf(muster.EINVALID, "entry %s is in both %s and %s: pass one version of each list", es[i].Key(), prev, p)
			}
			from[es[i].Key()] = p
		}
		all = append(all, es...)
	}
	return screen.NewIndex(all), len(all), nil
}

func runScreenName(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "screen name", `"NAME" [--dob YEAR|DATE] [--top N] --list PATH [--list PATH ...]`)
	var listPaths listFlags
	fs.Var(&listPaths, "list", "watchlist file or folder; repeatable")
	dob := fs.String("dob", "", "date of birth: 1985, 1985-03-21, 21/03/1985 or a Solar Hijri date (1364)")
	top := fs.Int("top", 10, "show at most this many entries")
	threshold := fs.Float64("threshold", 0.6, "show entries scoring at least this")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || strings.TrimSpace(pos[0]) == "" {
		fmt.Fprintln(env.Stderr, "muster screen name: give exactly one name (quote it)")
		fs.Usage()
		return errUsage
	}
	if len(listPaths) == 0 {
		fmt.Fprintln(env.Stderr, "muster screen name: --list is required: no list is built in; pass an OFAC folder (sdn.csv ...) or the UN consolidated XML")
		return errUsage
	}
	q := screen.Query{Names: []string{pos[0]}}
	if *dob != "" {
		d, _, err := intake.ParseDate(*dob, intake.Auto)
		if err != nil {
			return muster.Errorf(muster.EINVALID, "--dob %q: %v", *dob, err)
		}
		q.DOB = d
	}
	ix, _, err := loadIndex(listPaths)
	if err != nil {
		return err
	}
	hits := ix.Screen(q, screen.Options{Threshold: *threshold, Top: *top})
	if len(hits) == 0 {
		fmt.Fprintf(env.Stdout, "no entry scores %.2f or more\n", *threshold)
		return nil
	}
	for i, h := range hits {
		mark := ""
		if h.Score >= screen.GateThreshold {
			mark = "  [hold at gate]"
		}
		fmt.Fprintf(env.Stdout, "%d. %.3f  %s %s  %s  (%s; %s)%s\n", i+1, h.Score, h.List, h.EntryID, h.NameMatched,
			h.Type, strings.Join(h.Programs, ", "), mark)
		if e := h.Entry; e != nil {
			var facts []string
			for _, d := range e.DOBs {
				facts = append(facts, "DOB "+d.String())
			}
			if len(e.Nationalities) > 0 {
				facts = append(facts, "nationality "+strings.Join(e.Nationalities, ","))
			}
			if e.Sex != "" {
				facts = append(facts, "sex "+string(e.Sex))
			}
			if len(facts) > 0 {
				fmt.Fprintf(env.Stdout, "   listed: %s\n", strings.Join(facts, "; "))
			}
		}
		fmt.Fprintf(env.Stdout, "   why: %s\n", h.Explanation)
	}
	return nil
}

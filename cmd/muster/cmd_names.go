package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"muster/internal/names"
)

func init() {
	register("names", "name engine tools: score labelled name pairs (names pairs)", runNames)
}

func runNames(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "pairs" {
		fmt.Fprintln(env.Stderr, "usage: muster names pairs --input pairs.csv --out scored.csv")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags(env, "names pairs", "--input pairs.csv --out scored.csv")
	input := fs.String("input", "", "CSV with a header containing name1,name2 (other columns are passed through)")
	out := fs.String("out", "", "output CSV: the input columns plus score and match (- for standard output)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 || *input == "" || *out == "" {
		fs.Usage()
		return errUsage
	}
	return scorePairs(ctx, env, *input, *out)
}

// scorePairs reads name pairs from input and writes them with score and
// match to out. Rows keep their order and their other columns; a score or
// match column already present is overwritten rather than duplicated, so
// that a scored file can be scored again.
func scorePairs(ctx context.Context, env *Env, input, out string) (err error) {
	in, err := os.Open(input)
	if err != nil {
		return err
	}
	defer in.Close()
	r := csv.NewReader(in)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	header, err := r.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: empty file, want a header with name1,name2", input)
	}
	if err != nil {
		return csvError(input, err)
	}
	header = append([]string(nil), header...)
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	i1, ok1 := col["name1"]
	i2, ok2 := col["name2"]
	if !ok1 || !ok2 {
		return fmt.Errorf("%s:1: header has no name1 and name2 columns (found %s)", input, strings.Join(header, ","))
	}
	iScore, hasScore := col["score"]
	iMatch, hasMatch := col["match"]
	outHeader := header
	if !hasScore {
		iScore = len(outHeader)
		outHeader = append(outHeader, "score")
	}
	if !hasMatch {
		iMatch = len(outHeader)
		outHeader = append(outHeader, "match")
	}

	var w io.Writer = env.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}()
		w = f
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(outHeader); err != nil {
		return err
	}
	var m names.Matcher
	cache := map[string]*names.Prepared{}
	prep := func(s string) *names.Prepared {
		p, ok := cache[s]
		if !ok {
			if len(cache) > 100000 {
				clear(cache)
			}
			p = names.Prepare(s)
			cache[s] = p
		}
		return p
	}
	row := make([]string, len(outHeader))
	n, matches := 0, 0
	for {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return csvError(input, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			return fmt.Errorf("%s:%d: %d fields, the header has %d", input, line, len(rec), len(header))
		}
		copy(row, rec)
		s := m.Score(prep(rec[i1]), prep(rec[i2]))
		match := s >= names.MatchThreshold
		row[iScore] = strconv.FormatFloat(s, 'f', 4, 64)
		row[iMatch] = strconv.FormatBool(match)
		if err := cw.Write(row); err != nil {
			return err
		}
		n++
		if match {
			matches++
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "scored %d pairs, %d match at threshold %.2f\n", n, matches, names.MatchThreshold)
	return nil
}

// csvError names the file and line of a CSV syntax error.
func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d: %v", file, pe.Line, pe.Err)
	}
	return fmt.Errorf("%s: %w", file, err)
}

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"muster"
	"muster/internal/store"
)

func init() {
	register("export", "export counts for sharing outside (HXL, small cells suppressed) or people for partners; every export is logged", runExport)
}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "export", "(--hxl | --people) [--out FILE] [--partner ORG] [--min-cell N] [--db ...]")
	db, key := addDBFlags(fs)
	hxl := fs.Bool("hxl", false, "aggregate counts by category and stage, HXL-tagged, for sharing outside")
	people := fs.Bool("people", false, "one row per person (personal data: handle as the list itself)")
	out := fs.String("out", "", "file to write (default stdout)")
	partner := fs.String("partner", "", "only what this partner submitted")
	minCell := fs.Int("min-cell", 5, "with --hxl, counts below this (but above 0) are shown as <N")
	actor := fs.String("actor", "cli", "who exports, for the event log")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *hxl == *people {
		fmt.Fprintln(env.Stderr, "muster export: choose one of --hxl or --people")
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	w := env.Stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	scope := store.Scope{Partner: *partner}
	var n int
	kind := "hxl"
	if *hxl {
		st, err := s.Status(ctx, scope)
		if err != nil {
			return err
		}
		n, err = WriteHXL(w, st, *minCell)
		if err != nil {
			return err
		}
	} else {
		kind = "people"
		if n, err = writePeople(ctx, w, s, scope); err != nil {
			return err
		}
	}
	// The export is recorded whatever it holds: who, what kind, how many rows.
	if err := s.AppendEvent(ctx, &muster.Event{Actor: *actor, Type: muster.EventExport,
		Data: []byte(fmt.Sprintf(`{"kind":%q,"partner":%q,"rows":%d}`, kind, *partner, n))}); err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(env.Stderr, "exported %d rows to %s (logged)\n", n, *out)
	}
	return nil
}

// WriteHXL writes counts by category and stage with an HXL hashtag row.
// Counts from 1 to minCell-1 are suppressed ("<minCell") so that a small
// cell cannot single out a family.
func WriteHXL(w io.Writer, st *store.Status, minCell int) (int, error) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"Operation", "Category", "Stage", "People"})
	cw.Write([]string{"#meta+operation", "#population+type", "#status+stage", "#affected+num"})
	rows := 0
	cell := func(n int) string {
		if n > 0 && n < minCell {
			return "<" + strconv.Itoa(minCell)
		}
		return strconv.Itoa(n)
	}
	for _, c := range st.Categories {
		for _, stage := range st.Stages {
			n := st.Counts[c][stage]
			if n == 0 {
				continue
			}
			cw.Write([]string{st.Operation, string(c), string(stage), cell(n)})
			rows++
		}
	}
	for _, t := range []struct {
		name string
		n    int
	}{{"registered", st.Totals.Registered}, {"out", st.Totals.Out}, {"still_left", st.Totals.StillLeft}} {
		cw.Write([]string{st.Operation, "all", t.name, cell(t.n)})
		rows++
	}
	cw.Flush()
	return rows, cw.Error()
}

func writePeople(ctx context.Context, w io.Writer, s *store.Store, scope store.Scope) (int, error) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"person_id", "case", "relationship", "given_name", "family_name", "father_name", "full_name", "native_name", "sex", "date_of_birth", "nationalities", "documents", "phones", "category", "stage"})
	rows := 0
	f := store.PeopleFilter{Scope: scope, Limit: 5000}
	for {
		ps, err := s.People(ctx, f)
		if err != nil {
			return rows, err
		}
		if len(ps) == 0 {
			break
		}
		for _, p := range ps {
			var docs []string
			for _, d := range p.Documents {
				docs = append(docs, d.Type+":"+d.Number)
			}
			cw.Write([]string{strconv.FormatInt(p.ID, 10), store.CaseRef(p.CaseID), p.Relationship, p.Given, p.Family, p.Father, p.FullName, p.NativeName,
				string(p.Sex), p.DOB.String(), strings.Join(p.Nationalities, ";"), strings.Join(docs, ";"), strings.Join(p.Phones, ";"), string(p.Category), string(p.Stage)})
			rows++
		}
		f.AfterID = ps[len(ps)-1].ID
	}
	cw.Flush()
	return rows, cw.Error()
}

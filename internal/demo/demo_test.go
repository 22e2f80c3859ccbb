package demo

import (
	"bytes"
	"math/rand/v2"
	"muster/internal/intake"
	"strings"
	"testing"
)

func TestSolarHijriMatchesKnownDates(t *testing.T) {
	for _, tc := range []struct{ gy, gm, gd, sy, sm, sd int }{
		{1986, 8, 3, 1365, 5, 12},
		{2021, 3, 21, 1400, 1, 1},
		{2020, 3, 20, 1399, 1, 1},
		{2021, 8, 15, 1400, 5, 24},
		{1979, 2, 11, 1357, 11, 22},
	} {
		sy, sm, sd := gregorianToSolarHijri(tc.gy, tc.gm, tc.gd)
		if sy != tc.sy || sm != tc.sm || sd != tc.sd {
			t.Errorf("%d-%d-%d = %d/%d/%d, want %d/%d/%d", tc.gy, tc.gm, tc.gd, sy, sm, sd, tc.sy, tc.sm, tc.sd)
		}
	}
}

func TestGenerator(t *testing.T) {
	gen := func() ([]Row, *Generator) {
		g := New(Config{Seed: 7, Families: 400, DupRate: 0.3, Planted: true})
		var all []Row
		for rows := g.Next(); rows != nil; rows = g.Next() {
			all = append(all, rows...)
		}
		return all, g
	}
	a, g := gen()
	b, _ := gen()
	var wa, wb bytes.Buffer
	WriteCSV(&wa, a)
	WriteCSV(&wb, b)
	if wa.String() != wb.String() {
		t.Fatal("the same seed gave different rows")
	}
	if len(a) < 1000 || len(g.Truth) != len(a) {
		t.Errorf("%d rows, %d truths", len(a), len(g.Truth))
	}
	if g.persons >= len(a) {
		t.Errorf("no duplicates: %d persons, %d rows", g.persons, len(a))
	}
	seen := map[string]bool{}
	for _, r := range a {
		if len(r) != len(Header) {
			t.Fatalf("row has %d fields", len(r))
		}
		key := r[0] + "/" + r[1]
		if seen[key] {
			t.Fatalf("duplicate source id %s", key)
		}
		seen[key] = true
	}
	// A few declare needs, and every need written is one intake knows.
	needs := 0
	for _, r := range a {
		if v := r[len(Header)-1]; v != "" {
			needs++
			if got := intake.ParseNeeds(v); len(got) != 1 || got[0] == intake.NeedOther {
				t.Errorf("needs %q read as %v", v, got)
			}
		}
	}
	if needs < len(a)/100 || needs > len(a)/5 {
		t.Errorf("%d of %d rows declare needs", needs, len(a))
	}
	for _, l := range Planted {
		if !strings.Contains(wa.String(), l.Family) {
			t.Errorf("planted %s (%s) missing", l.Family, l.Ref)
		}
	}
}

func TestRespell(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	changed := 0
	for i := 0; i < 200; i++ {
		if Respell(r, "Mohammad Rahimi") != "Mohammad Rahimi" {
			changed++
		}
	}
	if changed < 100 {
		t.Errorf("only %d of 200 respellings changed the name", changed)
	}
}

func TestUNListHasPlanted(t *testing.T) {
	entries, err := UNList()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 900 {
		t.Fatalf("%d entries", len(entries))
	}
	ids := map[string]bool{}
	for _, e := range entries {
		ids[e.ID] = true
	}
	for _, p := range Planted {
		if !ids[p.Ref] {
			t.Errorf("planted %s is not on the embedded list", p.Ref)
		}
	}
}

package resolve

import (
	"context"
	"strings"
	"testing"

	"muster"
)

// TestFamilyEvidence: two members or more of two cases matching support
// their other member pairs (a child given with a misspelt name and no
// date of birth joins its record in the other case), and the only match
// between two families of several members is kept from merging on its own
// and sent to a reviewer. Both are checked against the same run without
// family evidence, so the test fails if the evidence stops mattering.
func TestFamilyEvidence(t *testing.T) {
	bg, _ := synth(3000, 7)
	cases := []muster.Record{
		// One family from two sources.
		{Source: "ngo-c", SourceID: "c1", CaseRef: "C-5", Relationship: "principal", Given: "Sayed Jalal", Family: "Hashimi", Father: "Sayed Kamal", DOB: date(1978, 2, 11), Sex: "M", Phones: []string{"+93788123001"}},
		{Source: "ngo-c", SourceID: "c2", CaseRef: "C-5", Relationship: "spouse", Given: "Nadia", Family: "Hashimi", Father: "Abdul Qadir", DOB: date(1983, 6, 30), Sex: "F"},
		{Source: "ngo-c", SourceID: "c3", CaseRef: "C-5", Relationship: "child", Given: "Fatima", Family: "Hashimi", Father: "Sayed Jalal", DOB: date(2009, 4, 2), Sex: "F"},
		{Source: "mp-office", SourceID: "m1", CaseRef: "M-2", Relationship: "principal", Given: "Syed Jalal", Family: "Hashemi", Father: "Syed Kamal", DOB: date(1978, 2, 11), Sex: "M", Phones: []string{"+93788123001"}},
		{Source: "mp-office", SourceID: "m2", CaseRef: "M-2", Relationship: "spouse", Given: "Nadiya", Family: "Hashemi", Father: "Abdulqadir", DOB: date(1983, 6, 30), Sex: "F"},
		{Source: "mp-office", SourceID: "m3", CaseRef: "M-2", Relationship: "child", Given: "Fatema", Family: "Hashemi", Sex: "F"},
		// Two different families whose fathers share a common name and a
		// birth year, and nothing else.
		{Source: "ngo-d", SourceID: "d1", CaseRef: "D-1", Relationship: "principal", Given: "Mohammad", Family: "Sultani", PlaceOfBirth: "Kabul", DOB: muster.Date{Year: 1980, Precision: muster.PrecisionYear}, Sex: "M"},
		{Source: "ngo-d", SourceID: "d2", CaseRef: "D-1", Relationship: "spouse", Given: "Freshta", Family: "Sultani", DOB: date(1986, 1, 20), Sex: "F"},
		{Source: "ngo-d", SourceID: "d3", CaseRef: "D-1", Relationship: "child", Given: "Omid", Family: "Sultani", DOB: date(2012, 8, 8), Sex: "M"},
		{Source: "webform", SourceID: "e1", CaseRef: "E-9", Relationship: "principal", Given: "Mohammad", Family: "Sultani", PlaceOfBirth: "Kabul", Sex: "M"},
		{Source: "webform", SourceID: "e2", CaseRef: "E-9", Relationship: "spouse", Given: "Shakila", Family: "Sultani", DOB: date(1991, 11, 3), Sex: "F"},
		{Source: "webform", SourceID: "e3", CaseRef: "E-9", Relationship: "child", Given: "Yalda", Family: "Sultani", DOB: date(2015, 2, 14), Sex: "F"},
	}
	run := func(noFamily bool) (*Result, int) {
		recs := append(append([]muster.Record{}, bg...), cases...)
		d := NewRegistrations()
		for k := range recs {
			if err := AddRecord(d, &recs[k]); err != nil {
				t.Fatal(err)
			}
		}
		opt := RegistrationOptions(d)
		opt.KeepCandidates, opt.NoFamily = true, noFamily
		res, err := Resolve(context.Background(), d, opt)
		if err != nil {
			t.Fatal(err)
		}
		return res, len(bg)
	}
	with, base := run(false)
	without, _ := run(true)
	same := func(r *Result, i, j int) bool { return r.Cluster[base+i] == r.Cluster[base+j] }
	explain := func(r *Result, i, j int) string {
		var b strings.Builder
		_, p, v := r.Score(base+i, base+j)
		b.WriteString("prob " + ftoa(p))
		if v {
			b.WriteString(" cannot-link")
		}
		for _, term := range r.Explain(base+i, base+j) {
			b.WriteString("\n  " + term.Field + " " + term.A + " | " + term.B + " " + term.Level + " " + ftoa(term.Weight))
		}
		return b.String()
	}
	reviewed := func(r *Result, i, j int) bool {
		for _, p := range r.Review(0.5) {
			if (p.I == base+i && p.J == base+j) || (p.I == base+j && p.J == base+i) {
				return true
			}
		}
		return false
	}
	// The family registered twice.
	for _, p := range [][2]int{{0, 3}, {1, 4}} {
		if !same(with, p[0], p[1]) {
			t.Errorf("records %d and %d not merged: %s", p[0], p[1], explain(with, p[0], p[1]))
		}
	}
	if !same(with, 2, 5) {
		t.Errorf("the child of a family registered twice not merged: %s", explain(with, 2, 5))
	}
	if same(without, 2, 5) {
		t.Errorf("the child merges without family evidence too, so this case tests nothing: %s", explain(without, 2, 5))
	}
	if !strings.Contains(explain(with, 2, 5), "other members of the two cases match") {
		t.Errorf("the explanation does not give the family evidence: %s", explain(with, 2, 5))
	}
	// The lone namesake pair.
	if same(with, 6, 9) {
		t.Errorf("the only match between two families merged: %s", explain(with, 6, 9))
	}
	if !reviewed(with, 6, 9) {
		t.Errorf("the only match between two families not sent to a reviewer: %s", explain(with, 6, 9))
	}
	if !same(without, 6, 9) {
		t.Errorf("the namesakes stay apart without family evidence too, so this case tests nothing: %s", explain(without, 6, 9))
	}
	for _, p := range [][2]int{{7, 10}, {8, 11}, {0, 6}} {
		if same(with, p[0], p[1]) {
			t.Errorf("records %d and %d merged: %s", p[0], p[1], explain(with, p[0], p[1]))
		}
	}
}

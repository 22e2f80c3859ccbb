package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
)

// TestLinkerFamilyEvidence links a case arriving from one source against
// cases already held from another, with AddCase (family evidence) and
// record by record with AddRecord (none). Each row's expectations hold
// with AddCase; those in differ fail record by record, so the row tests
// the evidence, not the fields alone.
func TestLinkerFamilyEvidence(t *testing.T) {
	y := func(year int) muster.Date { return muster.Date{Year: year, Precision: muster.PrecisionYear} }
	M, F := muster.SexMale, muster.SexFemale
	held := []muster.Record{
		// A family of four.
		{Source: "ngo-c", SourceID: "c1", CaseRef: "C-5", Relationship: "principal", Given: "Sayed Jalal", Family: "Hashimi", Father: "Sayed Kamal", DOB: date(1978, 2, 11), Sex: M, Phones: []string{"+93788123001"}},
		{Source: "ngo-c", SourceID: "c2", CaseRef: "C-5", Relationship: "spouse", Given: "Nadia", Family: "Hashimi", Father: "Abdul Qadir", DOB: date(1983, 6, 30), Sex: F},
		{Source: "ngo-c", SourceID: "c3", CaseRef: "C-5", Relationship: "child", Given: "Fatima", Family: "Hashimi", Father: "Sayed Jalal", DOB: date(2009, 4, 2), Sex: F},
		{Source: "ngo-c", SourceID: "c4", CaseRef: "C-5", Relationship: "child", Given: "Mustafa", Family: "Hashimi", Father: "Sayed Jalal", DOB: date(2012, 9, 17), Sex: M},
		// A family whose father shares a common name and birth year with
		// another family's, and nothing else.
		{Source: "ngo-d", SourceID: "d1", CaseRef: "D-1", Relationship: "principal", Given: "Mohammad", Family: "Sultani", PlaceOfBirth: "Kabul", DOB: y(1980), Sex: M},
		{Source: "ngo-d", SourceID: "d2", CaseRef: "D-1", Relationship: "spouse", Given: "Freshta", Family: "Sultani", DOB: date(1986, 1, 20), Sex: F},
		{Source: "ngo-d", SourceID: "d3", CaseRef: "D-1", Relationship: "child", Given: "Omid", Family: "Sultani", DOB: date(2012, 8, 8), Sex: M},
		// A father and two sons.
		{Source: "ngo-f", SourceID: "f1", CaseRef: "F-1", Relationship: "principal", Given: "Zahir", Family: "Wardak", Father: "Gul Agha", DOB: date(1962, 3, 3), Sex: M, Phones: []string{"+93700999888"}},
		{Source: "ngo-f", SourceID: "f2", CaseRef: "F-1", Relationship: "child", Given: "Ahmad", Family: "Wardak", Father: "Zahir", DOB: date(1990, 6, 15), Sex: M, Passport: "P1234567"},
		{Source: "ngo-f", SourceID: "f3", CaseRef: "F-1", Relationship: "child", Given: "Mahmood", Family: "Wardak", Father: "Zahir", DOB: date(1993, 2, 1), Sex: M},
	}
	tests := []struct {
		name   string
		arrive []muster.Record
		same   [][2]string // source ids that end as one person
		apart  [][2]string // and as two
		review [][2]string // pairs queued for a reviewer
		family [][2]string // pairs whose explanation gives family evidence
		differ int         // how many of same, apart, review, family fail record by record
	}{{
		name: "a family of four, its children matching weakly, merges as a family",
		arrive: []muster.Record{
			{Source: "mp-office", SourceID: "m1", CaseRef: "M-2", Relationship: "principal", Given: "Syed Jalal", Family: "Hashemi", Father: "Syed Kamal", DOB: date(1978, 2, 11), Sex: M, Phones: []string{"+93788123001"}},
			{Source: "mp-office", SourceID: "m2", CaseRef: "M-2", Relationship: "spouse", Given: "Nadiya", Family: "Hashemi", Father: "Abdulqadir", DOB: date(1983, 6, 30), Sex: F},
			{Source: "mp-office", SourceID: "m3", CaseRef: "M-2", Relationship: "child", Given: "Fatema", Family: "Hashemi", Sex: F},
			{Source: "mp-office", SourceID: "m4", CaseRef: "M-2", Relationship: "child", Given: "Mostafa", Family: "Hashemi", Sex: M},
		},
		same:   [][2]string{{"c1", "m1"}, {"c2", "m2"}, {"c3", "m3"}, {"c4", "m4"}},
		apart:  [][2]string{{"c3", "c4"}, {"m1", "m2"}},
		family: [][2]string{{"c3", "m3"}},
		differ: 3,
	}, {
		name: "the only match between two unrelated families is held for review",
		arrive: []muster.Record{
			{Source: "webform", SourceID: "e1", CaseRef: "E-9", Relationship: "principal", Given: "Mohammad", Family: "Sultani", PlaceOfBirth: "Kabul", Sex: M},
			{Source: "webform", SourceID: "e2", CaseRef: "E-9", Relationship: "spouse", Given: "Shakila", Family: "Sultani", DOB: date(1991, 11, 3), Sex: F},
			{Source: "webform", SourceID: "e3", CaseRef: "E-9", Relationship: "child", Given: "Yalda", Family: "Sultani", DOB: date(2015, 2, 14), Sex: F},
		},
		apart:  [][2]string{{"d1", "e1"}, {"d2", "e2"}, {"d3", "e3"}},
		review: [][2]string{{"d1", "e1"}},
		family: [][2]string{{"d1", "e1"}},
		differ: 3,
	}, {
		// One registration of a case of one: no family to weigh.
		name: "a lone registration links as record by record",
		arrive: []muster.Record{
			{Source: "webform", SourceID: "e1", CaseRef: "E-9", Relationship: "principal", Given: "Mohammad", Family: "Sultani", PlaceOfBirth: "Kabul", Sex: M},
		},
		same: [][2]string{{"d1", "e1"}},
	}, {
		name: "a sibling in a family registered twice stays apart",
		arrive: []muster.Record{
			{Source: "consular", SourceID: "s1", CaseRef: "S-4", Relationship: "principal", Given: "Zaheer", Family: "Wardag", Father: "Gul Aga", DOB: date(1962, 3, 3), Sex: M, Phones: []string{"+93700999888"}},
			{Source: "consular", SourceID: "s2", CaseRef: "S-4", Relationship: "child", Given: "Ahmed", Family: "Wardag", Father: "Zaheer", DOB: date(1990, 6, 15), Sex: M, Passport: "P1234567"},
			// Born between the two sons, and not either of them.
			{Source: "consular", SourceID: "s3", CaseRef: "S-4", Relationship: "child", Given: "Hamid", Family: "Wardag", Father: "Zaheer", DOB: date(1991, 9, 9), Sex: M},
		},
		same:  [][2]string{{"f1", "s1"}, {"f2", "s2"}},
		apart: [][2]string{{"f2", "s3"}, {"f3", "s3"}, {"f2", "f3"}},
	}}
	bg, _ := synth(3000, 7)
	all := append(slices.Clone(bg), held...)
	d := NewRegistrations()
	for k := range all {
		if err := AddRecord(d, &all[k]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Resolve(context.Background(), d, RegistrationOptions(d))
	if err != nil {
		t.Fatal(err)
	}
	clusters := make([]int64, len(all))
	for i, c := range res.Cluster {
		clusters[i] = int64(c)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// outcome lists what did not hold.
			outcome := func(byCase bool) []string {
				d := NewRegistrations()
				for k := range all {
					AddRecord(d, &all[k])
				}
				l, err := NewLinker(d, RegistrationOptions(d), res.Model, clusters)
				if err != nil {
					t.Fatal(err)
				}
				index := map[string]int{}
				for k := range held {
					index[held[k].SourceID] = len(bg) + k
				}
				var linked []Linked
				recs := make([]*muster.Record, len(tt.arrive))
				cl := make([]int64, len(tt.arrive))
				for k := range tt.arrive {
					recs[k], cl[k] = &tt.arrive[k], int64(1_000_000+k)
				}
				if byCase {
					if linked, err = l.AddCase(recs, cl, 0.5); err != nil {
						t.Fatal(err)
					}
				} else {
					for k := range recs {
						lk, err := l.AddRecord(recs[k], cl[k], 0.5)
						if err != nil {
							t.Fatal(err)
						}
						linked = append(linked, lk)
					}
				}
				for k, lk := range linked {
					index[tt.arrive[k].SourceID] = lk.Record
				}
				queued := map[[2]int]bool{}
				for _, lk := range linked {
					for _, p := range lk.Review {
						queued[[2]int{min(p.I, p.J), max(p.I, p.J)}] = true
					}
				}
				var failed []string
				explain := func(p [2]string) string {
					var b strings.Builder
					for _, term := range l.Explain(index[p[0]], index[p[1]]) {
						fmt.Fprintf(&b, "; %s %s|%s %s %.1f", term.Field, term.A, term.B, term.Level, term.Weight)
					}
					return b.String()
				}
				same := func(p [2]string) bool { return l.Cluster(index[p[0]]) == l.Cluster(index[p[1]]) }
				for _, p := range tt.same {
					if !same(p) {
						failed = append(failed, "apart "+p[0]+" "+p[1]+explain(p))
					}
				}
				for _, p := range tt.apart {
					if same(p) {
						failed = append(failed, "merged "+p[0]+" "+p[1]+explain(p))
					}
				}
				for _, p := range tt.review {
					i, j := index[p[0]], index[p[1]]
					if !queued[[2]int{min(i, j), max(i, j)}] {
						failed = append(failed, "not queued "+p[0]+" "+p[1]+explain(p))
					}
				}
				for _, p := range tt.family {
					// The evidence's term, not the family name's.
					if !slices.ContainsFunc(l.Explain(index[p[0]], index[p[1]]), func(t Term) bool {
						return t.Field == "family" && t.A == "" && t.B == "" && t.Weight != 0
					}) {
						failed = append(failed, "no family evidence "+p[0]+" "+p[1]+explain(p))
					}
				}
				return failed
			}
			if diff := cmp.Diff([]string(nil), outcome(true)); diff != "" {
				t.Errorf("by case: (-want +got)\n%s", diff)
			}
			if got := outcome(false); len(got) != tt.differ {
				t.Errorf("record by record: %d expectations fail, want %d: %q", len(got), tt.differ, got)
			}
		})
	}
}

// TestAddGroupAllOrNothing: a group with one malformed record adds none
// of its records; AddCase needs a cluster per record.
func TestAddGroupAllOrNothing(t *testing.T) {
	bg, _ := synth(1500, 5)
	d := NewRegistrations()
	for k := range bg {
		if err := AddRecord(d, &bg[k]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Resolve(context.Background(), d, RegistrationOptions(d))
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLinker(d, RegistrationOptions(d), res.Model, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := l.Len()
	id, g, v := RecordValues(&bg[0])
	if _, err := l.AddGroup([]Arrival{{ID: id, Group: g, Values: v, Cluster: 1 << 40}, {ID: "x", Group: g, Values: v[:3], Cluster: 1<<40 + 1}}, 0.5); err == nil {
		t.Error("a record of 3 values for 10 fields: no error")
	}
	if _, err := l.AddCase([]*muster.Record{&bg[0], &bg[1]}, []int64{1 << 40}, 0.5); err == nil {
		t.Error("two records, one cluster: no error")
	}
	if l.Len() != n {
		t.Errorf("%d records after refused groups, want %d", l.Len(), n)
	}
	lk, err := l.AddGroup([]Arrival{{ID: id, Group: g, Values: v, Cluster: 1 << 40}}, 0.5)
	if err != nil || len(lk) != 1 || lk[0].Record != n {
		t.Errorf("a good group after them: %+v, %v", lk, err)
	}
}

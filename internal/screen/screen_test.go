package screen

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/lists"
)

func year(y int) muster.Date { return muster.Date{Year: y, Precision: muster.PrecisionYear} }
func day(y, m, d int) muster.Date {
	return muster.Date{Year: y, Month: m, Day: d, Precision: muster.PrecisionDay}
}

// testEntries are shaped on real entries (UN TAi.002, TAe.010; OFAC 2676,
// 12610, 15036) but written here so that each test states what it relies on.
func testEntries() []lists.Entry {
	return []lists.Entry{
		{List: lists.UNSC, ID: "TAi.002", Type: lists.TypeIndividual, Programs: []string{"Taliban"},
			Names: []lists.EntryName{
				{Name: "MOHAMMAD HASSAN AKHUND", Kind: lists.KindPrimary, Script: lists.ScriptLatin},
				{Name: "محمد حسن آخوند", Kind: lists.KindPrimary, Script: lists.ScriptArabic},
			},
			DOBs:          []lists.DateRange{{From: year(1955), To: year(1958), Approx: true}, {From: year(1945), To: year(1950), Approx: true}},
			Nationalities: []string{"AF"}, Sex: muster.SexMale},
		{List: lists.OFACSDN, ID: "2676", Type: lists.TypeIndividual, Programs: []string{"SDGT"},
			Names: []lists.EntryName{
				{Name: "Dr. Ayman AL ZAWAHIRI", Given: "Dr. Ayman", Family: "AL ZAWAHIRI", Kind: lists.KindPrimary, Script: lists.ScriptLatin},
				{Name: "Abu Fatima", Kind: lists.KindAKA, Quality: lists.QualityLow, Script: lists.ScriptLatin},
			},
			DOBs: []lists.DateRange{{From: day(1951, 6, 19)}}, Nationalities: []string{"EG"}},
		{List: lists.OFACSDN, ID: "12610", Type: lists.TypeIndividual, Programs: []string{"LIBYA2"},
			Names: []lists.EntryName{{Name: "Ayesha QADHAFI", Kind: lists.KindPrimary, Script: lists.ScriptLatin}},
			DOBs:  []lists.DateRange{{From: year(1977)}, {From: year(1976)}}, Sex: muster.SexFemale},
		{List: lists.UNSC, ID: "TAe.010", Type: lists.TypeEntity, Programs: []string{"Taliban"},
			Names: []lists.EntryName{{Name: "HAJI KHAIRULLAH HAJI SATTAR MONEY EXCHANGE", Kind: lists.KindPrimary, Script: lists.ScriptLatin}}},
		{List: lists.OFACSDN, ID: "15036", Type: lists.TypeVessel, Programs: []string{"IRAN"},
			Names: []lists.EntryName{{Name: "ARTAVIL", Kind: lists.KindPrimary, Script: lists.ScriptLatin}}},
	}
}

var testIndex = sync.OnceValue(func() *Index { return NewIndex(testEntries()) })

func ids(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.List+":"+h.EntryID)
	}
	return out
}

func TestScreen(t *testing.T) {
	ix := testIndex()
	for _, tc := range []struct {
		name string
		q    Query
		want []string
	}{
		{"exact Latin", Query{Names: []string{"Mohammad Hassan Akhund"}}, []string{"un-sc:TAi.002"}},
		{"other spelling and order", Query{Names: []string{"Akhund, Muhammad Hasan"}}, []string{"un-sc:TAi.002"}},
		{"Arabic script", Query{Names: []string{"محمد حسن آخوند"}}, []string{"un-sc:TAi.002"}},
		{"title dropped", Query{Names: []string{"Ayman al-Zawahiri"}}, []string{"ofac-sdn:2676"}},
		{"second name of the person", Query{Names: []string{"Rahim Karimi", "Aiman Zawahiri"}}, []string{"ofac-sdn:2676"}},
		{"unrelated", Query{Names: []string{"Farida Sultani"}}, nil},
		{"vessel never matches a person", Query{Names: []string{"Artavil"}}, nil},
		{"empty", Query{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ix.Screen(tc.q, Options{})
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("hits (-want +got):\n%s", diff)
				for _, h := range got {
					t.Logf("%.3f %s %s", h.Score, h.EntryID, h.Explanation)
				}
			}
		})
	}
}

func TestVesselWhenAsked(t *testing.T) {
	got := testIndex().Screen(Query{Names: []string{"Artavil"}}, Options{Types: []string{lists.TypeVessel}})
	if diff := cmp.Diff([]string{"ofac-sdn:15036"}, ids(got)); diff != "" {
		t.Error(diff)
	}
}

// TestQualifiers checks direction and size of each qualifier against the
// name-only score of the same pair.
func TestQualifiers(t *testing.T) {
	ix := testIndex()
	base := ix.Screen(Query{Names: []string{"Muhammad Hasan Akhund"}}, Options{Threshold: 0.01})[0]
	for _, tc := range []struct {
		name string
		q    Query
		diff float64
		note string
	}{
		{"dob inside circa range", Query{DOB: year(1957)}, dobYearBonus, "within listed"},
		{"dob inside widened range", Query{DOB: year(1960)}, dobYearBonus, "within listed circa 1955 to 1958"},
		{"dob near", Query{DOB: year(1962)}, 0, "near listed"},
		{"dob 3-5 years off", Query{DOB: year(1963)}, dobNearPenalty, "3 years from listed"},
		{"dob 6-10 years off", Query{DOB: year(1968)}, dobFarPenalty, "8 years from listed"},
		{"dob over 10 years off", Query{DOB: year(1990)}, dobVeryFarPenalty, "30 years from listed"},
		{"solar hijri year spanning the range", Query{DOB: muster.Date{Year: 1939, YearTo: 1940, Precision: muster.PrecisionYear}}, dobNearPenalty, "years from listed"},
		{"nationality agrees", Query{Nationalities: []string{"PK", "AF"}}, natAgreeBonus, "nationality AF agrees"},
		{"nationality differs", Query{Nationalities: []string{"IR"}}, natDisagree, "vs listed AF"},
		{"sex differs", Query{Sex: muster.SexFemale}, sexDisagree, "sex F vs listed M"},
		{"sex agrees is neutral", Query{Sex: muster.SexMale}, 0, ""},
		{"nothing known is neutral", Query{}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Names = []string{"Muhammad Hasan Akhund"}
			hs := ix.Screen(tc.q, Options{Threshold: 0.01})
			if len(hs) == 0 || hs[0].EntryID != "TAi.002" {
				t.Fatalf("no hit: %+v", hs)
			}
			h := hs[0]
			want := min(max(base.Score+tc.diff, 0), 1)
			if d := h.Score - want; d > 1e-9 || d < -1e-9 {
				t.Errorf("score %.4f, want %.4f (base %.4f %+.2f)", h.Score, want, base.Score, tc.diff)
			}
			if tc.note != "" && !strings.Contains(h.Explanation, tc.note) {
				t.Errorf("explanation %q lacks %q", h.Explanation, tc.note)
			}
		})
	}
}

func TestDOBExact(t *testing.T) {
	ix := testIndex()
	hs := ix.Screen(Query{Names: []string{"Ayman Zawahiri"}, DOB: day(1951, 6, 19)}, Options{})
	if len(hs) != 1 || !strings.Contains(hs[0].Explanation, "dob 1951-06-19 = listed") || hs[0].Score < hs[0].NameScore {
		t.Fatalf("%+v", hs)
	}
	hs = ix.Screen(Query{Names: []string{"Ayman Zawahiri"}, DOB: day(1951, 1, 1)}, Options{})
	if len(hs) != 1 || hs[0].Score != hs[0].NameScore || !strings.Contains(hs[0].Explanation, "same year") {
		t.Fatalf("same year, other day should be neutral: %+v", hs)
	}
}

func TestLowQualityAlias(t *testing.T) {
	hs := testIndex().Screen(Query{Names: []string{"Abu Fatima"}}, Options{Threshold: 0.01})
	if len(hs) == 0 || hs[0].EntryID != "2676" {
		t.Fatalf("%+v", hs)
	}
	if hs[0].NameScore > lowQualityFactor+1e-9 || !strings.Contains(hs[0].Explanation, "low-quality alias") {
		t.Errorf("low-quality alias not discounted: %+v", hs[0])
	}
}

func TestHitFields(t *testing.T) {
	hs := testIndex().Screen(Query{ID: "r7", Names: []string{"Aisha Qaddafi"}, Sex: muster.SexFemale}, Options{Threshold: 0.5})
	if len(hs) == 0 {
		t.Fatal("no hit")
	}
	h := hs[0]
	h.Entry, h.Score, h.NameScore, h.Explanation = nil, 0, 0, ""
	want := Hit{QueryID: "r7", List: lists.OFACSDN, EntryID: "12610", Type: lists.TypeIndividual, Programs: []string{"LIBYA2"},
		NameMatched: "Ayesha QADHAFI", Query: "Aisha Qaddafi"}
	if diff := cmp.Diff(want, h); diff != "" {
		t.Errorf("hit (-want +got):\n%s", diff)
	}
}

func TestTop(t *testing.T) {
	hs := testIndex().Screen(Query{Names: []string{"Mohammad Hassan Akhund", "Ayman Zawahiri"}}, Options{Top: 1})
	if len(hs) != 1 {
		t.Fatalf("Top 1 gave %d hits", len(hs))
	}
}

func TestScreenAll(t *testing.T) {
	ix := testIndex()
	var qs []Query
	for i := 0; i < 1000; i++ {
		n := []string{"Mohammad Hassan Akhund", "Farida Sultani", "Ayman al-Zawahiri", "محمد حسن آخوند"}[i%4]
		qs = append(qs, Query{ID: n, Names: []string{n}})
	}
	var mu sync.Mutex
	last := 0
	got, err := ix.ScreenAll(context.Background(), qs, Options{}, func(done int) {
		mu.Lock()
		last = max(last, done)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != len(qs) {
		t.Errorf("progress ended at %d", last)
	}
	for i, q := range qs {
		if diff := cmp.Diff(ix.Screen(q, Options{}), got[i]); diff != "" {
			t.Fatalf("query %d differs from Screen:\n%s", i, diff)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ix.ScreenAll(ctx, qs, Options{}, nil); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestQueryFromRecord(t *testing.T) {
	r := &muster.Record{SourceID: "x1", Given: "Abdul Rahman", Family: "Ahmadzai", FullName: "Abdul Rahman Ahmadzai",
		NativeName: "عبدالرحمن احمدزی", DOB: year(1985), Nationalities: []string{"AF"}, Sex: muster.SexMale}
	want := Query{ID: "x1", Names: []string{"Abdul Rahman Ahmadzai", "عبدالرحمن احمدزی"}, DOB: year(1985), Nationalities: []string{"AF"}, Sex: muster.SexMale}
	if diff := cmp.Diff(want, QueryFromRecord(r)); diff != "" {
		t.Error(diff)
	}
}

func TestOnlyChanged(t *testing.T) {
	old := testEntries()[:2]
	cur := testEntries()
	cur[1].DOBs = nil // 2676 changed in a way screening sees
	d := lists.Diff(old, cur)
	keys := ChangedKeys(d)
	want := map[string]bool{"ofac-sdn:2676": true, "ofac-sdn:12610": true, "un-sc:TAe.010": true, "ofac-sdn:15036": true}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("changed keys (-want +got):\n%s", diff)
	}
	ix := NewIndex(cur)
	q := Query{Names: []string{"Mohammad Hassan Akhund", "Ayman Zawahiri"}}
	if diff := cmp.Diff([]string{"ofac-sdn:2676"}, ids(ix.Screen(q, Options{Only: keys}))); diff != "" {
		t.Errorf("only changed entries: %s", diff)
	}
}

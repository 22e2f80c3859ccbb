package resolve

import (
	"context"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
)

func resolveRecords(t testing.TB, recs []muster.Record) *Result {
	t.Helper()
	d := registrations(t, recs)
	opt := RegistrationOptions(d)
	opt.KeepCandidates = true
	res, err := Resolve(context.Background(), d, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// registrations makes a data set of recs.
func registrations(t testing.TB, recs []muster.Record) *Data {
	t.Helper()
	d := NewRegistrations()
	for k := range recs {
		if err := AddRecord(d, &recs[k]); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func date(y, m, d int) muster.Date {
	return muster.Date{Year: y, Month: m, Day: d, Precision: muster.PrecisionDay}
}

func TestRegistrations(t *testing.T) {
	// Each case is resolved inside a synthetic population, so that the
	// model is learnt as it would be in a real import.
	bg, _ := synth(3000, 42)
	tests := []struct {
		name string
		recs []muster.Record
		// same lists groups of records (by index) that must share a
		// cluster; apart lists pairs that must not.
		same  [][]int
		apart [][2]int
	}{{
		name: "one person, four sources, four spellings",
		recs: []muster.Record{
			{Source: "webform", SourceID: "w1", Given: "Mohammad Karim", Family: "Rahimi", Father: "Abdul Rahim", DOB: date(1984, 3, 7), Sex: "M", Passport: "P4411235"},
			{Source: "ngo-a", SourceID: "a7", Given: "Muhammad Kareem", Family: "Rahimy", Father: "Abdulrahim", DOB: date(1984, 3, 7), Sex: "M", Phones: []string{"+93700111222"}},
			{Source: "consular", SourceID: "c3", NativeName: "محمد کریم رحیمی", Father: "عبدالرحیم", DOB: muster.Date{Year: 1984, Precision: muster.PrecisionYear}, Sex: "M", Phones: []string{"+93700111222"}},
			{Source: "mp-office", SourceID: "m9", FullName: "Mohd Karim Rahimi", Father: "Abdul Raheem", DOB: date(1984, 7, 3), Sex: "M", Passport: "P4411253"},
		},
		same: [][]int{{0, 1, 2, 3}},
	}, {
		name: "a family registered twice is five people, not one",
		recs: []muster.Record{
			{Source: "ngo-b", SourceID: "1", CaseRef: "B-17", Given: "Nasir", Family: "Hakimi", Father: "Ghulam Sakhi", DOB: date(1975, 5, 2), Sex: "M", Phones: []string{"+93799000111"}},
			{Source: "ngo-b", SourceID: "2", CaseRef: "B-17", Given: "Laila", Family: "Hakimi", Father: "Abdul Wahab", DOB: date(1979, 9, 12), Sex: "F", Phones: []string{"+93799000111"}},
			{Source: "ngo-b", SourceID: "3", CaseRef: "B-17", Given: "Jawad", Family: "Hakimi", Father: "Nasir", DOB: date(2001, 1, 1), Sex: "M", Phones: []string{"+93799000111"}},
			{Source: "ngo-b", SourceID: "4", CaseRef: "B-17", Given: "Khalid", Family: "Hakimi", Father: "Nasir", DOB: date(2004, 1, 1), Sex: "M", Phones: []string{"+93799000111"}},
			{Source: "ngo-b", SourceID: "5", CaseRef: "B-17", Given: "Maryam", Family: "Hakimi", Father: "Nasir", DOB: date(2007, 1, 1), Sex: "F", Phones: []string{"+93799000111"}},
			// The same family from another source, other spellings, no case
			// number, so nothing but the fields keeps siblings apart.
			{Source: "webform", SourceID: "x1", Given: "Naser", Family: "Hakeemi", Father: "Ghulam Sakhi", DOB: date(1975, 5, 2), Sex: "M"},
			{Source: "webform", SourceID: "x2", Given: "Layla", Family: "Hakeemi", DOB: muster.Date{Year: 1979, Precision: muster.PrecisionYear}, Sex: "F"},
			{Source: "webform", SourceID: "x3", Given: "Javad", Family: "Hakeemi", Father: "Naser", DOB: date(2001, 1, 1), Sex: "M", Phones: []string{"+93799000111"}},
			{Source: "webform", SourceID: "x4", Given: "Khaled", Family: "Hakeemi", Father: "Naser", DOB: date(2004, 1, 1), Sex: "M", Phones: []string{"+93799000111"}},
			{Source: "webform", SourceID: "x5", Given: "Mariam", Family: "Hakeemi", Father: "Naser", DOB: date(2007, 1, 1), Sex: "F", Phones: []string{"+93799000111"}},
		},
		same:  [][]int{{0, 5}, {1, 6}, {2, 7}, {3, 8}, {4, 9}},
		apart: [][2]int{{2, 3}, {2, 4}, {3, 4}, {7, 8}, {7, 9}, {8, 9}, {2, 8}, {3, 9}, {0, 2}, {5, 7}},
	}, {
		name: "different passports are different people",
		recs: []muster.Record{
			{Source: "webform", SourceID: "p1", Given: "Ahmad", Family: "Wardak", Father: "Zahir", DOB: date(1990, 6, 15), Sex: "M", Passport: "P1234567"},
			{Source: "ngo-a", SourceID: "p2", Given: "Ahmad", Family: "Wardak", Father: "Zahir", DOB: date(1990, 6, 15), Sex: "M", Passport: "R7654321"},
			// One typo in the number is the same passport.
			{Source: "ngo-b", SourceID: "p3", Given: "Ahmed", Family: "Wardak", Father: "Zaheer", DOB: date(1990, 6, 15), Sex: "M", Passport: "P1234576"},
		},
		same:  [][]int{{0, 2}},
		apart: [][2]int{{0, 1}, {1, 2}},
	}, {
		name: "a dropped second given name is the same man; a brother with it is not",
		recs: []muster.Record{
			{Source: "webform", SourceID: "g1", Given: "Mohammad Khalid", Family: "Azizi", Father: "Habibullah", DOB: date(1990, 4, 9), Sex: "M", Phones: []string{"+93700333444"}},
			{Source: "ngo-b", SourceID: "g2", Given: "Mohammad", Family: "Azizi", Father: "Habibullah", DOB: date(1990, 4, 9), Sex: "M", PlaceOfBirth: "Kabul"},
			{Source: "ngo-b", SourceID: "g3", Given: "Mohammad Karim", Family: "Azizi", Father: "Habibullah", DOB: date(1994, 2, 1), Sex: "M", Phones: []string{"+93700333444"}},
		},
		same:  [][]int{{0, 1}},
		apart: [][2]int{{0, 2}, {1, 2}},
	}, {
		name: "birth dates decades apart are different people",
		recs: []muster.Record{
			{Source: "webform", SourceID: "d1", Given: "Habib", Family: "Safi", Father: "Wali", DOB: date(1950, 2, 2), Sex: "M", Phones: []string{"+93700999888"}},
			{Source: "ngo-a", SourceID: "d2", Given: "Habib", Family: "Safi", Father: "Wali", DOB: date(1988, 2, 2), Sex: "M", Phones: []string{"+93700999888"}},
		},
		apart: [][2]int{{0, 1}},
	}}
	// All cases go into one population, resolved once: they do not share
	// names, and one run keeps the test fast.
	recs := append([]muster.Record{}, bg...)
	offset := make([]int, len(tests))
	for k, tt := range tests {
		offset[k] = len(recs)
		recs = append(recs, tt.recs...)
	}
	res := resolveRecords(t, recs)
	for k, tt := range tests {
		base := offset[k]
		t.Run(tt.name, func(t *testing.T) {
			at := func(i int) int32 { return res.Cluster[base+i] }
			explain := func(i, j int) string {
				var b strings.Builder
				w, p, v := res.Score(base+i, base+j)
				b.WriteString("weight " + ftoa(w) + " prob " + ftoa(p))
				if v {
					b.WriteString(" cannot-link")
				}
				for _, term := range res.Explain(base+i, base+j) {
					b.WriteString("\n  " + term.Field + " " + term.A + " | " + term.B + " " + term.Level + " " + ftoa(term.Weight))
				}
				return b.String()
			}
			for _, g := range tt.same {
				for _, i := range g[1:] {
					if at(i) != at(g[0]) {
						t.Errorf("records %d and %d not merged: %s", g[0], i, explain(g[0], i))
					}
				}
			}
			for _, p := range tt.apart {
				if at(p[0]) == at(p[1]) {
					t.Errorf("records %d and %d merged: %s", p[0], p[1], explain(p[0], p[1]))
				}
			}
		})
	}
}

// TestSynthetic resolves a generated population with families and several
// sources and checks pairwise quality against the generator's truth.
func TestSynthetic(t *testing.T) {
	recs, truth := synth(5000, 7)
	res := resolveRecords(t, recs)
	p, r, f := pairF1(res.Cluster, truth)
	found, total := BlockingRecall(itoaAll(truth), res.Candidates)
	t.Logf("precision %.4f recall %.4f F1 %.4f; %d candidate pairs; %d of %d true pairs blocked", p, r, f, res.Stats.Candidates, found, total)
	if p < 0.98 || f < 0.95 {
		t.Errorf("precision %.4f recall %.4f F1 %.4f, want precision >= 0.98 and F1 >= 0.95", p, r, f)
	}
}

func itoaAll(xs []int) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = itoa(x)
	}
	return out
}

// The benchmark extracts: testdata/febrl1_head.csv is the first 500 rows of
// FEBRL dataset1 and testdata/fake_1000.csv Splink's fake_1000 demo set
// (see testdata/README.md).
func TestFEBRLExtract(t *testing.T) {
	f, err := os.Open("testdata/febrl1_head.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := NewFEBRL()
	if err := ReadFEBRL(d, f); err != nil {
		t.Fatal(err)
	}
	opt := FEBRLOptions(d)
	opt.KeepCandidates = true
	res, err := Resolve(context.Background(), d, opt)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^rec-(\d+)-`)
	truth := make([]int, d.Len())
	for i, id := range d.IDs {
		truth[i] = atoi(re.FindStringSubmatch(id)[1])
	}
	p, r, f1 := pairF1(res.Cluster, truth)
	found, total := BlockingRecall(itoaAll(truth), res.Candidates)
	t.Logf("precision %.4f recall %.4f F1 %.4f; blocking recall %d/%d", p, r, f1, found, total)
	if f1 < 0.98 || found < total*98/100 {
		t.Errorf("F1 %.4f blocking %d/%d, want F1 >= 0.98 and blocking recall >= 0.98", f1, found, total)
	}
}

func TestSplinkExtract(t *testing.T) {
	raw, err := os.ReadFile("testdata/fake_1000.csv")
	if err != nil {
		t.Fatal(err)
	}
	d, err := ReadSplink(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if d.FieldIndex("cluster") >= 0 {
		t.Fatal("the truth column became a field")
	}
	res, err := Resolve(context.Background(), d, SplinkOptions(d))
	if err != nil {
		t.Fatal(err)
	}
	// The truth, read separately from the data the engine saw.
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	truth := make([]int, 0, len(lines)-1)
	for _, l := range lines[1:] {
		truth = append(truth, atoi(l[strings.LastIndexByte(l, ',')+1:]))
	}
	p, r, f1 := pairF1(res.Cluster, truth)
	t.Logf("precision %.4f recall %.4f F1 %.4f", p, r, f1)
	if p < 0.95 || f1 < 0.8 {
		t.Errorf("precision %.4f F1 %.4f, want precision >= 0.95 and F1 >= 0.8", p, f1)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestDateCmp(t *testing.T) {
	vals := []string{"1984-03-07", "1984-07-03", "1984-03-08", "1984", "1984-03", "1985-02-01", "1988-03-07", "1950-03-07", "1983~1984", "19840307", "garbage"}
	c := &DateCmp{}
	c.Prepare(vals)
	at := func(s string) int32 {
		for i, v := range vals {
			if v == s {
				return int32(i)
			}
		}
		t.Fatalf("no %s", s)
		return 0
	}
	tests := []struct {
		a, b string
		want string
	}{
		{"1984-03-07", "1984-07-03", "day-month-swapped"},
		{"1984-03-07", "1984-03-08", "one-typo"},
		{"1984-03-07", "1984", "agree-imprecise"},
		{"1984-03-07", "1984-03", "agree-imprecise"},
		{"1984-03-07", "1983~1984", "agree-imprecise"},
		{"1984-03-07", "19840307", "exact"},
		{"1984-03-07", "1985-02-01", "within-1y"},
		{"1984-03-07", "1988-03-07", "one-typo"},
		{"1984", "1988-03-07", "within-5y"},
		{"1984-03-07", "1950-03-07", "else"},
		{"1984-03-07", "garbage", "else"},
	}
	for _, tt := range tests {
		if got := c.Levels()[c.Level(at(tt.a), at(tt.b))]; got != tt.want {
			t.Errorf("%s vs %s: %s, want %s", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestStringMeasures(t *testing.T) {
	type row struct {
		A, B    string
		JW      string
		OneEdit bool
	}
	var got []row
	for _, p := range [][2]string{{"martha", "marhta"}, {"dwayne", "duane"}, {"P1234567", "P1234576"}, {"P1234567", "P1234"}, {"abc", "abd"}, {"", "x"}} {
		got = append(got, row{p[0], p[1], ftoa(float64(int(JaroWinkler(p[0], p[1])*1000)) / 1000), WithinOneEdit(p[0], p[1])})
	}
	want := []row{
		{"martha", "marhta", "0.961", true},
		{"dwayne", "duane", "0.84", false},
		{"P1234567", "P1234576", "0.975", true},
		{"P1234567", "P1234", "0.925", false},
		{"abc", "abd", "0.822", true},
		{"", "x", "0", true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	for _, tt := range [][2]string{{"Robert", "R163"}, {"Rupert", "R163"}, {"Ashcraft", "A261"}, {"Tymczak", "T522"}, {"", ""}} {
		if got := Soundex(tt[0]); got != tt[1] {
			t.Errorf("Soundex(%q) = %q, want %q", tt[0], got, tt[1])
		}
	}
}

func FuzzReadFEBRL(f *testing.F) {
	f.Add("rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id\nrec-1-org, a, b, 1, x, y, z, 2000, nsw, 19800101, 123\n")
	f.Add("rec_id\nrec-1\n")
	f.Fuzz(func(t *testing.T, s string) {
		d := NewFEBRL()
		if err := ReadFEBRL(d, strings.NewReader(s)); err != nil {
			return
		}
		for f := range d.Fields {
			for i := range d.Len() {
				_ = d.Value(f, i)
			}
		}
	})
}

func FuzzReadSplink(f *testing.F) {
	f.Add("unique_id,first_name,surname,dob,city,email,cluster\n0,Robert,Alan,1971-06-24,,r@x.net,0\n")
	f.Add("unique_id,cluster\n1,2\n")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ReadSplink(strings.NewReader(s))
		if err != nil {
			return
		}
		if d.FieldIndex("cluster") >= 0 {
			t.Fatal("cluster column read as a field")
		}
	})
}

func FuzzDateCmp(f *testing.F) {
	f.Add("1984-03-07", "1984")
	f.Add("19840307", "1983~1985")
	f.Fuzz(func(t *testing.T, a, b string) {
		c := &DateCmp{}
		c.Prepare([]string{a, b})
		l, m := c.Level(0, 1), c.Level(1, 0)
		if l != m {
			t.Errorf("asymmetric: %q %q: %d vs %d", a, b, l, m)
		}
		if l < 0 || l >= len(c.Levels()) {
			t.Errorf("level %d out of range", l)
		}
	})
}

func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 10, 5000, 100_000} {
		a := make([]uint64, n)
		for i := range a {
			a[i] = pairOf(int32(rng.IntN(300_000)), int32(rng.IntN(300_000)))
		}
		want := slices.Clone(a)
		slices.Sort(want)
		radixSort(a)
		if !slices.Equal(a, want) {
			t.Errorf("n=%d: not sorted", n)
		}
	}
}

// Tiny inputs must resolve, not divide by zero: a partner's first file may
// hold one family.
func TestTinyInputs(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7} {
		recs, _ := synth(n, 5)
		recs = recs[:n]
		res := resolveRecords(t, recs)
		if len(res.Cluster) != n {
			t.Errorf("n=%d: %d cluster ids", n, len(res.Cluster))
		}
		if n > 0 && res.Stats.Clusters < 1 {
			t.Errorf("n=%d: %d clusters", n, res.Stats.Clusters)
		}
	}
}

// Reviewers' decisions override the model both ways.
func TestDecisions(t *testing.T) {
	bg, _ := synth(2000, 11)
	cases := []muster.Record{
		{Source: "webform", SourceID: "p1", Given: "Ahmad", Family: "Wardak", Father: "Zahir", DOB: date(1990, 6, 15), Sex: "M", Passport: "P1234567"},
		{Source: "ngo-a", SourceID: "p2", Given: "Ahmad", Family: "Wardak", Father: "Zahir", DOB: date(1990, 6, 15), Sex: "M", Passport: "R7654321"},
		{Source: "ngo-b", SourceID: "p3", Given: "Ahmed", Family: "Wardak", Father: "Zaheer", DOB: date(1990, 6, 15), Sex: "M", Passport: "P1234576"},
	}
	recs := append(append([]muster.Record{}, bg...), cases...)
	b := int32(len(bg))
	d := NewRegistrations()
	for k := range recs {
		if err := AddRecord(d, &recs[k]); err != nil {
			t.Fatal(err)
		}
	}
	opt := RegistrationOptions(d)
	opt.KeepCandidates = true
	opt.MustLink = [][2]int32{{b, b + 1}}   // the passports differ, a human says same person
	opt.CannotLink = [][2]int32{{b, b + 2}} // one typo apart, a human says different people
	res, err := Resolve(context.Background(), d, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cluster[b] != res.Cluster[b+1] {
		t.Error("must-link pair not merged")
	}
	if res.Cluster[b] == res.Cluster[b+2] {
		t.Error("cannot-link pair merged")
	}
	rev := res.Review(0.01)
	for k, p := range rev {
		if res.Cluster[p.I] == res.Cluster[p.J] {
			t.Errorf("review pair %d/%d already in one cluster", p.I, p.J)
		}
		if k > 0 && p.Prob > rev[k-1].Prob {
			t.Error("review not sorted strongest first")
		}
		if int32(p.I) == b && int32(p.J) == b+2 {
			t.Error("a decided pair is back in review")
		}
	}
}

func TestSwappedNames(t *testing.T) {
	d := NewData([]Field{{Name: "first", Cmp: NewStringCmp()}, {Name: "surname", Cmp: NewStringCmp()}})
	d.Swap = &[2]int{0, 1}
	for _, r := range [][]string{{"caleb", "rowe"}, {"rowe", "caleb"}, {"rowe", "calib"}, {"caleb", "row"}, {"mary", "jones"}} {
		if err := d.Add(r[0]+" "+r[1], "", r); err != nil {
			t.Fatal(err)
		}
	}
	d.prepare()
	lv := func(i, j int32) [2]int {
		g, _ := d.gamma(i, j)
		return [2]int{level(g, 0), level(g, 1)}
	}
	tests := []struct {
		i, j int32
		want [2]int
	}{
		{0, 1, [2]int{0, 0}}, // swapped: exact both
		{0, 2, [2]int{1, 0}}, // swapped, a typo in the given name
		{0, 3, [2]int{0, 1}}, // straight is better: kept
		{0, 4, [2]int{4, 4}}, // nothing in common either way
	}
	for _, tt := range tests {
		if got := lv(tt.i, tt.j); got != tt.want {
			t.Errorf("%s vs %s: levels %v, want %v", d.IDs[tt.i], d.IDs[tt.j], got, tt.want)
		}
	}
}

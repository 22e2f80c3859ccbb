package lists

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
)

// The files under testdata/ are byte-for-byte extracts (whole rows, whole
// XML elements) of the real lists in /work/shared/data/lists, chosen for the
// forms they show; see testdata/README.md.

var update = flag.Bool("update", false, "rewrite golden files")

// realData is the shared folder of published lists; tests that need it skip
// when it is absent.
const realData = "../../../shared/data/lists"

func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func TestLoadExtracts(t *testing.T) {
	for _, tc := range []struct {
		path, golden string
		count        int
	}{
		{"testdata/ofac-sdn-2021-07", "ofac-sdn-2021-07.json", 13},
		{"testdata/ofac-sdn-2024-05/sdn.csv", "ofac-sdn-2024-05.json", 13},
		{"testdata/ofac-cons-2025-12", "ofac-cons-2025-12.json", 4},
		{"testdata/un-sc-2026-02-27-extract.xml", "un-sc-2026-02-27.json", 8},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			es, err := Load(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != tc.count {
				t.Errorf("got %d entries, want %d", len(es), tc.count)
			}
			golden(t, tc.golden, es)
		})
	}
}

// TestSDNFields checks by hand what the golden file records, for the forms
// that matter most to screening.
func TestSDNFields(t *testing.T) {
	es, err := Load("testdata/ofac-sdn-2021-07")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Entry{}
	for _, e := range es {
		by[e.ID] = e
	}
	y := func(y int) muster.Date {
		return muster.Date{Year: y, Precision: muster.PrecisionYear, Calendar: "gregorian", Written: itoa(y)}
	}
	ignoreWritten := cmp.Transformer("noWritten", func(d muster.Date) muster.Date { d.Written = ""; return d })

	e := by["16455"] // "DOB 1964; alt. DOB 1963 to 1965; ... citizen Afghanistan."
	if diff := cmp.Diff([]DateRange{{From: y(1964)}, {From: y(1963), To: y(1965)}}, e.DOBs, ignoreWritten); diff != "" {
		t.Errorf("16455 DOBs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"AF"}, e.Nationalities); diff != "" {
		t.Errorf("16455 nationalities: %s", diff)
	}
	if n := e.Names[0]; n.Name != "Qari SAIFULLAH" || n.Given != "Qari" || n.Family != "SAIFULLAH" || n.Kind != KindPrimary {
		t.Errorf("16455 primary name %+v", n)
	}

	e = by["11355"] // "DOB circa 01 Jan 1961", passports, weak akas
	if len(e.DOBs) != 1 || !e.DOBs[0].Approx || e.DOBs[0].From.Precision != muster.PrecisionDay || e.DOBs[0].From.Year != 1961 {
		t.Errorf("11355 DOBs %+v", e.DOBs)
	}
	wantDocs := []muster.Document{{Type: "passport", Number: "FU0152122", Country: "PK"}, {Type: "passport", Number: "FU0152121", Country: "PK"}}
	if diff := cmp.Diff(wantDocs, e.Documents); diff != "" {
		t.Errorf("11355 documents (-want +got):\n%s", diff)
	}
	var weak []string
	for _, n := range e.Names {
		if n.Quality == QualityLow {
			weak = append(weak, n.Name)
		}
	}
	if diff := cmp.Diff([]string{"Shaykh AMINULLAH", "Sheik AMINULLAH", "SHAYKH AMEEN"}, weak); diff != "" {
		t.Errorf("11355 weak aliases (-want +got):\n%s", diff)
	}

	e = by["12610"] // Gender Female, alternative DOBs
	if e.Sex != muster.SexFemale || len(e.DOBs) != 3 {
		t.Errorf("12610 sex %q, %d DOBs", e.Sex, len(e.DOBs))
	}
	e = by["2686"]
	if diff := cmp.Diff([]string{"SDGT", "SYRIA"}, e.Programs); diff != "" {
		t.Errorf("2686 programs: %s", diff)
	}
	if e.POBs[0] != "Al Basuriyah, Lebanon" {
		t.Errorf("2686 POB %q", e.POBs)
	}
	e = by["12300"] // remark continued in sdn_comments.csv
	if !strings.Contains(e.Remarks, "PROMO RAIZ S.A.S.") {
		t.Errorf("12300 remarks not joined with sdn_comments.csv: ...%s", e.Remarks[len(e.Remarks)-200:])
	}
	if by["15036"].Type != TypeVessel || by["36"].Type != TypeEntity {
		t.Errorf("types %q %q", by["15036"].Type, by["36"].Type)
	}
	if len(by["306"].Addresses) == 0 || by["306"].Addresses[0].Country == "" {
		t.Errorf("306 addresses %+v", by["306"].Addresses)
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestUNFields(t *testing.T) {
	es, err := Load("testdata/un-sc-2026-02-27-extract.xml")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]Entry{}
	for _, e := range es {
		by[e.ID] = e
	}
	e := by["TAi.002"]
	if e.Type != TypeIndividual || e.Programs[0] != "Taliban" {
		t.Errorf("TAi.002 %q %q", e.Type, e.Programs)
	}
	var arabic []string
	for _, n := range e.Names {
		if n.Script == ScriptArabic {
			arabic = append(arabic, n.Name)
		}
	}
	if diff := cmp.Diff([]string{"محمد حسن آخوند"}, arabic); diff != "" {
		t.Errorf("TAi.002 original script: %s", diff)
	}
	if len(e.DOBs) != 2 || e.DOBs[0].From.Year != 1955 || e.DOBs[0].To.Year != 1958 || !e.DOBs[0].Approx {
		t.Errorf("TAi.002 BETWEEN dates %+v", e.DOBs)
	}
	if diff := cmp.Diff([]string{"AF"}, e.Nationalities); diff != "" {
		t.Errorf("TAi.002 nationality %s", diff)
	}
	e = by["TAi.003"]
	if len(e.DOBs) != 1 || !e.DOBs[0].Approx || e.DOBs[0].From.Year != 1963 {
		t.Errorf("TAi.003 APPROXIMATELY %+v", e.DOBs)
	}
	e = by["CDe.001"]
	kinds := map[string]int{}
	for _, n := range e.Names {
		kinds[n.Kind]++
	}
	if e.Type != TypeEntity || kinds[KindFKA] != 3 || kinds[KindAKA] != 1 {
		t.Errorf("CDe.001 %q names by kind %v", e.Type, kinds)
	}
	e = by["QDi.289"]
	low := 0
	for _, n := range e.Names {
		if n.Quality == QualityLow {
			low++
		}
	}
	if low != 8 || e.Sex != muster.SexMale && e.Sex != "" {
		t.Errorf("QDi.289: %d low-quality aliases", low)
	}
}

func TestParseOFACDOB(t *testing.T) {
	d := func(y, m, day int, w string) muster.Date {
		p := muster.PrecisionYear
		if day > 0 {
			p = muster.PrecisionDay
		} else if m > 0 {
			p = muster.PrecisionMonth
		}
		return muster.Date{Year: y, Month: m, Day: day, Precision: p, Calendar: "gregorian", Written: w}
	}
	for _, tc := range []struct {
		in   string
		want DateRange
		ok   bool
	}{
		{"10 Dec 1948", DateRange{From: d(1948, 12, 10, "10 Dec 1948")}, true},
		{"Dec 1948", DateRange{From: d(1948, 12, 0, "Dec 1948")}, true},
		{"1948.", DateRange{From: d(1948, 0, 0, "1948")}, true},
		{"circa 1951", DateRange{From: d(1951, 0, 0, "1951"), Approx: true}, true},
		{"circa 1970-1972", DateRange{From: d(1970, 0, 0, "1970"), To: d(1972, 0, 0, "1972"), Approx: true}, true},
		{"1960 to 1962", DateRange{From: d(1960, 0, 0, "1960"), To: d(1962, 0, 0, "1962")}, true},
		{"01 Jan 1960 to 31 Dec 1962", DateRange{From: d(1960, 1, 1, "01 Jan 1960"), To: d(1962, 12, 31, "31 Dec 1962")}, true},
		{"10 October 1969", DateRange{From: d(1969, 10, 10, "10 October 1969")}, true},
		{"32 Jan 1960", DateRange{}, false},
		{"19 Xyz 1960", DateRange{}, false},
		{"", DateRange{}, false},
		{"1960 to", DateRange{}, false},
	} {
		got, ok := parseOFACDOB(tc.in)
		if ok != tc.ok {
			t.Errorf("parseOFACDOB(%q) ok = %v", tc.in, ok)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("parseOFACDOB(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestRemarks(t *testing.T) {
	var e Entry
	e.Type = TypeIndividual
	parseOFACRemarks(&e, "DOB 1985; POB Kabul, Afghanistan; nationality Afghanistan; alt. nationality Pakistan; citizen Korea, North; "+
		"Gender Male; Passport OR801168 (Afghanistan) issued 28 Feb 2006 expires 27 Feb 2014; National ID No. 12345 (Afghanistan); "+
		"Tax ID No. AB-1 (Iran); a.k.a. 'AL-AFGHANI, Abu Bakr'; a.k.a. 'NU'MAN; X'; Linked To: TALIBAN.")
	want := Entry{
		Type:          TypeIndividual,
		DOBs:          []DateRange{{From: muster.Date{Year: 1985, Precision: muster.PrecisionYear, Calendar: "gregorian", Written: "1985"}}},
		POBs:          []string{"Kabul, Afghanistan"},
		Nationalities: []string{"AF", "PK", "KP"},
		Sex:           muster.SexMale,
		Documents: []muster.Document{
			{Type: "passport", Number: "OR801168", Country: "AF"},
			{Type: "national_id", Number: "12345", Country: "AF"},
			{Type: "other", Number: "AB-1", Country: "IR"},
		},
		Names: []EntryName{
			{Name: "Abu Bakr AL-AFGHANI", Given: "Abu Bakr", Family: "AL-AFGHANI", Kind: KindAKA, Quality: QualityLow, Script: ScriptLatin},
			{Name: "NU'MAN; X", Kind: KindAKA, Quality: QualityLow, Script: ScriptLatin},
		},
	}
	want.Remarks = e.Remarks
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("remarks (-want +got):\n%s", diff)
	}
}

func TestCountryCode(t *testing.T) {
	for in, want := range map[string]string{
		"Afghanistan": "AF", "afghanistan": "AF", "Korea, North": "KP", "Democratic People's Republic of Korea": "KP",
		"Iran (Islamic Republic of)": "IR", "the Russian Federation": "RU", "Côte d'Ivoire": "CI", "Burma": "MM",
		"United Republic of Tanzania": "TZ", "Bosnia-Herzegovina": "BA", "Palestinian": "PS", "UK": "GB",
		"Syrian Arab Republic": "SY", "North Macedonia, The Republic of": "", "Narnia": "", "": "", "af": "AF",
	} {
		if got := CountryCode(in); got != want {
			t.Errorf("CountryCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := remarkCountry("North Macedonia, The Republic of"); got != "MK" {
		t.Errorf("remarkCountry = %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil {
		t.Error("empty folder: no error")
	}
	bad := filepath.Join(dir, "sdn.csv")
	os.WriteFile(bad, []byte("36,\"X\",-0-\nabc,\"Y\",-0-\n"), 0o644)
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad ent_num: %v", err)
	}
	os.WriteFile(bad, []byte("36,\"X\",-0-\n36,\"Y\",-0-\n"), 0o644)
	if _, err := Load(bad); err == nil {
		t.Error("duplicate ent_num: no error")
	}
	if _, err := Load("testdata/ofac-sdn-2021-07/alt.csv"); err == nil {
		t.Error("companion file alone: no error")
	}
	un, err := os.ReadFile("testdata/un-sc-2026-02-27-extract.xml")
	if err != nil {
		t.Fatal(err)
	}
	two := t.TempDir()
	os.WriteFile(filepath.Join(two, "a.xml"), un, 0o644)
	os.WriteFile(filepath.Join(two, "b.xml"), un, 0o644)
	if _, err := Load(two); err == nil || !strings.Contains(err.Error(), "one version of each list") {
		t.Errorf("two versions in one folder: %v", err)
	}
	other := filepath.Join(dir, "x.xml")
	os.WriteFile(other, []byte("<feed/>"), 0o644)
	if _, err := Load(other); muster.ErrorCode(err) != muster.EINVALID {
		t.Errorf("unknown XML: %v", err)
	}
}

// TestLoadReal loads every published file in the shared data folder.
func TestLoadReal(t *testing.T) {
	if testing.Short() {
		t.Skip("real lists in -short")
	}
	if _, err := os.Stat(realData); err != nil {
		t.Skip("no shared list data")
	}
	for _, tc := range []struct {
		path                     string
		entries, individuals     int
		withDOB, withNationality int
	}{
		{"ofac-sdn-2021-07", 8976, 4620, 4428, 2543},
		{"ofac-sdn-2024-05", 14965, 6854, 6736, 5170},
		{"ofac-cons-2025-12", 442, 79, 74, 2},
		{"un-sc-2020-03-20.xml", 1014, 709, 668, 621},
		{"un-sc-2026-02-27.xml", 1003, 730, 677, 624},
	} {
		t.Run(tc.path, func(t *testing.T) {
			es, err := Load(filepath.Join(realData, tc.path))
			if err != nil {
				t.Fatal(err)
			}
			var ind, dob, nat int
			for _, e := range es {
				if e.Type == TypeIndividual {
					ind++
				}
				if len(e.DOBs) > 0 {
					dob++
				}
				if len(e.Nationalities) > 0 {
					nat++
				}
				if e.ID == "" || len(e.Names) == 0 {
					t.Errorf("entry %+v has no id or name", e)
				}
			}
			got := [4]int{len(es), ind, dob, nat}
			want := [4]int{tc.entries, tc.individuals, tc.withDOB, tc.withNationality}
			if got != want {
				t.Errorf("entries, individuals, with DOB, with nationality = %v, want %v", got, want)
			}
		})
	}
}

func FuzzParseSDN(f *testing.F) {
	for _, name := range []string{"sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata/ofac-sdn-2021-07", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte("36,12,\"aka\",\"X\",-0-\n"))
	}
	f.Add([]byte("1,\"A, B\",\"individual\",\"P\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB circa 1970-1972; a.k.a. 'Q\"\n\x1a"), []byte("ent_num,alt_num\n1,2,fka,\"C, D\",-0-\n\x1a,,,,"))
	f.Fuzz(func(t *testing.T, prim, alt []byte) {
		es, err := ParseSDN(bytes.NewReader(prim), bytes.NewReader(alt), bytes.NewReader(alt), bytes.NewReader(alt))
		if err != nil {
			return
		}
		for _, e := range es {
			if e.ID == "" || len(e.Names) == 0 || e.Names[0].Kind != KindPrimary {
				t.Fatalf("entry without id or primary name: %+v", e)
			}
		}
	})
}

func FuzzParseCons(f *testing.F) {
	b, err := os.ReadFile("testdata/ofac-cons-2025-12/cons_prim.csv")
	if err != nil {
		f.Fatal(err)
	}
	a, _ := os.ReadFile("testdata/ofac-cons-2025-12/cons_alt.csv")
	f.Add(b, a)
	f.Fuzz(func(t *testing.T, prim, alt []byte) {
		es, err := ParseCons(bytes.NewReader(prim), bytes.NewReader(alt), nil, nil)
		if err != nil {
			return
		}
		for _, e := range es {
			if e.List != OFACCons || len(e.Names) == 0 {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

func FuzzParseUN(f *testing.F) {
	b, err := os.ReadFile("testdata/un-sc-2026-02-27-extract.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><REFERENCE_NUMBER>X</REFERENCE_NUMBER><FIRST_NAME>A</FIRST_NAME><INDIVIDUAL_DATE_OF_BIRTH><TYPE_OF_DATE>BETWEEN</TYPE_OF_DATE><FROM_YEAR>1</FROM_YEAR></INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseUN(bytes.NewReader(data))
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, e := range es {
			if e.ID == "" || len(e.Names) == 0 || seen[e.ID] {
				t.Fatalf("bad entry %+v", e)
			}
			seen[e.ID] = true
		}
	})
}

func FuzzRemarks(f *testing.F) {
	f.Add("DOB circa 01 Jan 1961; POB Kabul; alt. DOB 1963 to 1965; nationality Korea, North; a.k.a. 'X, Y'; Passport A1 (Iran) expires 1 Jan 2000")
	f.Add("a.k.a. 'unclosed; DOB 1970")
	f.Fuzz(func(t *testing.T, s string) {
		var e Entry
		parseOFACRemarks(&e, s)
		for _, d := range e.DOBs {
			if d.From.Year < 1800 || d.From.Year > 2100 {
				t.Fatalf("DOB out of range: %+v", d)
			}
		}
	})
}

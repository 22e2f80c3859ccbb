package intake

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"muster"
)

// testNow is the fixed "now" of tests, so that ages and future dates do
// not drift.
var testNow = time.Date(2021, time.August, 20, 12, 0, 0, 0, time.UTC)

const hdr = "source,source_id,case_ref,relationship,given_name,family_name,father_name,full_name,native_name,sex,date_of_birth,place_of_birth,nationalities,passport_no,national_id,phone,email,category\n"

func readString(t *testing.T, s string, opt Options) *Result {
	t.Helper()
	if opt.Now.IsZero() {
		opt.Now = testNow
	}
	res, err := Read(strings.NewReader(s), "t.csv", FormatCSV, opt)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return res
}

// ignoreRaw leaves the verbatim row out of comparisons; TestRawAndLine checks it.
var ignoreRaw = cmpopts.IgnoreFields(muster.Record{}, "Raw", "Header")

func TestReadRecord(t *testing.T) {
	res := readString(t, hdr+
		`ngo-a,1,C1,principal,Abdul Rahman,Rahimi,Karim,"RAHIMI, Abdul Rahman",عبدالرحمن رحیمی,M,1365/05/12,Kabul,Afghan; American,p 012-3456,1399-0101-12345,0799 123 456; +1 202 555 0123,A.Rahimi@Example.ORG,SIV applicant`+"\n", Options{})
	want := []muster.Record{{
		Line: 2, Source: "ngo-a", SourceID: "1", CaseRef: "C1", Relationship: "principal",
		Given: "Abdul Rahman", Family: "Rahimi", Father: "Karim", FullName: "RAHIMI, Abdul Rahman",
		NativeName: "عبدالرحمن رحیمی", Sex: muster.SexMale,
		DOB:          muster.Date{Year: 1986, Month: 8, Day: 3, Precision: muster.PrecisionDay, Calendar: "solar_hijri", Written: "1365/05/12"},
		PlaceOfBirth: "Kabul", Nationalities: []string{"AF", "US"}, Passport: "P0123456", NationalID: "1399-0101-12345",
		Phones: []string{"+93799123456", "+12025550123"}, Emails: []string{"A.Rahimi@example.org"},
		Category: muster.CategorySIVApplicant,
	}}
	if diff := cmp.Diff(want, res.Records, ignoreRaw); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if len(res.Rejected) != 0 || res.Rows != 1 || res.Flagged != 0 {
		t.Errorf("rejected %v, rows %d, flagged %d", res.Rejected, res.Rows, res.Flagged)
	}
}

func TestRawAndLine(t *testing.T) {
	// A quoted field with a newline: the next record starts two lines on.
	in := hdr +
		"ngo-a,1,,,\"Abdul\nRahman\",,,,,,,,,,,,,\n" +
		"\n" +
		"ngo-a,2,,,Zahra,,,,,,,,,,,,,\n"
	res := readString(t, in, Options{})
	if len(res.Records) != 2 {
		t.Fatalf("got %d records, rejects %v", len(res.Records), res.Rejected)
	}
	r0, r1 := res.Records[0], res.Records[1]
	if r0.Line != 2 || r1.Line != 5 {
		t.Errorf("lines %d, %d; want 2, 5", r0.Line, r1.Line)
	}
	if r0.Given != "Abdul Rahman" || r0.Raw[4] != "Abdul\nRahman" {
		t.Errorf("given %q raw %q", r0.Given, r0.Raw[4])
	}
	if diff := cmp.Diff(Header, r0.Header); diff != "" {
		t.Errorf("header: %s", diff)
	}
	if res.Rows != 2 {
		t.Errorf("rows %d, want 2 (blank lines do not count)", res.Rows)
	}
}

func TestSourceRules(t *testing.T) {
	noSource := "source_id,given_name\n1,Ali\n"
	if _, err := Read(strings.NewReader(noSource), "t.csv", FormatCSV, Options{}); err == nil {
		t.Error("no source column and no Options.Source: want a file error")
	}
	res := readString(t, noSource, Options{Source: "cli"})
	if len(res.Records) != 1 || res.Records[0].Source != "cli" {
		t.Fatalf("records %+v", res.Records)
	}
	// The file's column wins; an empty cell falls back to Options.Source.
	res = readString(t, "source,source_id\nfile,1\n,2\n", Options{Source: "cli"})
	if got := []string{res.Records[0].Source, res.Records[1].Source}; !cmp.Equal(got, []string{"file", "cli"}) {
		t.Errorf("sources %v", got)
	}
	// An empty cell with nothing to fall back on rejects the row.
	res = readString(t, "source,source_id\nfile,1\n,2\n", Options{})
	want := []RowError{{File: "t.csv", Line: 3, Column: "source", Reason: "empty, and no source given for the file (--source)"}}
	if diff := cmp.Diff(want, res.Rejected, cmpopts.IgnoreFields(RowError{}, "Raw", "Header")); diff != "" {
		t.Error(diff)
	}
}

func TestFileErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "no header"},
		{"no source_id", "source,given_name\na,b\n", "no source_id column"},
		{"duplicate header", "source,source_id,source_id\na,1,2\n", "appears 2 times"},
		{"bad utf8 header", "source,source_id,\xff\n", "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in), "t.csv", FormatCSV, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
			if muster.ErrorCode(err) != muster.EINVALID {
				t.Errorf("code %q", muster.ErrorCode(err))
			}
		})
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.csv"), Options{}); err == nil {
		t.Error("missing file: no error")
	}
}

func TestFormats(t *testing.T) {
	tsv := strings.ReplaceAll(hdr, ",", "\t") + "ngo\t1\t\t\tAli" + strings.Repeat("\t", 13) + "\n"
	for _, tc := range []struct {
		name string
		data []byte
		fmt  Format
	}{
		{"csv", []byte(hdr + "ngo,1,,,Ali,,,,,,,,,,,,,\n"), FormatAuto},
		{"bom", []byte("\xEF\xBB\xBF" + hdr + "ngo,1,,,Ali,,,,,,,,,,,,,\n"), FormatCSV},
		{"tsv", []byte(tsv), FormatAuto},
		{"utf16", utf16le(tsv), FormatAuto},
		{"semicolon", []byte(strings.ReplaceAll(hdr, ",", ";") + "ngo;1;;;Ali;;;;;;;;;;;;;\n"), FormatAuto},
		{"title with semicolon", []byte("List; NGO\n" + hdr + "ngo,1,,,Ali,,,,,,,,,,,,,\n"), FormatAuto},
		{"tsv title with comma", []byte("List, NGO\n" + tsv), FormatAuto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Read(bytes.NewReader(tc.data), "f", tc.fmt, Options{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Records) != 1 || res.Records[0].Given != "Ali" || res.Records[0].Source != "ngo" {
				t.Errorf("records %+v rejects %v", res.Records, res.Rejected)
			}
		})
	}
}

func utf16le(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, r := range s {
		if r > 0xFFFF {
			panic("test helper: BMP only")
		}
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func TestTitleRowsAndUnmapped(t *testing.T) {
	in := "Evacuation list NGO A,,\n,,\nsource_id,given_name,notes\n1,Ali,call back\n"
	res := readString(t, in, Options{Source: "a"})
	if len(res.Records) != 1 || res.Records[0].Line != 4 || res.Records[0].Given != "Ali" {
		t.Fatalf("records %+v rejects %v", res.Records, res.Rejected)
	}
	if diff := cmp.Diff([]string{"notes"}, res.Unmapped); diff != "" {
		t.Error(diff)
	}
}

func TestTemplate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTemplate(&b); err != nil {
		t.Fatal(err)
	}
	if b.String() != hdr {
		t.Errorf("template %q", b.String())
	}
	// The template reads back as a valid, empty file.
	res := readString(t, b.String(), Options{})
	if res.Rows != 0 || len(res.Records) != 0 {
		t.Errorf("%+v", res)
	}
}

func TestReadFileXLSXByExtension(t *testing.T) {
	path := filepath.Join("testdata", "messy.xlsx")
	if _, err := os.Stat(path); err != nil {
		t.Skip("fixture not generated yet")
	}
	m, err := LoadMapping(filepath.Join("testdata", "messy.map"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ReadFile(path, Options{Mapping: m, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatXLSX || len(res.Records) == 0 {
		t.Errorf("format %v, %d records", res.Format, len(res.Records))
	}
}

// checkResult checks what must hold of any Result: each row is a record
// or rejected, records have a source and id, phones are E.164 and
// nationalities alpha-2.
func checkResult(t *testing.T, res *Result) {
	t.Helper()
	lines := map[int]bool{}
	for _, r := range res.Records {
		if r.Source == "" || r.SourceID == "" {
			t.Fatalf("record without source or id: %+v", r)
		}
		if lines[r.Line] {
			t.Fatalf("two records on line %d", r.Line)
		}
		lines[r.Line] = true
		for _, p := range r.Phones {
			if len(p) < 6 || p[0] != '+' {
				t.Fatalf("phone %q", p)
			}
		}
		for _, n := range r.Nationalities {
			if len(n) != 2 {
				t.Fatalf("nationality %q", n)
			}
		}
		if len(r.Raw) != len(r.Header) && len(r.Raw) > len(r.Header) {
			t.Fatalf("raw %d fields, header %d", len(r.Raw), len(r.Header))
		}
	}
	rejected := map[int]bool{}
	for _, e := range res.Rejected {
		if lines[e.Line] {
			t.Fatalf("line %d imported and rejected", e.Line)
		}
		if e.Reason == "" {
			t.Fatalf("reject without reason: %+v", e)
		}
		rejected[e.Line] = true
	}
	if len(lines)+len(rejected) != res.Rows {
		t.Fatalf("%d records + %d rejected rows != %d rows", len(lines), len(rejected), res.Rows)
	}
}

func FuzzReadCSV(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "broken.csv")); err == nil {
		f.Add(string(b))
	}
	f.Add(hdr + "ngo,1,,,Ali,,,,,M,1365/05/12,,Afghan,,,0799123456,,siv\n")
	f.Add("Title\n\nsource_id,given_name\n1,Ali\n")
	f.Add("source_id\tgiven_name\n1\tAli\n")
	f.Fuzz(func(t *testing.T, s string) {
		res, err := Read(strings.NewReader(s), "f.csv", FormatAuto, Options{Source: "fz", Now: testNow})
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}

func TestUTF16CSV(t *testing.T) {
	res, err := Read(bytes.NewReader(utf16le("source,source_id,given_name\nngo,1,زهرا\n")), "f", FormatAuto, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatCSV || len(res.Records) != 1 || res.Records[0].Given != "زهرا" {
		t.Errorf("format %v records %+v", res.Format, res.Records)
	}
}

func TestHeaderAliases(t *testing.T) {
	in := "ID,First Name,Surname,Gender,DOB,Mobile,Nationality,Notes\n7,Gul,Ahmadzai,Female,1365,0799123456,Afghan,x\n"
	res := readString(t, in, Options{Source: "ngo"})
	if len(res.Records) != 1 {
		t.Fatalf("rejects %v", res.Rejected)
	}
	r := res.Records[0]
	got := []string{r.SourceID, r.Given, r.Family, string(r.Sex), r.DOB.String(), strings.Join(r.Phones, ","), strings.Join(r.Nationalities, ",")}
	if diff := cmp.Diff([]string{"7", "Gul", "Ahmadzai", "F", "1986", "+93799123456", "AF"}, got); diff != "" {
		t.Error(diff)
	}
	wantCols := map[string][]string{"source_id": {"ID"}, "given_name": {"First Name"}, "family_name": {"Surname"}, "sex": {"Gender"},
		"date_of_birth": {"DOB"}, "phone": {"Mobile"}, "nationalities": {"Nationality"}}
	if diff := cmp.Diff(wantCols, res.Columns); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Notes"}, res.Unmapped); diff != "" {
		t.Error(diff)
	}
	// The field's own name wins over an alias, and "Source ID" is source_id.
	res = readString(t, "Source ID,id,Given_Name\n1,2,Ali\n", Options{Source: "ngo"})
	if r := res.Records[0]; r.SourceID != "1" || r.Given != "Ali" {
		t.Errorf("%+v", r)
	}
}

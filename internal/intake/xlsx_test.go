package intake

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// writeMessyXLSX writes the kind of workbook partners sent in 2021: a notes
// sheet first, a title above the header, other headers than muster's,
// Persian digits and words, a phone stored as a number (leading zero
// lost), another shown in scientific notation, a real Excel date in a
// two-digit-year format, a year typed as a number, a blank row, a
// multi-line cell, and rows that must be rejected.
func writeMessyXLSX(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Notes"); err != nil {
		return err
	}
	f.SetCellValue("Notes", "A1", "Send updates to the coordination cell. Do not edit the Applicants header.")
	if _, err := f.NewSheet("Applicants"); err != nil {
		return err
	}
	const s = "Applicants"
	sci, err := f.NewStyle(&excelize.Style{NumFmt: 11}) // 0.00E+00
	if err != nil {
		return err
	}
	dmy := "dd/mm/yy"
	date, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dmy})
	if err != nil {
		return err
	}
	rows := map[int][]any{
		1:  {"NGO X evacuation list, Kabul, 20 Aug 2021"},
		3:  {"Reg #", "Family #", "Relation", "Name of Applicant", "Father Name", "Name (Dari)", "Tazkira #", "DOB (Shamsi)", "Gender", "Mobile", "WhatsApp", "Nationality", "Category", "Remarks"},
		4:  {"X-1", "F-1", "Self", "RAHIMI, Abdul Rahman", "Karim", "عبدالرحمن رحیمی", "1399-0101-12345", "1365/05/12", "Male", 799123456, "+93 700 111 222", "Afghan", "SIV", "interpreter 2009-2013"},
		5:  {"X-2", "F-1", "Wife", "Zahra", "Abdul Rahman", "زهرا", "", "۱۳۷۰/۰۱/۰۱", "زن", 93700123456, "", "Afghan/US", "Dual"},
		6:  {"X-3", "F-1", "Son", "Omid", "Abdul Rahman", "", "", time.Date(2010, 3, 4, 0, 0, 0, 0, time.UTC), "Male", nil, nil, "AF", "SIV"},
		8:  {"X-4", "F-2", "Self", "Gul Ahmad s/o Mohammad", "Mohammad", "گل احمد", "", 1360, "مرد", "0093 79 555 1234", nil, "Afghan", "Refugee"},
		9:  {"X-5", "F-2", "Wife", "Malalai", "", "", "", "1362", "?", nil, nil, "Afghan", "Refugee"},
		10: {"", "F-3", "Self", "No Id", "", "", "", "", "Male"},
		11: {"X-7", "F-3", "Self", "Nazir", "", "", "", "1355", "Male", nil, nil, "", "VIP"},
		12: {"X-8", "F-3", "Son", "Extra", "", "", "", "", "Male", nil, nil, "", "SIV", "", "stray value"},
		13: {"X-1", "F-1", "Self", "RAHIMI, Abdul Rahman (again)", "", "", "", "", "Male", nil, nil, "", "SIV"},
		14: {"X-9", "F-4", "Daughter", "Mohammad\nNabi", "", "", "", "12/05/1365", "Female ", "0799 12", nil, "Afghan and Pakistani", "SIV"},
	}
	for r, vals := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(s, cell, &vals); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(s, "J5", "J5", sci); err != nil {
		return err
	}
	if err := f.SetCellStyle(s, "H6", "H6", date); err != nil {
		return err
	}
	return f.SaveAs(path)
}

func readMessy(t *testing.T, path string) *Result {
	t.Helper()
	m, err := LoadMapping(filepath.Join("testdata", "messy.map"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(f, "messy.xlsx", FormatOf(path), Options{Mapping: m, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestMessyXLSX reads the committed fixture with its mapping against a
// golden file, and checks that the generator still writes an equivalent
// workbook (go test -update regenerates the fixture).
func TestMessyXLSX(t *testing.T) {
	fixture := filepath.Join("testdata", "messy.xlsx")
	if *update {
		if err := writeMessyXLSX(fixture); err != nil {
			t.Fatal(err)
		}
	}
	res := readMessy(t, fixture)
	got := renderResult(res)
	golden(t, "messy.golden", []byte(got))

	fresh := filepath.Join(t.TempDir(), "messy.xlsx")
	if err := writeMessyXLSX(fresh); err != nil {
		t.Fatal(err)
	}
	if again := renderResult(readMessy(t, fresh)); again != got {
		t.Errorf("the generator and the committed fixture differ; run go test -update")
	}
}

func TestXLSXSheetErrors(t *testing.T) {
	fixture := filepath.Join("testdata", "messy.xlsx")
	_, err := ReadFile(fixture, Options{Mapping: &Mapping{Sheet: "Nope"}})
	if err == nil {
		t.Error("missing sheet: no error")
	}
	// Without a mapping the first sheet (notes) has no source_id column.
	if _, err := ReadFile(fixture, Options{Source: "x"}); err == nil || !strings.Contains(err.Error(), `read sheet "Notes" of "Notes", "Applicants"`) {
		t.Errorf("notes sheet: %v", err)
	}
	if _, err := Read(bytes.NewReader([]byte("PK\x03\x04garbage")), "x.xlsx", FormatAuto, Options{}); err == nil {
		t.Error("garbage workbook: no error")
	}
}

func FuzzReadXLSX(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "messy.xlsx"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	m, err := LoadMapping(filepath.Join("testdata", "messy.map"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Read(bytes.NewReader(b), "f.xlsx", FormatXLSX, Options{Mapping: m, Now: testNow})
		if err != nil {
			return
		}
		checkResult(t, res)
	})
}

func TestSerialDate(t *testing.T) {
	for in, want := range map[string]string{
		"31627":      "1986-08-03",
		"31627.5":    "1986-08-03", // a time of day
		"1365":       "1365",       // a year typed as a number
		"1986":       "1986",
		"19860803":   "19860803", // yyyymmdd typed as a number
		"1365/05/12": "1365/05/12",
		"":           "",
		"0":          "0",
		"-5":         "-5",
	} {
		if got := serialDate(in, false); got != want {
			t.Errorf("serialDate(%q) = %q, want %q", in, got, want)
		}
	}
	if got := serialDate("30165", true); got != "1986-08-03" {
		t.Errorf("1904 system: %q", got)
	}
}

// TestXLSXRegistrationHeaders reads a workbook with the registration CSV's
// own headers and no mapping: dates typed as Excel dates, years and
// yyyymmdd typed as numbers, a phone that lost its leading zero.
func TestXLSXRegistrationHeaders(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"source", "source_id", "given_name", "date_of_birth", "phone"},
		{"ngo", "1", "Ali", time.Date(1986, 8, 3, 0, 0, 0, 0, time.UTC), 799123456},
		{"ngo", "2", "Zahra", 1365, nil},
		{"ngo", "3", "Omid", 19860803, nil},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	res, err := Read(&buf, "r.xlsx", FormatAuto, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 3 || res.Format != FormatXLSX {
		t.Fatalf("%v records %+v rejects %v", res.Format, res.Records, res.Rejected)
	}
	var got []string
	for _, r := range res.Records {
		got = append(got, r.DOB.String()+" "+r.DOB.Calendar+" "+strings.Join(r.Phones, ","))
	}
	want := []string{"1986-08-03 gregorian +93799123456", "1986 solar_hijri ", "1986-08-03 gregorian "}
	if !cmp.Equal(want, got) {
		t.Errorf("got %q, want %q", got, want)
	}
}

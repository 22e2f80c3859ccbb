package schedule

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/charmap"

	"muster/internal/names"
)

// pdfPages returns the text shown on each page of an uncompressed PDF
// written by fpdf: every "(...) Tj" of each page's content stream, in
// order, decoded from Windows-1252. It knows only what fpdf writes: one
// content stream per page, strings escaped with \\, \( and \), and a
// "(" in content streams only where a string starts.
func pdfPages(t *testing.T, pdf []byte) [][]string {
	t.Helper()
	var pages [][]string
	for _, m := range regexp.MustCompile(`(?s)stream\n(.*?)\nendstream`).FindAllSubmatch(pdf, -1) {
		body := m[1]
		if !bytes.Contains(body, []byte("Tj")) {
			continue
		}
		var texts []string
		for i := 0; i < len(body); i++ {
			if body[i] != '(' {
				continue
			}
			var s []byte
			j := i + 1
			for ; j < len(body) && body[j] != ')'; j++ {
				if body[j] == '\\' && j+1 < len(body) {
					j++
					switch body[j] {
					case 'r':
						s = append(s, '\r')
					case 'n':
						s = append(s, '\n')
					default:
						s = append(s, body[j])
					}
					continue
				}
				s = append(s, body[j])
			}
			if !bytes.HasPrefix(bytes.TrimLeft(body[j+1:], " "), []byte("Tj")) {
				t.Fatalf("text at %d not followed by Tj: %.40q", i, body[i:])
			}
			u, err := charmap.Windows1252.NewDecoder().Bytes(s)
			if err != nil {
				t.Fatal(err)
			}
			texts = append(texts, string(u))
			i = j
		}
		pages = append(pages, texts)
	}
	return pages
}

var pageObjRE = regexp.MustCompile(`/Type /Page\b[^s]`)

func sheet(rows ...ManifestRow) *ManifestSheet {
	return &ManifestSheet{FlightID: "KBL-DOH-1", Destination: "Doha (DOH)", Departure: time.Date(2026, 11, 28, 14, 30, 0, 0, time.UTC),
		Capacity: 150, State: "open", Printed: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), Rows: rows}
}

// manyRows is n people in cases of 1 to 5, as the store orders them.
func manyRows(n int) []ManifestRow {
	var rows []ManifestRow
	for c := 1; len(rows) < n; c++ {
		for i := 0; i < c%5+1 && len(rows) < n; i++ {
			rows = append(rows, ManifestRow{Name: fmt.Sprintf("Traveller%03d Family%03d", len(rows), c), Sex: "F", DOB: "1990-01-01",
				Nationality: "AF", Document: fmt.Sprintf("P%07d", 1000+len(rows)), CaseRef: fmt.Sprintf("C-%06d", c), Minor: i == 2})
		}
	}
	return rows
}

func TestManifestPDF(t *testing.T) {
	arabic := "زرغونه احمدزی"
	tests := []struct {
		name   string
		sheet  *ManifestSheet
		pages  int
		want   []string // texts that must be shown
		absent []string // byte strings that must not be in the file
	}{
		{
			name: "two cases",
			sheet: sheet(
				ManifestRow{Name: "Abdul Rahman Ahmadzai", Sex: "M", DOB: "1985-03-04", Nationality: "AF", Document: "P01234567", CaseRef: "C-000042"},
				ManifestRow{Name: "Zoë Müller", Sex: "F", DOB: "1987", Nationality: "AF,DE", Document: "C9X8Y7Z6", CaseRef: "C-000042", Boarded: true},
				ManifestRow{Name: "Mirwais Stanekzai", Sex: "M", DOB: "2014-09-01", Nationality: "AF", Document: "T7730119", CaseRef: "C-000043", Minor: true, Unaccompanied: true},
			),
			pages: 1,
			want: []string{"Passenger manifest KBL-DOH-1", "Abdul Rahman Ahmadzai", "Zoë Müller", "Mirwais Stanekzai", "P01234567", "C9X8Y7Z6", "T7730119",
				"AF,DE", "1985-03-04", "Case C-000042: 2 people", "Case C-000043: 1 person", "UNACC. MINOR", "boarded", "Page 1 of 1",
				"Total: 3 people in 2 cases; 3 of 150 seats taken, 147 free.", "Minors: 1, of whom unaccompanied: 1. Boarded: 1."},
		},
		{
			name:   "Arabic script only",
			sheet:  sheet(ManifestRow{Name: arabic, Sex: "F", Document: "P48291735", CaseRef: "C-000007"}),
			pages:  1,
			want:   []string{titleCase(names.ToLatin(arabic)) + " *", "P48291735", "* Registered in Arabic script only: the name is transliterated by muster. Check it against the travel document."},
			absent: []string{arabic, "زرغونه"},
		},
		{
			name:  "long name printed smaller, not cut",
			sheet: sheet(ManifestRow{Name: "Mohammad Abdul Rahman Abdul Karim Ahmadzai Stanekzai Wardak", Document: "P1", CaseRef: "C-000009", Minor: true, Unaccompanied: true, Boarded: true}),
			pages: 1,
			want:  []string{"Mohammad Abdul Rahman Abdul Karim Ahmadzai Stanekzai Wardak", "UNACC. MINOR, boarded"},
		},
		{
			name:  "empty",
			sheet: sheet(),
			pages: 1,
			want:  []string{"Passenger manifest KBL-DOH-1", "Total: 0 people in 0 cases; 0 of 150 seats taken, 150 free."},
		},
	}
	many := sheet(manyRows(150)...)
	manyWant := []string{"Total: 150 people in 50 cases; 150 of 150 seats taken, 0 free."}
	for _, r := range many.Rows {
		manyWant = append(manyWant, r.Name, r.Document)
	}
	tests = append(tests, struct {
		name   string
		sheet  *ManifestSheet
		pages  int
		want   []string
		absent []string
	}{"150 people", many, 6, manyWant, nil})

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := writeManifestPDF(&buf, tc.sheet, false); err != nil {
				t.Fatal(err)
			}
			raw := buf.Bytes()
			if !bytes.HasPrefix(raw, []byte("%PDF-")) {
				t.Fatalf("does not start with %%PDF-: %.20q", raw)
			}
			pages := pdfPages(t, raw)
			if len(pages) != tc.pages {
				t.Errorf("%d pages, want %d", len(pages), tc.pages)
			}
			if n := len(pageObjRE.FindAll(raw, -1)); n != len(pages) {
				t.Errorf("%d page objects, %d content streams", n, len(pages))
			}
			shown := map[string]bool{}
			for _, p := range pages {
				for _, s := range p {
					shown[s] = true
				}
			}
			for _, w := range tc.want {
				if !shown[w] {
					t.Errorf("%q not shown", w)
				}
			}
			for _, a := range tc.absent {
				if bytes.Contains(raw, []byte(a)) {
					t.Errorf("%q in the file", a)
				}
			}
			// Every page is numbered "N of total", and no case is split
			// across pages when it fits on one.
			pageOf := map[string]int{}
			for i, p := range pages {
				if want := fmt.Sprintf("Page %d of %d", i+1, len(pages)); !strings.Contains(strings.Join(p, "\n"), want) {
					t.Errorf("page %d lacks %q", i+1, want)
				}
				for _, s := range p {
					if strings.HasPrefix(s, "C-") {
						if q, ok := pageOf[s]; ok && q != i {
							t.Errorf("case %s split over pages %d and %d", s, q+1, i+1)
						}
						pageOf[s] = i
					}
				}
			}
			// The file as the command writes it (compressed) has the
			// same pages.
			var comp bytes.Buffer
			if err := WriteManifestPDF(&comp, tc.sheet); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(comp.Bytes(), []byte("%PDF-")) || len(pageObjRE.FindAll(comp.Bytes(), -1)) != tc.pages {
				t.Errorf("compressed: %d pages, want %d", len(pageObjRE.FindAll(comp.Bytes(), -1)), tc.pages)
			}
			if comp.Len() >= buf.Len() {
				t.Errorf("compressed %d bytes, uncompressed %d", comp.Len(), buf.Len())
			}
		})
	}
}

// TestManifestPDFGolden: the text of a small manifest, page by page, as
// testdata/manifest_pdf.golden holds it (-update rewrites it).
func TestManifestPDFGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := writeManifestPDF(&buf, sheet(manyRows(9)...), false); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for i, p := range pdfPages(t, buf.Bytes()) {
		fmt.Fprintf(&got, "--- page %d\n%s\n", i+1, strings.Join(p, "\n"))
	}
	golden := filepath.Join("testdata", "manifest_pdf.golden")
	if *update {
		os.WriteFile(golden, []byte(got.String()), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("manifest text differs from %s (-want +got):\n%s", golden, diff)
	}
}

// BenchmarkManifestPDF is the PDF of a full wide-body flight: 300 people.
func BenchmarkManifestPDF(b *testing.B) {
	s := sheet(manyRows(300)...)
	s.Capacity = 300
	for b.Loop() {
		if err := WriteManifestPDF(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

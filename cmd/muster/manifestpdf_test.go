package main

import (
	"bytes"
	"compress/zlib"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pdfText returns the content streams of a PDF written by fpdf,
// inflated: the text the manifest shows is in them as "(...)Tj".
func pdfText(t *testing.T, pdf []byte) []byte {
	t.Helper()
	var out []byte
	for _, m := range regexp.MustCompile(`(?s)/Filter /FlateDecode /Length \d+>>\nstream\n(.*?)\nendstream`).FindAllSubmatch(pdf, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // a font program or an image, not a page
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// TestManifestPDFCommand: 'muster manifest ID --pdf FILE' writes a PDF
// holding every seated person (name, document, case), the flight, the
// totals and numbered pages; it is an export event like CSV and HTML.
func TestManifestPDFCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MUSTER_DB": filepath.Join(dir, "m.db"), "MUSTER_KEY_FILE": filepath.Join(dir, "m.key")}
	must := func(args ...string) string {
		t.Helper()
		code, out, errs := runCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("muster %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	must("import", "testdata/registrations.csv")
	must("stage", "checked_in", "--from", "resolved")
	must("flight", "add", "RCH7", "--capacity", "20", "--departs", "2099-01-01 18:00", "--to", "DOH")
	pdff, csvf := filepath.Join(dir, "m.pdf"), filepath.Join(dir, "m.csv")
	must("manifest", "RCH7", "--pdf", pdff, "--csv", csvf)
	raw, err := os.ReadFile(pdff)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.20q", raw)
	}
	text := pdfText(t, raw)
	f, err := os.Open(csvf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 {
		t.Fatalf("%d people manifested, want 6", len(rows)-1)
	}
	want := []string{"Passenger manifest RCH7", "Page 1 of 1", "Total: 6 people in 3 cases; 6 of 20 seats taken, 14 free.", "AF,US"}
	for _, r := range rows[1:] {
		want = append(want, r[1], r[3]) // case, name
		if r[6] != "" {
			want = append(want, r[6]) // document
		}
	}
	for _, w := range want {
		if !bytes.Contains(text, []byte("("+w+")")) {
			t.Errorf("the PDF does not show %q", w)
		}
	}
	if out := must("audit", "verify"); out == "" {
		t.Error("audit verify said nothing")
	}
}

package intake

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden (and the XLSX fixture)")

// renderResult is the golden form of a Result: counts, one line per record
// with its parsed fields and flags, and the error report.
func renderResult(res *Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "header on line %d; rows %d, records %d, rejected rows %d, flagged %d\n", res.HeaderLine, res.Rows, len(res.Records), res.RejectedRows(), res.Flagged)
	for _, f := range Header {
		if hs, ok := res.Columns[f]; ok && (len(hs) != 1 || hs[0] != f) {
			fmt.Fprintf(&b, "%s read from %q\n", f, hs)
		}
	}
	if len(res.Unmapped) > 0 {
		fmt.Fprintf(&b, "unmapped columns: %q\n", res.Unmapped)
	}
	b.WriteString("\nrecords:\n")
	for _, r := range res.Records {
		flags := r.Flags
		r.Raw, r.Header = nil, nil
		r.Flags = nil
		j, _ := json.Marshal(r)
		fmt.Fprintf(&b, "%s\n", j)
		for _, f := range flags {
			fmt.Fprintf(&b, "\tflag %s\n", f)
		}
	}
	b.WriteString("\nrejected:\n")
	for _, e := range res.Rejected {
		fmt.Fprintf(&b, "%s", e.Error())
		if e.Value != "" {
			fmt.Fprintf(&b, " [value %q]", e.Value)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// TestBrokenCSV reads a file with one row of every broken and odd kind and
// compares the whole outcome, and the rejects CSV for the partner, with
// golden files.
func TestBrokenCSV(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "broken.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(f, "broken.csv", FormatCSV, Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "broken.golden", []byte(renderResult(res)))
	var b bytes.Buffer
	if err := WriteRejects(&b, res.Rejected); err != nil {
		t.Fatal(err)
	}
	golden(t, "broken.rejects.csv.golden", b.Bytes())

	// Every row is either a record or rejected, never both, never neither.
	lines := map[int]int{}
	for _, r := range res.Records {
		lines[r.Line]++
	}
	for _, e := range res.Rejected {
		if lines[e.Line] > 0 && lines[e.Line] < 100 {
			t.Errorf("line %d both imported and rejected", e.Line)
		}
		lines[e.Line] = 100
	}
	if len(lines) != res.Rows {
		t.Errorf("%d distinct lines accounted for, %d rows", len(lines), res.Rows)
	}
}

func TestWriteRejectsReadsBack(t *testing.T) {
	errs := []RowError{
		{File: "f.csv", Line: 3, Column: "sex", Value: "Q", Reason: "not a known sex", Raw: []string{"a", "Q"}, Header: []string{"source_id", "sex"}},
		{File: "f.csv", Line: 9, Reason: "3 fields, but the header has 2", Raw: []string{"x", "y", "z"}, Header: []string{"source_id", "sex"}},
	}
	var b bytes.Buffer
	if err := WriteRejects(&b, errs); err != nil {
		t.Fatal(err)
	}
	want := "line,column,value,reason,source_id,sex\n3,sex,Q,not a known sex,a,Q\n9,,,\"3 fields, but the header has 2\",x,y,z\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if got := errs[0].Error(); got != "f.csv:3: sex: not a known sex" {
		t.Errorf("Error() = %q", got)
	}
	if got := errs[1].Error(); got != "f.csv:9: 3 fields, but the header has 2" {
		t.Errorf("Error() = %q", got)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func runScreenCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code := run(context.Background(), env, args)
	return code, out.String(), errb.String()
}

const screenData = "testdata/screen"

func TestScreenBatch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hits.csv")
	code, stdout, stderr := runScreenCmd(t, "screen",
		"--list", filepath.Join(screenData, "ofac-sdn"), "--list", filepath.Join(screenData, "un-sc.xml"),
		"--input", filepath.Join(screenData, "people.csv"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "screened 6 people against 21 list entries") || !strings.Contains(stderr, "for 3 people") {
		t.Errorf("summary: %s", stderr)
	}
	for _, secret := range []string{"Akhund", "Saifullah", "Qadhafi", "SAIFULLAH"} {
		if strings.Contains(stderr+stdout, secret) {
			t.Errorf("a name reached the terminal: %s", stderr)
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"source_id", "list", "entry_id", "score", "name_matched", "explanation"}, rows[0][:6]); diff != "" {
		t.Errorf("header: %s", diff)
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0]+" "+r[1]+" "+r[2])
		if r[3] < "0.750" || r[5] == "" || r[4] == "" {
			t.Errorf("row %v: score under threshold or no explanation", r)
		}
	}
	sort.Strings(got)
	// P-6 has QDi.289's name but a date of birth 40 years off it: the
	// qualifier takes it under the gate threshold.
	want := []string{"P-1 un-sc TAi.002", "P-3 ofac-sdn 16455", "P-4 ofac-sdn 12610"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hits (-want +got):\n%s", diff)
	}

	// A lower threshold lets P-6 through, with the date disagreement
	// explained.
	code, _, stderr = runScreenCmd(t, "screen", "--list", filepath.Join(screenData, "un-sc.xml"),
		"--input", filepath.Join(screenData, "people.csv"), "--out", out, "--threshold", "0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "P-6,un-sc,QDi.289") || !strings.Contains(string(b), "years from listed") {
		t.Errorf("P-6 at 0.5:\n%s", b)
	}
}

// TestScreenRejectedRows: a row intake cannot read is a person nobody
// screened, and the command says so.
func TestScreenRejectedRows(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hits.csv")
	code, _, stderr := runScreenCmd(t, "screen", "--list", filepath.Join(screenData, "ofac-sdn"),
		"--input", filepath.Join(screenData, "people_bad.csv"), "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "1 rows of") || !strings.Contains(stderr, "line 3") || !strings.Contains(stderr, "screened 1 people") ||
		!strings.Contains(stderr, "1 rows not screened") {
		t.Errorf("stderr:\n%s", stderr)
	}
	b, _ := os.ReadFile(out)
	if !strings.Contains(string(b), "B-1,ofac-sdn,16455") {
		t.Errorf("hits:\n%s", b)
	}
}

func TestScreenName(t *testing.T) {
	code, stdout, stderr := runScreenCmd(t, "screen", "name", "Mohammad Hassan Akhund", "--dob", "1956",
		"--list", filepath.Join(screenData, "un-sc.xml"), "--list", filepath.Join(screenData, "ofac-sdn"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	first := strings.SplitN(stdout, "\n", 2)[0]
	if !strings.Contains(first, "un-sc TAi.002") || !strings.Contains(first, "[hold at gate]") {
		t.Errorf("first line %q", first)
	}
	if !strings.Contains(stdout, "why: ") || !strings.Contains(stdout, "dob 1956 within listed circa 1955 to 1958") {
		t.Errorf("no explanation:\n%s", stdout)
	}
	code, stdout, _ = runScreenCmd(t, "screen", "name", "محمد حسن آخوند", "--top", "1", "--list", filepath.Join(screenData, "un-sc.xml"))
	if code != 0 || !strings.Contains(stdout, "TAi.002") || strings.Count(stdout, "why:") != 1 {
		t.Errorf("Arabic name, top 1: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runScreenCmd(t, "screen", "name", "Farida Sultani", "--list", filepath.Join(screenData, "un-sc.xml"))
	if code != 0 || !strings.HasPrefix(stdout, "no entry scores") {
		t.Errorf("unlisted name: exit %d\n%s", code, stdout)
	}
}

func TestScreenUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"screen", "name", "Abdul Rahman Ahmadzai"}, 2, "--list is required"},
		{[]string{"screen", "--input", "x.csv", "--out", "y.csv"}, 2, "--list, --input and --out are required"},
		{[]string{"screen", "name", "--list", "x"}, 2, "exactly one name"},
		{[]string{"screen", "--list", "testdata/screen/nope", "--input", "testdata/screen/people.csv", "--out", "/dev/null"}, 1, "no such file"},
		{[]string{"screen", "--list", "testdata/screen/people.csv", "--input", "testdata/screen/people.csv", "--out", "/dev/null"}, 1, "not a watchlist format"},
		{[]string{"screen", "--list", "testdata/screen/un-sc.xml", "--input", "testdata/screen/people.csv", "--out", "/dev/null", "--threshold", "2"}, 1, "outside"},
		{[]string{"screen", "--list", "testdata/screen/un-sc.xml", "--list", "testdata/screen/un-sc.xml", "--input", "testdata/screen/people.csv", "--out", "/dev/null"}, 1, "one version of each list"},
	} {
		code, _, stderr := runScreenCmd(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, stderr, tc.code, tc.msg)
		}
	}
}

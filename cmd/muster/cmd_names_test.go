package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster/internal/names"
)

func runNamesCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code = run(context.Background(), env, append([]string{"names"}, args...))
	return code, out.String(), errb.String()
}

func TestNamesPairs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "pairs.csv")
	input := "id,name1,name2,label\n" +
		"1,Mohammad Karimi,Muhammad Karimi,same\n" +
		"2,عبدالرحمن رحیمی,\"RAHIMI, Abdul Rahman\",same\n" +
		"3,Hasan Ahmadzai,Husain Ahmadzai,different\n" +
		"4,Ahmad Shah,Mahmood Shah,different\n"
	if err := os.WriteFile(in, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "scored.csv")
	code, _, stderr := runNamesCmd(t, "pairs", "--input", in, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	score := func(a, b string) string {
		return strconv.FormatFloat(names.Compare(a, b).Score, 'f', 4, 64)
	}
	want := "id,name1,name2,label,score,match\n" +
		"1,Mohammad Karimi,Muhammad Karimi,same," + score("Mohammad Karimi", "Muhammad Karimi") + ",true\n" +
		"2,عبدالرحمن رحیمی,\"RAHIMI, Abdul Rahman\",same," + score("عبدالرحمن رحیمی", "RAHIMI, Abdul Rahman") + ",true\n" +
		"3,Hasan Ahmadzai,Husain Ahmadzai,different," + score("Hasan Ahmadzai", "Husain Ahmadzai") + ",false\n" +
		"4,Ahmad Shah,Mahmood Shah,different," + score("Ahmad Shah", "Mahmood Shah") + ",false\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("scored.csv (-want +got):\n%s", diff)
	}
	if !strings.Contains(stderr, "scored 4 pairs, 2 match") {
		t.Errorf("stderr = %q", stderr)
	}

	// Scoring the output again overwrites score and match instead of
	// adding columns, and - writes to standard output.
	code, stdout, stderr := runNamesCmd(t, "pairs", "--input", out, "--out", "-")
	if code != 0 {
		t.Fatalf("rescore: exit %d: %s", code, stderr)
	}
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("rescored (-want +got):\n%s", diff)
	}
}

func TestNamesPairsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noCols := write("nocols.csv", "a,b\nx,y\n")
	short := write("short.csv", "name1,name2\nAhmad,Ahmed\nKarim\n")
	quote := write("quote.csv", "name1,name2\nAhmad,Ahmed\n\"Karim,Karim\n")
	tests := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"no subcommand", nil, 2, "usage: muster names pairs"},
		{"unknown subcommand", []string{"score"}, 2, "usage: muster names pairs"},
		{"no input", []string{"pairs", "--out", "-"}, 2, "usage"},
		{"missing columns", []string{"pairs", "--input", noCols, "--out", "-"}, 1, noCols + ":1: header has no name1 and name2"},
		{"short row", []string{"pairs", "--input", short, "--out", "-"}, 1, short + ":3: 1 fields, the header has 2"},
		{"bad quote", []string{"pairs", "--input", quote, "--out", "-"}, 1, quote + ":3:"},
		{"missing file", []string{"pairs", "--input", filepath.Join(dir, "nope.csv"), "--out", "-"}, 1, "nope.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runNamesCmd(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantErr)
			}
		})
	}
}

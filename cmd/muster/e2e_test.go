package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"muster"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// runCmd runs muster in-process and returns its exit code, stdout and stderr.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func statusJSON(t *testing.T, env map[string]string, args ...string) store.Status {
	t.Helper()
	code, out, errs := runCmd(t, env, append([]string{"status", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("status: exit %d: %s", code, errs)
	}
	var st store.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, out)
	}
	return st
}

// TestEndToEnd imports registrations, walks people through every stage and
// checks the counts, the audit chain and the purge, on both engines.
func TestEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "muster.key")}
		code, out, errs := runCmd(t, env, "import", "testdata/registrations.csv")
		if code != 0 {
			t.Fatalf("import: exit %d\n%s%s", code, out, errs)
		}
		if !strings.Contains(errs, "created key file") {
			t.Errorf("import did not say it created the key file: %q", errs)
		}
		if !strings.Contains(out, "6 new") {
			t.Errorf("import said %q", out)
		}
		// Again: nothing new.
		if code, out, _ := runCmd(t, env, "import", "testdata/registrations.csv"); code != 0 || !strings.Contains(out, "6 unchanged") {
			t.Errorf("re-import: exit %d: %s", code, out)
		}
		st := statusJSON(t, env)
		if st.Totals.Registered != 6 || st.Totals.StillLeft != 6 || st.Counts[muster.CategorySIVApplicant][muster.StageResolved] != 3 {
			t.Fatalf("status after import: %+v %v", st.Totals, st.Counts)
		}
		// Import resolved them; the Rahimi family moves through every later
		// stage together.
		for _, stage := range []string{"screened", "approved", "called", "checked_in", "manifested", "departed"} {
			if code, out, errs := runCmd(t, env, "stage", stage, "--case", "C-000001", "--actor", "coordinator"); code != 0 || !strings.Contains(out, "3 people moved") {
				t.Fatalf("stage %s: exit %d: %s%s", stage, code, out, errs)
			}
		}
		if code, _, _ := runCmd(t, env, "stage", "arrived", "--person", "1"); code != 0 {
			t.Fatal("stage arrived failed")
		}
		if code, _, _ := runCmd(t, env, "stage", "withdrawn", "--case", "C-000003", "--reason", "left by road"); code != 0 {
			t.Fatal("stage withdrawn failed")
		}
		st = statusJSON(t, env)
		want := store.Totals{Registered: 6, Out: 3, StillLeft: 2, Withdrawn: 1}
		if st.Totals != want {
			t.Errorf("totals = %+v, want %+v", st.Totals, want)
		}
		if st.Counts[muster.CategorySIVApplicant][muster.StageDeparted] != 2 || st.Counts[muster.CategorySIVApplicant][muster.StageArrived] != 1 {
			t.Errorf("SIV counts = %v", st.Counts[muster.CategorySIVApplicant])
		}
		if st.Throughput[23] != 3 {
			t.Errorf("throughput = %v", st.Throughput)
		}
		// Partner scope counts only its own.
		if ps := statusJSON(t, env, "--partner", "consular"); ps.Totals.Registered != 1 {
			t.Errorf("consular sees %d people", ps.Totals.Registered)
		}
		code, out, _ = runCmd(t, env, "status")
		if code != 0 || !strings.Contains(out, "out 3") || !strings.Contains(out, "still left 2") {
			t.Errorf("status text: %s", out)
		}
		code, out, errs = runCmd(t, env, "audit", "verify")
		if code != 0 || !strings.Contains(out, "whole") {
			t.Errorf("audit verify: exit %d: %s%s", code, out, errs)
		}
		// Purge: without confirmation nothing happens; with it, nothing opens.
		if code, _, _ := runCmd(t, env, "purge"); code == 0 {
			t.Error("purge without --yes-destroy-all-data succeeded")
		}
		if code, _, errs := runCmd(t, env, "purge", "--yes-destroy-all-data"); code != 0 {
			t.Fatalf("purge: %s", errs)
		}
		if _, err := os.Stat(env["MUSTER_KEY_FILE"]); !os.IsNotExist(err) {
			t.Errorf("key file survived the purge: %v", err)
		}
		code, _, errs = runCmd(t, env, "status")
		if code == 0 || !strings.Contains(errs, "key") && !strings.Contains(errs, "purged") {
			t.Errorf("status after purge: exit %d: %s", code, errs)
		}
	})
}

// TestImportBrokenFileWritesNothing checks the all-or-nothing rule and the
// report naming line, column and reason.
func TestImportBrokenFileWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
		code, _, errs := runCmd(t, env, "import", "testdata/broken.csv")
		if code == 0 {
			t.Fatal("import of a broken file succeeded")
		}
		for _, want := range []string{"broken.csv:3: source_id", "broken.csv:4: sex", "broken.csv:5: category", "broken.csv:6"} {
			if !strings.Contains(errs, want) {
				t.Errorf("report lacks %q:\n%s", want, errs)
			}
		}
		if st := statusJSON(t, env); st.Totals.Registered != 0 {
			t.Errorf("a failed import wrote %d people", st.Totals.Registered)
		}
		// --skip-bad-rows imports the good one and writes the others back.
		rejects := filepath.Join(t.TempDir(), "rejects.csv")
		code, out, errs := runCmd(t, env, "import", "testdata/broken.csv", "--skip-bad-rows", "--rejects", rejects)
		if code != 0 || !strings.Contains(out, "1 new") {
			t.Fatalf("--skip-bad-rows: exit %d: %s%s", code, out, errs)
		}
		b, err := os.ReadFile(rejects)
		if err != nil || strings.Count(string(b), "\n") < 5 {
			t.Errorf("rejects file: %v\n%s", err, b)
		}
		// --dry-run validates only.
		if code, out, _ := runCmd(t, env, "import", "testdata/registrations.csv", "--dry-run"); code != 0 || !strings.Contains(out, "dry run") {
			t.Errorf("dry run: %d %s", code, out)
		}
		if st := statusJSON(t, env); st.Totals.Registered != 1 {
			t.Errorf("after dry run: %d people", st.Totals.Registered)
		}
	})
}

// TestOperationCategories: an operation configures its own categories and
// import validates rows against them.
func TestOperationCategories(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
	code, out, errs := runCmd(t, env, "operation", "--name", "Op Allies Refuge", "--categories", "citizen,siv_applicant,local_staff")
	if code != 0 || !strings.Contains(out, "Op Allies Refuge") || !strings.Contains(out, "citizen, siv_applicant, local_staff") {
		t.Fatalf("operation: exit %d: %s%s", code, out, errs)
	}
	if code, _, _ := runCmd(t, env, "operation", "--categories", "Bad Category"); code == 0 {
		t.Error("a category with spaces was accepted")
	}
	// registrations.csv uses dual_national, which this operation does not have.
	code, _, errs = runCmd(t, env, "import", "testdata/registrations.csv")
	if code == 0 || !strings.Contains(errs, "registrations.csv:5: category") {
		t.Errorf("import against the operation's categories: exit %d\n%s", code, errs)
	}
	if st := statusJSON(t, env); st.Totals.Registered != 0 || len(st.Categories) != 3 {
		t.Errorf("after the refused import: %+v, categories %v", st.Totals, st.Categories)
	}
}

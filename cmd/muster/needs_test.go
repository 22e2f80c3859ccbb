package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"muster/internal/store/storetest"
)

// TestPlanNeedsSealedAndRanked: a needs column moves its case ahead of an
// earlier registration of the same category, and the needs are nowhere in
// clear: not in the database files, not on stderr.
func TestPlanNeedsSealedAndRanked(t *testing.T) {
	dir := t.TempDir()
	dsn := storetest.DSN(t, "sqlite")
	env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(dir, "k")}
	csvPath := filepath.Join(dir, "needs.csv")
	// Case F1 registers first; F2's principal declares needs.
	if err := os.WriteFile(csvPath, []byte("source,source_id,case_ref,relationship,given_name,family_name,date_of_birth,category,needs\n"+
		"ngo-a,1,F1,principal,Omar,Sadiqi,1990-01-01,other_at_risk,\n"+
		"ngo-a,2,F2,principal,Laila,Hotaki,1992-05-05,other_at_risk,Pregnant; Wheelchair\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	for _, args := range [][]string{
		{"import", csvPath},
		{"stage", "approved", "--from", "resolved"},
		{"gates", "add", "Abbey", "--capacity", "1", "--window", "30m", "--open", "00:00-24:00"},
		{"plan"},
	} {
		code, out, errs := runCmd(t, env, args...)
		if code != 0 {
			t.Fatalf("muster %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		stderr.WriteString(errs)
		if args[0] == "plan" {
			// One person a window: the case with needs goes first.
			refs := regexp.MustCompile(`(?m)^(C-\d+)\s+Abbey\s+(\S+ \S+)`).FindAllStringSubmatch(out, -1)
			if len(refs) != 2 || refs[0][1] != "C-000002" || refs[0][2] >= refs[1][2] {
				t.Errorf("plan order %v, want C-000002 in the first window:\n%s", refs, out)
			}
		}
	}
	var raw []byte
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(dsn + suffix)
		raw = append(raw, b...)
	}
	for _, w := range []string{"Pregnant", "pregnant", "Wheelchair", "wheelchair", "disability"} {
		if bytes.Contains(raw, []byte(w)) {
			t.Errorf("the raw database holds %q in clear", w)
		}
		if strings.Contains(stderr.String(), w) {
			t.Errorf("stderr shows %q", w)
		}
	}
}

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"muster/internal/store/storetest"
)

// TestImportMessyXLSXSameOnBothEngines imports the intake's messy partner
// workbook (title rows, other headers, Solar Hijri dates, Dari, bad rows)
// with its mapping into SQLite and into PostgreSQL and requires the same
// people, the same counts and the same rejects from both.
func TestImportMessyXLSXSameOnBothEngines(t *testing.T) {
	engines := storetest.Engines()
	if len(engines) < 2 {
		t.Skip("needs both engines")
	}
	const xlsx, mapping = "../../internal/intake/testdata/messy.xlsx", "../../internal/intake/testdata/messy.map"
	type outcome struct{ importOut, importErr, people, status string }
	var got []outcome
	for _, engine := range engines {
		dsn := storetest.DSN(t, engine)
		env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
		// Without --skip-bad-rows the bad rows stop the whole file.
		if code, _, errs := runCmd(t, env, "import", xlsx, "--mapping", mapping); code == 0 || !strings.Contains(errs, "messy.xlsx:9: sex") {
			t.Fatalf("%s: import of a workbook with bad rows: exit %d\n%s", engine, code, errs)
		}
		rejects := filepath.Join(t.TempDir(), "rejects.csv")
		code, out, errs := runCmd(t, env, "import", xlsx, "--mapping", mapping, "--skip-bad-rows", "--rejects", rejects)
		if code != 0 {
			t.Fatalf("%s: import: exit %d\n%s%s", engine, code, out, errs)
		}
		_, people, _ := runCmd(t, env, "export", "--people")
		_, st, _ := runCmd(t, env, "status", "--json")
		var m map[string]any
		if err := json.Unmarshal([]byte(st), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "at")
		norm, _ := json.Marshal(m)
		// The timing in the import line differs between runs.
		out = out[:strings.LastIndex(out, "(")]
		// Keep the per-row report; other lines name temporary paths.
		var report []string
		for _, l := range strings.Split(errs, "\n") {
			if rest, ok := strings.CutPrefix(l, xlsx+":"); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
				report = append(report, l)
			}
		}
		got = append(got, outcome{out, strings.Join(report, "\n"), people, string(norm)})
	}
	if !strings.Contains(got[0].people, "RAHIMI, Abdul Rahman") || strings.Count(got[0].people, "\n") != 6 {
		t.Errorf("people from the workbook:\n%s", got[0].people)
	}
	if got[0] != got[1] {
		t.Errorf("%s and %s differ:\n%+v\n%+v", engines[0], engines[1], got[0], got[1])
	}
}

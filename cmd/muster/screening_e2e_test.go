package main

import (
	"path/filepath"
	"strings"
	"testing"

	"muster/internal/store/storetest"
)

// TestScreeningOnImportAndListLoad loads a real UN list extract, imports
// registrations and checks that the listed man is held for a screener and
// nobody else is.
func TestScreeningOnImportAndListLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
		code, out, errs := runCmd(t, env, "import", "testdata/screening.csv")
		if code != 0 || !strings.Contains(errs, "no watchlists loaded") {
			t.Fatalf("import before lists: exit %d: %s%s", code, out, errs)
		}
		code, out, errs = runCmd(t, env, "lists", "load", "../../internal/lists/testdata/un-sc-2026-02-27-extract.xml")
		if code != 0 || !strings.Contains(out, "added") || !strings.Contains(out, "1 new hits") {
			t.Fatalf("lists load: exit %d: %s%s", code, out, errs)
		}
		st := statusJSON(t, env)
		if st.Screening.Screened != 2 || st.Screening.PeoplePending != 1 {
			t.Errorf("screening counts %+v", st.Screening)
		}
		// Loading the same version again changes nothing and re-screens nobody.
		code, out, _ = runCmd(t, env, "lists", "load", "../../internal/lists/testdata/un-sc-2026-02-27-extract.xml")
		if code != 0 || !strings.Contains(out, "0 added, 0 changed, 0 removed") || !strings.Contains(out, "re-screened 0 people") {
			t.Errorf("second load: %s", out)
		}
	})
}

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"muster"
	"muster/internal/store"
	"muster/internal/store/storetest"
	"muster/internal/vault"
)

func TestExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
		if code, _, errs := runCmd(t, env, "import", "testdata/registrations.csv"); code != 0 {
			t.Fatal(errs)
		}
		code, out, errs := runCmd(t, env, "export", "--hxl")
		if code != 0 {
			t.Fatalf("export --hxl: %s", errs)
		}
		want := "Operation,Category,Stage,People\n#meta+operation,#population+type,#status+stage,#affected+num\n" +
			"muster operation,citizen,resolved,<5\nmuster operation,dual_national,resolved,<5\nmuster operation,siv_applicant,resolved,<5\n" +
			"muster operation,all,registered,6\nmuster operation,all,out,0\nmuster operation,all,still_left,6\n"
		if out != want {
			t.Errorf("hxl:\n%s\nwant:\n%s", out, want)
		}
		if strings.Contains(out, "Rahimi") {
			t.Error("aggregate export holds a name")
		}
		code, out, _ = runCmd(t, env, "export", "--people", "--partner", "consular")
		if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "Smith") || strings.Contains(out, "Rahimi") {
			t.Errorf("people export for consular:\n%s", out)
		}
		code, out, _ = runCmd(t, env, "export")
		if code == 0 {
			t.Error("export with neither --hxl nor --people succeeded")
		}
		kek, _, err := vault.LoadOrCreateKEK(env["MUSTER_KEY_FILE"])
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.Open(context.Background(), dsn, store.Options{KEK: kek})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := s.Events(context.Background(), store.EventFilter{Type: muster.EventExport})
		s.Close()
		if err != nil || len(evs) != 2 || !strings.Contains(string(evs[1].Data), `"kind":"people"`) {
			t.Errorf("export events: %+v %v", evs, err)
		}
		code, out, _ = runCmd(t, env, "audit", "verify")
		if code != 0 {
			t.Errorf("audit after exports: %s", out)
		}
	})
}

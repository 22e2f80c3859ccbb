package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"muster/internal/store"
	"muster/internal/store/storetest"
)

// personalValues returns every personal value in a registration CSV:
// names, dates, documents, phones, emails, native-script names.
func personalValues(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	personal := map[string]bool{"given_name": true, "family_name": true, "father_name": true, "full_name": true, "native_name": true,
		"date_of_birth": true, "passport_no": true, "national_id": true, "phone": true, "email": true}
	var out []string
	for _, row := range rows[1:] {
		for i, v := range row {
			if personal[rows[0][i]] && len(v) >= 4 {
				out = append(out, v)
			}
		}
	}
	return out
}

// TestNoPersonalDataAtRest runs a whole import, resolution, screening and
// stage walk, then reads the raw database (the SQLite files, or a
// pg_dump of the PostgreSQL database) and requires that none of the
// personal values imported appears in it.
func TestNoPersonalDataAtRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
		for _, args := range [][]string{
			{"import", "testdata/registrations.csv"},
			{"lists", "load", "../../internal/lists/testdata/un-sc-2026-02-27-extract.xml"},
			{"import", "testdata/screening.csv"},
			{"stage", "approved", "--case", "C-000001"},
			{"export", "--hxl"},
		} {
			if code, out, errs := runCmd(t, env, args...); code != 0 {
				t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
			}
		}
		var raw []byte
		if store.IsPostgres(dsn) {
			if _, err := exec.LookPath("pg_dump"); err != nil {
				t.Skip("pg_dump not installed")
			}
			out, err := exec.Command("pg_dump", "--no-owner", dsn).Output()
			if err != nil {
				t.Fatalf("pg_dump: %v", err)
			}
			raw = out
		} else {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				b, _ := os.ReadFile(dsn + suffix)
				raw = append(raw, b...)
			}
		}
		// The watchlist is public and stored in clear: a registrant's name
		// that is also on it proves nothing either way.
		public, err := os.ReadFile("../../internal/lists/testdata/un-sc-2026-02-27-extract.xml")
		if err != nil {
			t.Fatal(err)
		}
		values := append(personalValues(t, "testdata/registrations.csv"), personalValues(t, "testdata/screening.csv")...)
		checked := 0
		for _, v := range values {
			// Each word of a multi-word value too, and phones without spaces.
			for _, w := range append(strings.Fields(v), v, strings.ReplaceAll(v, " ", "")) {
				if !distinctive(w) || bytes.Contains(public, []byte(w)) {
					continue
				}
				checked++
				if bytes.Contains(raw, []byte(w)) {
					t.Errorf("the raw database holds %q in clear", w)
				}
			}
		}
		if checked < 50 {
			t.Errorf("only %d values checked", checked)
		}
	})
}

// distinctive reports whether finding w in a database dump would mean a
// leak rather than chance: words of four letters or more, numbers of eight
// digits or more (a year or a 4-digit fragment turns up in any binary file).
func distinctive(w string) bool {
	letters, digits := 0, 0
	for _, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsLetter(r):
			letters++
		}
	}
	return letters >= 4 || digits >= 8
}

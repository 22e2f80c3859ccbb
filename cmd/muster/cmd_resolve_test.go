package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A small registration file: one family registered by two sources (the
// webform without a case number), a man registered by three sources with
// three spellings (one in Arabic script), and two namesakes with different
// passports.
const resolveCSV = `source,source_id,case_ref,relationship,given_name,family_name,father_name,full_name,native_name,sex,date_of_birth,place_of_birth,nationalities,passport_no,national_id,phone,email,category
ngo-b,1,B-17,principal,Nasir,Hakimi,Ghulam Sakhi,,,M,1975-05-02,Kabul,AF,,,+93799000111,,siv_applicant
ngo-b,2,B-17,spouse,Laila,Hakimi,Abdul Wahab,,,F,1979-09-12,Kabul,AF,,,+93799000111,,siv_applicant
ngo-b,3,B-17,child,Jawad,Hakimi,Nasir,,,M,2001-03-04,Kabul,AF,,,+93799000111,,siv_applicant
ngo-b,4,B-17,child,Khalid,Hakimi,Nasir,,,M,2004-06-08,Kabul,AF,,,+93799000111,,siv_applicant
ngo-b,5,B-17,child,Maryam,Hakimi,Nasir,,,F,2007-10-11,Kabul,AF,,,+93799000111,,siv_applicant
webform,x1,,principal,Naser,Hakeemi,Ghulam Sakhi,,,M,1975-05-02,Kabul,AF,,,+93799000111,,siv_applicant
webform,x2,,spouse,Layla,Hakeemi,Abdul Wahab,,,F,1979-09-12,Kabul,AF,,,,,siv_applicant
webform,x3,,child,Javad,Hakeemi,Naser,,,M,2001-03-04,Kabul,AF,,,,,siv_applicant
webform,x4,,child,Khaled,Hakeemi,Naser,,,M,2004-06-08,Kabul,AF,,,,,siv_applicant
webform,x5,,child,Mariam,Hakeemi,Naser,,,F,2007-10-11,Kabul,AF,,,,,siv_applicant
webform,w1,,principal,Mohammad Karim,Rahimi,Abdul Rahim,,,M,1984-03-07,Herat,AF,P4411235,,+93700111222,,siv_applicant
ngo-a,a7,A-3,principal,Muhammad Kareem,Rahimy,Abdulrahim,,,M,1984-03-07,Herat,AF,,,+93700111222,,siv_applicant
consular,c3,C-9,principal,,,عبدالرحیم,,محمد کریم رحیمی,M,1984,Herat,AF,P4411235,,,,siv_applicant
webform,p1,,principal,Ahmad,Wardak,Zahir,,,M,1990-06-15,Ghazni,AF,P1234567,,,,other_at_risk
ngo-a,p2,A-4,principal,Ahmad,Wardak,Zahir,,,M,1990-06-15,Ghazni,AF,R7654321,,,,other_at_risk
ngo-a,q1,A-5,principal,Farid,Azizi,Habib,,,M,1969-01-20,Kunduz,AF,,,+93700555666,,other_at_risk
ngo-a,q2,A-6,principal,Roya,Samadi,Karim,,,F,1992-08-30,Bamyan,AF,,,+93700777888,,other_at_risk
`

func TestResolveRegistrations(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "reg.csv"), filepath.Join(dir, "clusters.csv")
	if err := os.WriteFile(in, []byte(resolveCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
	if code := run(context.Background(), env, []string{"resolve", "--input", in, "--out", out}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "records 17,") {
		t.Errorf("stderr lacks the counts: %s", stderr.String())
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
	if got := strings.Join(rows[0], ","); got != "source,source_id,cluster_id" {
		t.Fatalf("header %q", got)
	}
	if len(rows) != 18 {
		t.Fatalf("%d rows, want 17 and a header", len(rows)-1)
	}
	cluster := map[string]string{}
	for _, r := range rows[1:] {
		cluster[r[0]+"/"+r[1]] = r[2]
	}
	same := [][]string{
		{"ngo-b/1", "webform/x1"}, {"ngo-b/2", "webform/x2"}, {"ngo-b/3", "webform/x3"},
		{"ngo-b/4", "webform/x4"}, {"ngo-b/5", "webform/x5"},
		{"webform/w1", "ngo-a/a7", "consular/c3"},
	}
	for _, g := range same {
		for _, k := range g[1:] {
			if cluster[k] != cluster[g[0]] {
				t.Errorf("%s and %s not merged", g[0], k)
			}
		}
	}
	apart := [][2]string{
		{"webform/x3", "webform/x4"}, {"webform/x4", "webform/x5"}, {"webform/x3", "webform/x5"},
		{"webform/x1", "webform/x3"}, {"webform/p1", "ngo-a/p2"}, {"ngo-a/q1", "ngo-a/q2"},
	}
	for _, p := range apart {
		if cluster[p[0]] == cluster[p[1]] {
			t.Errorf("%s and %s merged", p[0], p[1])
		}
	}
}

func TestResolveUsage(t *testing.T) {
	var stderr bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
	for _, args := range [][]string{
		{"resolve"},
		{"resolve", "--febrl", "a.csv"},
		{"resolve", "--febrl", "a.csv", "--splink", "b.csv", "--out", "x.csv"},
	} {
		if code := run(context.Background(), env, args); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

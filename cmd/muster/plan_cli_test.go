package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"muster"
	"muster/internal/store/storetest"
)

// TestPlanPassManifestCommands drives the coordinator's commands from
// gate administration to arrival reconciliation.
func TestPlanPassManifestCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		dir := t.TempDir()
		env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(dir, "muster.key")}
		must := func(want string, args ...string) string {
			t.Helper()
			code, out, errs := runCmd(t, env, args...)
			if code != 0 {
				t.Fatalf("muster %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
			}
			if !strings.Contains(out, want) {
				t.Errorf("muster %s said %q, want %q", strings.Join(args, " "), out, want)
			}
			return out
		}
		must("", "import", "testdata/registrations.csv")
		must("6 people moved", "stage", "approved", "--from", "resolved")
		must("gate Abbey: 4 people per 30m0s", "gates", "add", "Abbey", "--capacity", "4", "--window", "30m", "--open", "00:00-24:00")
		must("gate North", "gates", "add", "North", "--capacity", "2", "--window", "1h", "--open", "06:00-18:00")
		if code, _, errs := runCmd(t, env, "gates", "add", "Bad", "--open", "18:00-06:00"); code == 0 || !strings.Contains(errs, "HH:MM") {
			t.Errorf("bad hours accepted: %d %s", code, errs)
		}
		must("North", "gates", "list")
		notices := filepath.Join(dir, "notices.csv")
		out := must("called 3 case(s)", "plan", "--notices", notices, "--lang", "prs")
		if !strings.Contains(out, "priorities: citizen=") {
			t.Errorf("plan did not say the priorities it used:\n%s", out)
		}
		if n, _ := os.ReadFile(notices); !strings.Contains(string(n), "C-000001") || !strings.Contains(string(n), "دروازه") {
			t.Errorf("notices:\n%s", n)
		}
		passID := regexp.MustCompile(`C-000001\s+\S+\s+.*\s([0-9a-f]{16})\n`).FindStringSubmatch(out)
		if passID == nil {
			t.Fatalf("no pass id for C-000001 in:\n%s", out)
		}
		png, svg, html := filepath.Join(dir, "p.png"), filepath.Join(dir, "p.svg"), filepath.Join(dir, "p.html")
		out = must("pass "+passID[1], "pass", "C-000001", "--png", png, "--svg", svg, "--html", html, "--text")
		if !strings.Contains(out, "\nMP1:") {
			t.Errorf("--text printed no pass payload:\n%s", out)
		}
		if b, _ := os.ReadFile(png); len(b) < 8 || string(b[1:4]) != "PNG" {
			t.Error("not a PNG")
		}
		if b, _ := os.ReadFile(html); !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "C-000001") {
			t.Error("pass page lacks its QR code or case")
		}
		must("revoked", "revoke", passID[1])
		if code, _, _ := runCmd(t, env, "revoke", "nonsense"); code == 0 {
			t.Error("revoke of a bad id succeeded")
		}
		must("", "operation", "--weights", "citizen=7", "--vulnerability-weight", "3")
		if out := must("called 1 case(s)", "plan"); !strings.Contains(out, "citizen=7") || !strings.Contains(out, "3 per vulnerability point") {
			t.Errorf("plan after new weights said:\n%s", out)
		}
		tok := strings.TrimSpace(must("mgt_", "gates", "token", "Abbey"))
		if len(tok) < 40 {
			t.Errorf("token %q", tok)
		}
		must("revoked 1 token(s)", "gates", "revoke-tokens", "Abbey")
		if out := must("wrote", "gates", "bundle", "Abbey", "--out", filepath.Join(dir, "abbey.bundle")); !strings.Contains(out, "mgb_") {
			t.Errorf("gates bundle printed no key:\n%s", out)
		}
		must("gate North closed", "gates", "close", "North")
		must("", "plan")

		// Everyone through the gates (the gate device is tested elsewhere).
		must("6 people moved", "stage", "checked_in", "--from", "called")
		must("flight RCH1: 4 seats", "flight", "add", "RCH1", "--capacity", "4", "--departs", "2099-01-01 18:00", "--to", "DOH")
		csvf, htmlf := filepath.Join(dir, "m.csv"), filepath.Join(dir, "m.html")
		out = must("seats taken", "manifest", "RCH1", "--csv", csvf, "--html", htmlf)
		if !strings.Contains(out, "waiting:") {
			t.Errorf("6 people for 4 seats and nobody waiting:\n%s", out)
		}
		m, _ := os.ReadFile(csvf)
		rows := strings.Split(strings.TrimSpace(string(m)), "\n")
		if len(rows) < 2 || len(rows) > 5 || rows[0] != strings.Join(ManifestHeader, ",") {
			t.Errorf("manifest CSV:\n%s", m)
		}
		if h, _ := os.ReadFile(htmlf); !strings.Contains(string(h), "Passenger manifest RCH1") {
			t.Error("HTML manifest")
		}
		st := statusJSON(t, env)
		seated := len(rows) - 1
		if st.ByStage[muster.StageManifested] != seated {
			t.Errorf("manifested %d, seats %d", st.ByStage[muster.StageManifested], seated)
		}
		// Board the first by id and the rest by passport scan where they have one.
		ids := regexp.MustCompile(`(?m)^\d+,C-\d+,(\d+),`).FindAllStringSubmatch(string(m), -1)
		must("boarded 1", "board", "RCH1", "--person", ids[0][1])
		for _, line := range rows[2:] {
			f := strings.Split(line, ",")
			must("boarded 1", "board", "RCH1", "--person", f[2])
		}
		if code, _, errs := runCmd(t, env, "board", "RCH1", "--person", "999"); code == 0 || !strings.Contains(errs, "not on the manifest") {
			t.Errorf("boarding a stranger: %d %s", code, errs)
		}
		must("departed with "+strconv.Itoa(seated), "depart", "RCH1")
		list := filepath.Join(dir, "arrivals.csv")
		var b strings.Builder
		b.WriteString("person_id,name\n")
		for _, id := range ids[1:] {
			b.WriteString(id[1] + ",x\n")
		}
		b.WriteString("777,stowaway\n")
		os.WriteFile(list, []byte(b.String()), 0o600)
		code, out, errs := runCmd(t, env, "arrive", "RCH1", "--list", list)
		if code != 3 || !strings.Contains(out, strconv.Itoa(seated-1)+" arrived, 1 missing, 1 extra") {
			t.Errorf("arrive: exit %d\n%s%s", code, out, errs)
		}
		st = statusJSON(t, env)
		if st.ByStage[muster.StageArrived] != seated-1 || st.ByStage[muster.StageDeparted] != 1 {
			t.Errorf("stages after arrival %v", st.ByStage)
		}
		must("", "audit", "verify")
	})
}

// FuzzManifestArrivalList: any arrival list reads without a panic, and
// every line read names someone (a positive person id, a document or a
// name), or the file is refused.
func FuzzManifestArrivalList(f *testing.F) {
	for _, seed := range []string{"person_id,name\n1,x\n", "document\nP123\n", "passport,person_id\n,\n", "\ufeffPERSON_ID\n12\n", "x\n1\n", "person_id\nabc\n", "\"a\nb"} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		path := filepath.Join(dir, "arrivals.csv")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		lines, err := readArrivals(path)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Line < 2 || l.PersonID < 0 || (l.PersonID == 0 && l.Document == "" && l.Name == "") {
				t.Errorf("line %+v", l)
			}
		}
	})
}

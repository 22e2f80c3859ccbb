package gate_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"muster"
	"muster/internal/gate"
	"muster/internal/pass"
	"muster/internal/store"
	"muster/internal/vault"
)

// sealRecords are people with names and documents distinctive enough that
// finding one in a file cannot be chance.
var sealRecords = []muster.Record{
	{SourceID: "1", CaseRef: "a", Given: "Zarghona", Family: "Ahmadzai", NativeName: "زرغونه احمدزی", Sex: muster.SexFemale,
		DOB: muster.Date{Year: 1987, Month: 3, Day: 4}, Passport: "P48291735", Relationship: "head"},
	{SourceID: "2", CaseRef: "a", Given: "Mirwais", Family: "Ahmadzai", Sex: muster.SexMale,
		DOB: muster.Date{Year: 2014, Month: 9, Day: 1}, Passport: "P48291736", Relationship: "child"},
	{SourceID: "3", CaseRef: "b", Given: "Habibullah", Family: "Stanekzai", FullName: "Habibullah Stanekzai", Sex: muster.SexMale,
		DOB: muster.Date{Year: 1979}, NationalID: "T7730119284", Relationship: "head"},
	{SourceID: "4", CaseRef: "b", Given: "Freshta", Family: "Stanekzai", Sex: muster.SexFemale,
		DOB: muster.Date{Year: 1983}, Passport: "R55017342", Relationship: "spouse"},
	{SourceID: "5", CaseRef: "c", Given: "Qudratullah", Family: "Wardak", Sex: muster.SexMale, Passport: "K90311877"},
}

// secretsOf lists every personal value of the people and passes of a
// snapshot, as text and as the bytes a careless encoding would store.
func secretsOf(snap *store.GateSnapshot, recs []muster.Record) map[string][]byte {
	out := map[string][]byte{}
	add := func(what, v string) {
		if v != "" {
			out[what+" "+v] = []byte(v)
		}
	}
	for _, r := range recs {
		for _, v := range []string{r.Given, r.Family, r.FullName, r.NativeName, r.Given + " " + r.Family, r.Passport, r.NationalID} {
			add("person", v)
		}
	}
	for _, p := range snap.Passes {
		add("case", p.CaseRef)
		add("case", fmt.Sprintf(`"case_id":%d`, p.CaseID))
		for _, per := range p.People {
			add("summary", per.Summary)
			if h, _ := hex.DecodeString(per.Hash); h != nil && per.Hash != strings.Repeat("0", len(per.Hash)) {
				add("document hash", per.Hash)
				out["document hash (raw) "+per.Hash] = h
			}
		}
	}
	// With the document key a finder could test guessed numbers against
	// the hashes.
	out["document key (raw)"] = snap.Bundle.DocKey
	add("document key", pass.MarshalDocKey(snap.Bundle.DocKey))
	return out
}

// grepFile returns the secrets found in a file's raw bytes.
func grepFile(t *testing.T, path string, secrets map[string][]byte) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for what, v := range secrets {
		if bytes.Contains(raw, v) {
			found = append(found, what)
		}
	}
	return found
}

// TestGateOfflineReplicaSealed runs a gate through a sync, check-ins
// online and offline, then greps the raw replica and its write-ahead log
// for every name, document number, summary, case number, document hash
// and the document key: none may be there. The pass ids, which name
// nobody, must be (so the grep is known to read what the gate wrote).
func TestGateOfflineReplicaSealed(t *testing.T) {
	recs := append([]muster.Record(nil), sealRecords...)
	for i := range recs {
		recs[i].Source = "ngo"
	}
	e := setupWith(t, recs)
	ctx := context.Background()
	snaps := map[string]*store.GateSnapshot{}
	for _, name := range []string{"Abbey", "North"} {
		snap, err := e.s.GateSnapshot(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		snaps[name] = snap
	}
	cf := e.call(t, 0)
	snap := snaps[cf.Gate]
	if len(snap.Passes) < 2 {
		t.Fatalf("gate %s holds %d passes, want 2 or more", cf.Gate, len(snap.Passes))
	}
	secrets := secretsOf(snap, recs)

	db := filepath.Join(t.TempDir(), "gate.db")
	tok, err := e.s.NewGateToken(ctx, "coord", cf.Gate)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.Open(ctx, gate.Config{Server: e.srv.URL, Gate: cf.Gate, Token: tok, DB: db, Now: e.c.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Online: the first person of the first case, by pass and passport.
	e.c.Set(cf.Start.Add(time.Minute))
	if r := g.Scan(ctx, cf.Token); !r.OK {
		t.Fatalf("pass: %+v", r)
	}
	if r := g.Scan(ctx, strings.Join(TD3("P48291735", "AHMADZAI", "ZARGHONA"), "\n")); !r.OK || r.Admitted != 0 {
		t.Fatalf("online passport: %+v", r)
	}
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	// Offline: the rest, by passport and by case number typed.
	e.srv.Close()
	if r := g.Scan(ctx, strings.Join(TD3("P48291736", "AHMADZAI", "MIRWAIS"), "\n")); !r.OK {
		t.Fatalf("offline passport: %+v", r)
	}
	offline := 1
	for _, p := range snap.Passes {
		if p.CaseID == cf.CaseID {
			continue
		}
		e.c.Set(p.Start.Add(time.Minute))
		if r := g.Scan(ctx, p.CaseRef); !r.OK {
			t.Fatalf("offline case %s: %+v", p.CaseRef, r)
		}
		for _, rec := range recs {
			doc := rec.Passport + rec.NationalID
			if r := g.Scan(ctx, doc); r.OK && r.Admitted >= 0 {
				offline++
			}
		}
	}
	if err := g.Sync(ctx); err == nil {
		t.Fatal("sync succeeded with the server gone")
	}
	c, err := g.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pending != offline || offline < 2 {
		t.Fatalf("counts %+v, want %d pending", c, offline)
	}

	passIDs := map[string][]byte{}
	for _, p := range snap.Passes {
		passIDs[p.PassID] = []byte(p.PassID)
	}
	check := func(files ...string) {
		t.Helper()
		for _, f := range files {
			if found := grepFile(t, f, secrets); len(found) > 0 {
				t.Errorf("%s holds in clear: %s", filepath.Base(f), strings.Join(found, "; "))
			}
		}
		var all []byte
		for _, f := range files {
			b, _ := os.ReadFile(f)
			all = append(all, b...)
		}
		for id := range passIDs {
			if !bytes.Contains(all, []byte(id)) {
				t.Errorf("pass id %s not found in %v: the grep does not read what the gate wrote", id, files)
			}
		}
	}
	// Running: the recent writes are in the write-ahead log.
	check(db, db+"-wal")
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed: checkpointed into the main file.
	check(db)

	// The key file beside the replica opens it; another does not.
	other := filepath.Join(t.TempDir(), "other.key")
	if _, err := gate.Open(ctx, gate.Config{Gate: cf.Gate, DB: db, KeyFile: other}); !errors.Is(err, vault.ErrWrongKey) {
		t.Errorf("opened with another device's key file: %v", err)
	}
	g2, err := gate.Open(ctx, gate.Config{Gate: cf.Gate, DB: db, Now: e.c.Now})
	if err != nil {
		t.Fatal(err)
	}
	if c2, _ := g2.Counts(ctx); c2 != c {
		t.Errorf("reopened: counts %+v, want %+v", c2, c)
	}
	// A purge leaves nothing that opens the replica: files and key gone.
	if err := g2.Purge(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{db, db + "-wal", db + "-shm", db + ".key"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s survived the purge: %v", filepath.Base(f), err)
		}
	}
}

// legacySchema is the replica as muster wrote it before sealing.
const legacySchema = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE passes (pass_id TEXT PRIMARY KEY, case_id INTEGER NOT NULL, case_ref TEXT NOT NULL, start_at INTEGER NOT NULL, end_at INTEGER NOT NULL);
CREATE TABLE pass_people (pass_id TEXT NOT NULL, idx INTEGER NOT NULL, person_id INTEGER NOT NULL, hash TEXT NOT NULL, summary TEXT NOT NULL,
	flagged INTEGER NOT NULL, server_checked INTEGER NOT NULL, PRIMARY KEY (pass_id, idx));
CREATE TABLE revoked (pass_id TEXT PRIMARY KEY);
CREATE TABLE outbox (event_id TEXT PRIMARY KEY, pass_id TEXT NOT NULL, idx INTEGER NOT NULL, person_id INTEGER NOT NULL, case_id INTEGER NOT NULL,
	method TEXT NOT NULL, at INTEGER NOT NULL, synced INTEGER NOT NULL DEFAULT 0, rejected TEXT NOT NULL DEFAULT '');
INSERT INTO meta VALUES ('gate', 'Abbey'), ('bundle', '{"doc_key":"mdk1.Q29ycmVjdEhvcnNlQmF0dGVyeVN0YXBsZQ"}');
INSERT INTO passes VALUES ('00000000000004d2', 4242, 'C-004242', 0, 1);
INSERT INTO pass_people VALUES ('00000000000004d2', 0, 90417, 'aa', 'Zarghona Legacyname, F, 1987', 0, 0);
INSERT INTO outbox VALUES ('0123456789abcdef0123456789abcdef', '00000000000004d2', 0, 90417, 4242, 'mrz', 5, 0, '');
`

// TestGateOfflineLegacyReplicaSealedOnOpen: a replica written in clear
// by an older muster is sealed when opened: its unsynced check-in is kept
// (and still syncs with the right person), the clear values are gone from
// the file.
func TestGateOfflineLegacyReplicaSealedOnOpen(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "gate.db")
	old, err := sql.Open("sqlite", "file:"+db+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.ExecContext(ctx, legacySchema); err != nil {
		t.Fatal(err)
	}
	old.Close()
	secrets := map[string][]byte{"summary": []byte("Legacyname"), "case": []byte("C-004242"), "document key": []byte("Q29ycmVjdEhvcnNl")}
	if found := grepFile(t, db, secrets); len(found) != len(secrets) {
		t.Fatalf("the legacy replica holds in clear only %v: the test would prove nothing", found)
	}
	var got []store.CheckIn
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, `{"error":"offline test"}`, http.StatusServiceUnavailable)
			return
		}
		var body struct{ CheckIns []store.CheckIn }
		json.NewDecoder(r.Body).Decode(&body)
		got = append(got, body.CheckIns...)
		res := store.SyncResult{}
		for _, c := range body.CheckIns {
			res.Accepted = append(res.Accepted, c.EventID)
		}
		json.NewEncoder(w).Encode(res)
	}))
	defer ts.Close()
	g, err := gate.Open(ctx, gate.Config{Server: ts.URL, Gate: "Abbey", Token: "x", DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if c, _ := g.Counts(ctx); c.Pending != 1 || c.Passes != 0 {
		t.Errorf("after sealing: %+v, want the one pending check-in and no passes", c)
	}
	for _, f := range []string{db, db + "-wal"} {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		if found := grepFile(t, f, secrets); len(found) > 0 {
			t.Errorf("%s still holds in clear: %v", filepath.Base(f), found)
		}
	}
	g.Sync(ctx) // the push succeeds; the pull fails on purpose
	if len(got) != 1 || got[0].PersonID != 90417 || got[0].CaseID != 4242 || got[0].Method != "mrz" {
		t.Errorf("synced %+v, want person 90417 of case 4242 by mrz", got)
	}
}

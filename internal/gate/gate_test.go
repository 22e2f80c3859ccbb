package gate_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"muster"
	"muster/internal/gate"
	"muster/internal/gateapi"
	"muster/internal/mrz"
	"muster/internal/pass"
	"muster/internal/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// start is 04:30 in Kabul; the gates open at 06:00 local (01:30 UTC).
var start = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// TD3 builds a valid passport MRZ for a document number.
func TD3(number, surname, given string) []string {
	pad := func(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }
	cd := func(s string) string { return fmt.Sprint(mrz.CheckDigit(s)) }
	l1 := pad("P<UTO"+surname+"<<"+given, 44)
	doc := pad(number, 9)
	dob, exp, opt := "800304", "340101", pad("", 14)
	l2 := doc + cd(doc) + "UTO" + dob + cd(dob) + "F" + exp + cd(exp) + opt + cd(opt)
	l2 += cd(doc + cd(doc) + dob + cd(dob) + exp + cd(exp) + opt + cd(opt))
	return []string{l1, l2}
}

type env struct {
	s     *store.Store
	c     *clock
	srv   *httptest.Server
	dsn   string
	cases []int64
}

// setup opens a store with gates Abbey and North, three approved cases of
// sizes 2, 3 and 1, planned; it serves the gate API.
func setup(t testing.TB) *env {
	t.Helper()
	var recs []muster.Record
	for ci, n := range []int{2, 3, 1} {
		for i := range n {
			recs = append(recs, muster.Record{Source: "p", SourceID: fmt.Sprintf("%d-%d", ci, i), CaseRef: fmt.Sprint(ci),
				Given: fmt.Sprintf("Given%d", i), Family: fmt.Sprintf("Fam%d", ci), Sex: muster.SexFemale,
				Passport: fmt.Sprintf("G%d%02d", ci, i)})
		}
	}
	return setupWith(t, recs)
}

// setupWith is setup with the given registrations, approved and planned.
func setupWith(t testing.TB, recs []muster.Record) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{c: &clock{t: start}, dsn: filepath.Join(t.TempDir(), "server.db")}
	kek := make([]byte, 32)
	rand.Read(kek)
	s, err := store.Open(ctx, e.dsn, store.Options{KEK: kek, Now: e.c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.s = s
	for _, name := range []string{"Abbey", "North"} {
		if err := s.AddGate(ctx, "coord", store.GateConfig{Name: name, Open: 6 * time.Hour, Close: 8 * time.Hour, Window: 30 * time.Minute, Capacity: 3}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Import(ctx, "test", recs, nil); err != nil {
		t.Fatal(err)
	}
	ps, _ := s.People(ctx, store.PeopleFilter{})
	var ids []int64
	for _, p := range ps {
		ids = append(ids, p.ID)
		if len(e.cases) == 0 || e.cases[len(e.cases)-1] != p.CaseID {
			e.cases = append(e.cases, p.CaseID)
		}
	}
	if _, err := s.SetStage(ctx, "test", store.Scope{}, ids, muster.StageApproved, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1}); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(gateapi.Handler(s, gateapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) device(t testing.TB, name string) *gate.Gate {
	t.Helper()
	tok, err := e.s.NewGateToken(context.Background(), "coord", name)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gate.Open(context.Background(), gate.Config{Server: e.srv.URL, Gate: name, Token: tok,
		DB: filepath.Join(t.TempDir(), "gate.db"), Now: e.c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	if err := g.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	return g
}

func (e *env) call(t *testing.T, i int) *store.CallForward {
	t.Helper()
	cf, err := e.s.CallForwardOf(context.Background(), e.cases[i])
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

func TestGateRefusesBadPasses(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	abbey := e.device(t, "Abbey")
	cf := e.call(t, 0) // Abbey 01:30-02:00 UTC
	if cf.Gate != "Abbey" {
		t.Fatalf("case 0 called to %s", cf.Gate)
	}
	e.c.Set(cf.Start.Add(5 * time.Minute))

	// A pass signed with another operation's key.
	_, otherKey, _ := pass.GenerateKey(nil)
	claims, err := pass.Decode(cf.Token)
	if err != nil {
		t.Fatal(err)
	}
	claims.PassID = 0
	claims.People = make([]pass.Hash, len(claims.People))
	forged, err := pass.Issue(otherKey, claims)
	if err != nil {
		t.Fatal(err)
	}
	// The genuine pass with one signature character changed.
	altered := ""
	for i := len(cf.Token) - 1; i > len(cf.Token)-20 && altered == ""; i-- {
		for _, r := range "0123456789ABC" {
			cand := cf.Token[:i] + string(r) + cf.Token[i+1:]
			if cand == cf.Token {
				continue
			}
			if _, err := pass.Decode(cand); err == nil {
				altered = cand
				break
			}
		}
	}
	if altered == "" {
		t.Fatal("could not alter the signature")
	}
	north := e.device(t, "North")

	tests := []struct {
		name   string
		g      *gate.Gate
		input  string
		at     time.Time
		reason string
	}{
		{"forged", abbey, forged, cf.Start, string(pass.ReasonUnknownKey)},
		{"altered", abbey, altered, cf.Start, string(pass.ReasonBadSignature)},
		{"garbage", abbey, "MP1:not a pass", cf.Start, string(pass.ReasonMalformed)},
		{"wrong gate", north, cf.Token, cf.Start, string(pass.ReasonWrongGate)},
		{"too early", abbey, cf.Token, cf.Start.Add(-time.Hour), string(pass.ReasonTooEarly)},
		{"too late", abbey, cf.Token, cf.End.Add(time.Hour), string(pass.ReasonTooLate)},
		{"expired", abbey, cf.Token, cf.End.Add(13 * time.Hour), string(pass.ReasonExpired)},
		{"case typed too late", abbey, cf.CaseRef, cf.End.Add(time.Hour), string(pass.ReasonTooLate)},
		{"case of another gate", north, cf.CaseRef, cf.Start, gate.ReasonUnknownCase},
		{"nonsense", abbey, "hello", cf.Start, gate.ReasonUnrecognised},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.c.Set(tc.at)
			tc.g.Clear()
			r := tc.g.Scan(ctx, tc.input)
			if r.OK || r.Reason != tc.reason {
				t.Errorf("Scan: ok %v reason %q (%s), want refused %q", r.OK, r.Reason, r.Message, tc.reason)
			}
		})
	}
	c, _ := abbey.Counts(ctx)
	if c.CheckIns != 0 {
		t.Errorf("%d admitted by refused passes", c.CheckIns)
	}
}

func TestGatePassAdmitsOnlyItsDocumentsOnceThenRefusesReplay(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	g := e.device(t, "Abbey")
	cf := e.call(t, 0)
	e.c.Set(cf.Start.Add(time.Minute))
	if r := g.Scan(ctx, cf.Token); !r.OK || len(r.Pass.People) != 2 {
		t.Fatalf("genuine pass: %+v", r)
	}
	// A stranger's passport (valid MRZ) is not on the pass.
	if r := g.Scan(ctx, strings.Join(TD3("X1234567", "OTHER", "ONE"), "\n")); r.OK || r.Reason != gate.ReasonNotOnPass {
		t.Errorf("stranger: %+v", r)
	}
	// A passport with a bad check digit fails the document check.
	bad := TD3("G000", "FAM", "GIVEN")
	bad[1] = bad[1][:9] + "0" + bad[1][10:]
	if bad[1] == TD3("G000", "FAM", "GIVEN")[1] {
		bad[1] = bad[1][:9] + "1" + bad[1][10:]
	}
	if r := g.Scan(ctx, strings.Join(bad, "\n")); r.OK || r.Reason != gate.ReasonMRZInvalid {
		t.Errorf("bad check digit: %+v", r)
	}
	// The scanner types the two lines with Enter after each.
	mrzA := TD3("G000", "FAM", "GIVEN")
	if r := g.Scan(ctx, mrzA[0]); r.OK || r.Reason != gate.ReasonWaiting {
		t.Errorf("first line: %+v", r)
	}
	if r := g.Scan(ctx, mrzA[1]); !r.OK || r.Admitted != 0 {
		t.Errorf("first person: %+v", r)
	}
	if r := g.Scan(ctx, strings.Join(mrzA, "")); r.OK || r.Reason != string(pass.ReasonUsed) {
		t.Errorf("same passport again: %+v", r)
	}
	if r := g.Scan(ctx, strings.Join(TD3("G001", "FAM", "GIVEN"), "\n")); !r.OK || r.Admitted != 1 {
		t.Errorf("second person: %+v", r)
	}
	// Everyone is through: the pass is used up.
	if r := g.Scan(ctx, cf.Token); r.OK || r.Reason != string(pass.ReasonUsed) {
		t.Errorf("replayed pass: %+v", r)
	}
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c, _ := g.Counts(ctx)
	if c.CheckIns != 2 || c.Pending != 0 {
		t.Errorf("counts %+v", c)
	}
	st, _ := e.s.Status(ctx, store.Scope{})
	if st.ByStage[muster.StageCheckedIn] != 2 {
		t.Errorf("server stages %v", st.ByStage)
	}
}

func TestGateRevokedAndFlaggedAfterSync(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	g := e.device(t, "Abbey")
	cf0, cf1 := e.call(t, 0), e.call(t, 2)
	if cf1.Gate != "Abbey" {
		t.Skipf("case 2 called to %s", cf1.Gate)
	}
	if err := e.s.RevokePass(ctx, "coord", cf0.PassID, "copied"); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+e.dsn+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `UPDATE persons SET flags = 'screen_hit' WHERE case_id = $1`, e.cases[2]); err != nil {
		t.Fatal(err)
	}
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	e.c.Set(cf0.Start.Add(time.Minute))
	if r := g.Scan(ctx, cf0.Token); r.OK || r.Reason != string(pass.ReasonRevoked) {
		t.Errorf("revoked: %+v", r)
	}
	e.c.Set(cf1.Start.Add(time.Minute))
	if r := g.Scan(ctx, cf1.Token); r.OK || r.Reason != gate.ReasonFlagged {
		t.Errorf("flagged: %+v", r)
	}
	if r := g.Scan(ctx, strings.Join(TD3("G200", "FAM", "GIVEN"), "\n")); r.OK || r.Reason != gate.ReasonFlagged {
		t.Errorf("flagged by passport: %+v", r)
	}
}

func TestGateTokenScopedAndRevocable(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	tok, _ := e.s.NewGateToken(ctx, "coord", "Abbey")
	get := func(gateName, token string) int {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/gate/bundle?gate="+gateName, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("Abbey", tok); c != 200 {
		t.Errorf("own gate: %d", c)
	}
	// Unchanged since the version the gate holds: 304, until something changes.
	v, err := e.s.GateVersion(ctx, "Abbey")
	if err != nil {
		t.Fatal(err)
	}
	if c := get("Abbey&since="+url.QueryEscape(v), tok); c != http.StatusNotModified {
		t.Errorf("unchanged snapshot: %d", c)
	}
	cf := e.call(t, 0)
	if err := e.s.RevokePass(ctx, "coord", cf.PassID, "test"); err != nil {
		t.Fatal(err)
	}
	if c := get("Abbey&since="+url.QueryEscape(v), tok); c != 200 {
		t.Errorf("snapshot after a revocation: %d", c)
	}
	if c := get("North", tok); c != 403 {
		t.Errorf("other gate: %d", c)
	}
	if c := get("Abbey", "mgt_guess"); c != 401 {
		t.Errorf("bad token: %d", c)
	}
	e.s.RevokeGateTokens(ctx, "coord", "Abbey")
	if c := get("Abbey", tok); c != 401 {
		t.Errorf("revoked token: %d", c)
	}
}

func TestGateOfflineFromBundleFile(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	snap, err := e.s.GateSnapshot(ctx, "Abbey")
	if err != nil {
		t.Fatal(err)
	}
	sealed, key, err := gate.SealBundle(snap)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "abbey.bundle")
	if err := os.WriteFile(file, sealed, 0o600); err != nil {
		t.Fatal(err)
	}
	// The file on the stick says nothing of the people in it.
	cf := e.call(t, 0)
	for _, v := range []string{cf.CaseRef, "G000", snap.Passes[0].PassID} {
		if bytes.Contains(sealed, []byte(v)) {
			t.Errorf("sealed bundle contains %q", v)
		}
	}
	g, err := gate.Open(ctx, gate.Config{Gate: "Abbey", OfflineFrom: file, OfflineKey: key, DB: filepath.Join(t.TempDir(), "g.db"), Now: e.c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	e.c.Set(cf.Start)
	if r := g.Scan(ctx, cf.CaseRef); !r.OK {
		t.Fatalf("typed case: %+v", r)
	}
	if r := g.Scan(ctx, "G000"); !r.OK || r.Admitted != 0 {
		t.Errorf("typed document: %+v", r)
	}

	_, otherKey, err := gate.SealBundle(snap)
	if err != nil {
		t.Fatal(err)
	}
	altered := append([]byte(nil), sealed...)
	altered[len(altered)-5] ^= 1
	alteredFile := filepath.Join(dir, "altered.bundle")
	clearFile := filepath.Join(dir, "clear.json")
	if err := os.WriteFile(alteredFile, altered, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(clearFile, snap); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, gate, file, key, want string
	}{
		{"another gate", "North", file, key, "does not open"},
		{"another bundle's key", "Abbey", file, otherKey, "does not open"},
		{"no key", "Abbey", file, "", "starts with mgb_"},
		{"key cut short", "Abbey", file, key[:20], "does not open"},
		{"altered file", "Abbey", alteredFile, key, "does not open"},
		{"bundle in clear", "Abbey", clearFile, key, "in clear"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := gate.Open(ctx, gate.Config{Gate: tc.gate, OfflineFrom: tc.file, OfflineKey: tc.key, DB: filepath.Join(t.TempDir(), "x.db")})
			if err == nil {
				g.Close()
				t.Fatal("bundle loaded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to say %q", err, tc.want)
			}
		})
	}
}

func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// FuzzGateScan feeds the scanner input arbitrary text: the gate never
// fails and never admits anyone unless the input holds a document number
// bound to a pass.
func FuzzGateScan(f *testing.F) {
	e := setup(f)
	g := e.device(f, "Abbey")
	cf, err := e.s.CallForwardOf(context.Background(), e.cases[0])
	if err != nil {
		f.Fatal(err)
	}
	e.c.Set(cf.Start.Add(time.Minute))
	for _, seed := range []string{cf.Token, cf.CaseRef, "C-000002", "42", strings.Join(TD3("G000", "FAM", "GIVEN"), "\n"),
		TD3("X1", "A", "B")[0], "MP1:", "MP1.AAAA", "G001", "<<<<", "P<UTO", strings.Repeat("<", 88)} {
		f.Add(seed, seed)
	}
	docs := []string{"G000", "G001", "G100", "G101", "G102", "G200"}
	f.Fuzz(func(t *testing.T, a, b string) {
		ctx := context.Background()
		for _, in := range []string{a, b} {
			r := g.Scan(ctx, in)
			if r == nil || r.Message == "" {
				t.Fatalf("Scan(%q) = %+v", in, r)
			}
			if r.OK && r.Admitted >= 0 {
				up := strings.ToUpper(in)
				found := false
				for _, d := range docs {
					found = found || strings.Contains(up, d)
				}
				if !found {
					t.Fatalf("Scan(%q) admitted person %d", in, r.Admitted)
				}
			}
		}
	})
}

// TestGatePageAnswersOnlyLocalhostAndIPs: a page elsewhere pointing a
// domain name at the device (DNS rebinding) cannot read or post to it.
func TestGatePageAnswersOnlyLocalhostAndIPs(t *testing.T) {
	e := setup(t)
	g := e.device(t, "Abbey")
	h := g.Handler()
	for host, want := range map[string]int{
		"localhost:8089": 200, "127.0.0.1:8089": 200, "[::1]:8089": 200, "192.168.1.20:8089": 200, "LOCALHOST": 200,
		"evil.example:8089": http.StatusMisdirectedRequest, "localhost.evil.example": http.StatusMisdirectedRequest,
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s: %d, want %d", host, rec.Code, want)
		}
	}
	// The server's clock is the real one, the gate's the test's (hours
	// apart): the page says so.
	if html := func() string {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = "localhost:8089"
		h.ServeHTTP(rec, req)
		return rec.Body.String()
	}(); !strings.Contains(html, `id="skew"`) {
		t.Error("a clock hours off the server's is not shown")
	}
}

// BenchmarkGateScanPass is one pass scanned at the gate with no network:
// signature, revocation, window, replica lookup of the case.
func BenchmarkGateScanPass(b *testing.B) {
	e := setup(b)
	g := e.device(b, "Abbey")
	cf, err := e.s.CallForwardOf(context.Background(), e.cases[0])
	if err != nil {
		b.Fatal(err)
	}
	e.c.Set(cf.Start.Add(time.Minute))
	ctx := context.Background()
	for b.Loop() {
		g.Clear()
		if r := g.Scan(ctx, cf.Token); !r.OK {
			b.Fatal(r.Message)
		}
	}
}

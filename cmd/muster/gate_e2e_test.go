package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/gate"
	"muster/internal/gateapi"
	"muster/internal/mrz"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// e2eClock is the one clock of the server and the gate.
type e2eClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *e2eClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// td3 builds a valid passport MRZ for a document number.
func td3(number string) string {
	pad := func(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }
	cd := func(s string) string { return fmt.Sprint(mrz.CheckDigit(s)) }
	l1 := pad("P<UTOHOLDER<<TEST", 44)
	doc := pad(number, 9)
	dob, exp, opt := "850101", "340101", pad("", 14)
	l2 := doc + cd(doc) + "UTO" + dob + cd(dob) + "M" + exp + cd(exp) + opt + cd(opt)
	l2 += cd(doc + cd(doc) + dob + cd(dob) + exp + cd(exp) + opt + cd(opt))
	return l1 + "\n" + l2
}

// apiServer is the muster server side of the test: the gate API on a fixed
// loopback address that can be cut and brought back.
type apiServer struct {
	t    *testing.T
	addr string
	h    http.Handler
	srv  *http.Server
	// intercept, when set, sees each sync request before the handler.
	mu        sync.Mutex
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

func (a *apiServer) start() {
	a.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the old socket may linger a moment
		if ln, err = net.Listen("tcp", a.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		a.t.Fatal(err)
	}
	a.addr = ln.Addr().String()
	a.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		ic := a.intercept
		a.mu.Unlock()
		if ic != nil && ic(w, r) {
			return
		}
		a.h.ServeHTTP(w, r)
	})}
	go a.srv.Serve(ln)
}

// stop cuts the connection: listener and open connections closed at once.
func (a *apiServer) stop() { a.srv.Close() }

// page drives the gate officer's page as a browser would.
type page struct {
	t    *testing.T
	base string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
var verdictRE = regexp.MustCompile(`<section id="result" class="(\w+)" data-reason="([a-z_]*)">`)

func (p *page) get(path string) string {
	p.t.Helper()
	resp, err := http.Get(p.base + path)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// scan types input and Enter; it returns the verdict colour and reason.
func (p *page) scan(input string) (string, string) {
	p.t.Helper()
	m := csrfRE.FindStringSubmatch(p.get("/"))
	if m == nil {
		p.t.Fatal("no CSRF token on the gate page")
	}
	resp, err := http.PostForm(p.base+"/scan", url.Values{"csrf": {m[1]}, "input": {input}})
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	v := verdictRE.FindStringSubmatch(string(b))
	if v == nil {
		p.t.Fatalf("no verdict on the page after scanning:\n%s", b)
	}
	return v[1], v[2]
}

func (p *page) status() gate.Status {
	p.t.Helper()
	var st gate.Status
	resp, err := http.Get(p.base + "/status")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		p.t.Fatal(err)
	}
	return st
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runGateDevice starts gate.Run on the replica file and returns its page
// and a function that kills it (cancel, no clean shutdown of the sync) and
// waits for it to be gone.
func runGateDevice(t *testing.T, cfg gate.Config) (*page, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listener = ln
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gate.Run(ctx, cfg) }()
	p := &page{t: t, base: "http://" + ln.Addr().String()}
	waitFor(t, "the gate page", func() bool {
		resp, err := http.Get(p.base + "/status")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	var once sync.Once
	kill := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("gate.Run: %v", err)
			}
		})
	}
	t.Cleanup(kill)
	return p, kill
}

// TestGateOfflineSyncEndToEnd runs a gate device against the server,
// cuts the connection, checks people in offline, kills the gate in the
// middle of a sync (after the server committed a batch whose answer never
// arrived), restarts it from its replica, reconnects, and checks that the
// server's counts match exactly what the gate admitted.
func TestGateOfflineSyncEndToEnd(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		clk := &e2eClock{t: time.Date(2026, 11, 27, 1, 35, 0, 0, time.UTC)} // 06:05 in Kabul
		kek := make([]byte, 32)
		rand.Read(kek)
		s, err := store.Open(ctx, dsn, store.Options{KEK: kek, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.AddGate(ctx, "coord", store.GateConfig{Name: "Abbey", Open: 6 * time.Hour, Close: 8 * time.Hour, Window: 30 * time.Minute, Capacity: 100}); err != nil {
			t.Fatal(err)
		}
		// Ten families of 1 to 4 people, approved.
		var recs []muster.Record
		for c := range 10 {
			for i := range c%4 + 1 {
				recs = append(recs, muster.Record{Source: "ngo", SourceID: fmt.Sprintf("%d-%d", c, i), CaseRef: fmt.Sprint(c),
					Given: fmt.Sprintf("Gulalai%d", i), Family: fmt.Sprintf("Durrani%d", c), Passport: fmt.Sprintf("E%02d%02d", c, i)})
			}
		}
		if _, err := s.Import(ctx, "test", recs, nil); err != nil {
			t.Fatal(err)
		}
		people, _ := s.People(ctx, store.PeopleFilter{})
		var ids []int64
		for _, p := range people {
			ids = append(ids, p.ID)
		}
		if _, err := s.SetStage(ctx, "coordinator", store.Scope{}, ids, muster.StageApproved, "cleared"); err != nil {
			t.Fatal(err)
		}
		res, err := s.Plan(ctx, "coord", store.PlanOptions{Days: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Calls) != 10 {
			t.Fatalf("called %d cases, want 10", len(res.Calls))
		}
		passOf := map[int64]string{}
		docsOf := map[int64][]string{}
		for _, cf := range res.Calls {
			passOf[cf.CaseID] = cf.Token
		}
		for _, p := range people {
			docsOf[p.CaseID] = append(docsOf[p.CaseID], p.Documents[0].Number)
		}
		// The gate opens at the first window.
		clk.mu.Lock()
		clk.t = res.Calls[0].Start.Add(5 * time.Minute)
		clk.mu.Unlock()
		caseIDs := make([]int64, 0, 10)
		for _, cf := range res.Calls {
			caseIDs = append(caseIDs, cf.CaseID)
		}

		tok, err := s.NewGateToken(ctx, "coord", "Abbey")
		if err != nil {
			t.Fatal(err)
		}
		api := &apiServer{t: t, addr: "127.0.0.1:0", h: gateapi.Handler(s, gateapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})}
		api.start()
		defer func() { api.stop() }()
		cfg := gate.Config{Server: "http://" + api.addr, Gate: "Abbey", Token: tok, DB: filepath.Join(t.TempDir(), "abbey.db"),
			SyncEvery: 30 * time.Millisecond, Batch: 3, Now: clk.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Client: &http.Client{Timeout: 5 * time.Second}}
		pg, kill := runGateDevice(t, cfg)
		waitFor(t, "first sync", func() bool { st := pg.status(); return st.Online && st.Counts.Passes == 10 })

		admitted := 0
		admitCase := func(pg *page, cid int64) {
			t.Helper()
			if colour, reason := pg.scan(passOf[cid]); colour != "green" {
				t.Fatalf("case %d pass: %s %s", cid, colour, reason)
			}
			for _, doc := range docsOf[cid] {
				if colour, reason := pg.scan(td3(doc)); colour != "green" {
					t.Fatalf("case %d document %s: %s %s", cid, doc, colour, reason)
				}
				admitted++
			}
			if colour, reason := pg.scan(passOf[cid]); colour != "red" || reason != "already_used" {
				t.Errorf("case %d pass replayed: %s %s", cid, colour, reason)
			}
		}

		// Online: two cases, synced at once.
		admitCase(pg, caseIDs[0])
		admitCase(pg, caseIDs[1])
		waitFor(t, "online sync", func() bool { return pg.status().Counts.Pending == 0 })
		st, _ := s.Status(ctx, store.Scope{})
		if st.ByStage[muster.StageCheckedIn] != admitted {
			t.Fatalf("server counts %d checked in, gate admitted %d", st.ByStage[muster.StageCheckedIn], admitted)
		}

		online := admitted

		// The connection is cut: the gate keeps admitting from its replica.
		api.stop()
		for _, cid := range caseIDs[2:7] {
			admitCase(pg, cid)
		}
		waitFor(t, "the gate to notice it is offline", func() bool { return !pg.status().Online })
		if html := pg.get("/"); !strings.Contains(html, "OFFLINE") {
			t.Error("the page does not say the gate is offline")
		}
		pending := pg.status().Counts.Pending
		if pending == 0 {
			t.Fatal("nothing pending while offline")
		}

		// The server returns; the first sync batch is committed, then the
		// gate dies before it hears the answer.
		committed := make(chan struct{})
		var once sync.Once
		api.mu.Lock()
		api.intercept = func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/api/gate/sync" {
				return false
			}
			fired := false
			once.Do(func() {
				fired = true
				rec := &discardWriter{h: http.Header{}}
				api.h.ServeHTTP(rec, r) // the server commits the batch
				kill2 := kill
				go kill2()
				close(committed)
				if hj, ok := w.(http.Hijacker); ok {
					if c, _, err := hj.Hijack(); err == nil {
						c.Close() // the answer is lost
					}
				}
			})
			return fired
		}
		api.mu.Unlock()
		api.start()
		<-committed
		kill()
		// The server holds the online check-ins and the one batch it
		// committed; the gate still counts that batch as pending.
		afterKill, _ := s.CheckIns(ctx)
		if len(afterKill) != online+cfg.Batch {
			t.Errorf("server holds %d check-ins after the kill, want %d online + %d in the lost batch", len(afterKill), online, cfg.Batch)
		}

		// Restarted from the same replica, cut off again, it admits more.
		api.stop()
		api.mu.Lock()
		api.intercept = nil
		api.mu.Unlock()
		pg2, _ := runGateDevice(t, cfg)
		if c := pg2.status().Counts; c.CheckIns != admitted {
			t.Fatalf("replica after restart holds %d check-ins, gate admitted %d", c.CheckIns, admitted)
		}
		// What was admitted before the kill stays admitted.
		if colour, reason := pg2.scan(passOf[caseIDs[3]]); colour != "red" || reason != "already_used" {
			t.Errorf("pass admitted before the kill: %s %s", colour, reason)
		}
		for _, cid := range caseIDs[7:9] {
			admitCase(pg2, cid)
		}

		// Reconnected: it catches up.
		api.start()
		waitFor(t, "catch-up sync", func() bool { st := pg2.status(); return st.Online && st.Counts.Pending == 0 })

		st, err = s.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		notAdmitted := len(docsOf[caseIDs[9]])
		want := map[muster.Stage]int{muster.StageCheckedIn: admitted, muster.StageCalled: notAdmitted}
		if diff := cmp.Diff(want, st.ByStage); diff != "" {
			t.Errorf("server stages (-want +got):\n%s", diff)
		}
		cis, err := s.CheckIns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for _, ci := range cis {
			if seen[ci.PersonID] || ci.Duplicate {
				t.Errorf("person %d checked in twice", ci.PersonID)
			}
			seen[ci.PersonID] = true
		}
		if len(cis) != admitted {
			t.Errorf("server holds %d check-ins, gate admitted %d", len(cis), admitted)
		}
		evs, err := s.Events(ctx, store.EventFilter{Type: muster.EventCheckIn, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != admitted {
			t.Errorf("%d check-in events, want %d", len(evs), admitted)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
		replayed, _ := s.ReplayStages(ctx)
		projected, _ := s.ProjectedStages(ctx)
		if diff := cmp.Diff(projected, replayed); diff != "" {
			t.Errorf("stages differ from the event log:\n%s", diff)
		}

		// The replica, after a sync, offline check-ins, a kill and a
		// catch-up, holds no name, document number, case number or
		// summary in clear, neither in the file nor in its log.
		snap, err := s.GateSnapshot(ctx, "Abbey")
		if err != nil {
			t.Fatal(err)
		}
		var secrets []string
		for _, r := range recs {
			secrets = append(secrets, r.Given+" "+r.Family, r.Given, r.Family, r.Passport)
		}
		for _, p := range snap.Passes {
			secrets = append(secrets, p.CaseRef)
			for _, per := range p.People {
				secrets = append(secrets, per.Summary)
			}
		}
		for _, f := range []string{cfg.DB, cfg.DB + "-wal"} {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range secrets {
				if bytes.Contains(raw, []byte(v)) {
					t.Errorf("%s holds %q in clear", filepath.Base(f), v)
				}
			}
		}
	})
}

// TestGateOfflinePurgeCommand: 'muster gate --purge' destroys the
// replica and the key file that wraps its data key.
func TestGateOfflinePurgeCommand(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "gate-Abbey.db")
	g, err := gate.Open(context.Background(), gate.Config{Gate: "Abbey", DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	for _, f := range []string{db, db + ".key"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("before the purge: %v", err)
		}
	}
	code, out, errs := runCmd(t, nil, "gate", "--purge", "--db", db)
	if code != 0 {
		t.Fatalf("gate --purge: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, db+".key") {
		t.Errorf("gate --purge says %q, not naming the key file", out)
	}
	for _, f := range []string{db, db + "-wal", db + ".key"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s survived the purge: %v", filepath.Base(f), err)
		}
	}
}

// discardWriter is a ResponseWriter whose answer goes nowhere.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// TestGateOfflineCommandKeyFile: 'muster gate' with no key file named
// creates one beside the replica (0600) and says so, ignoring the server's
// $MUSTER_KEY_FILE (a gate purge destroys its key file); with --key-file it
// uses that one, and the replica does not open under another.
func TestGateOfflineCommandKeyFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "gate-Abbey.db")
	serverKey := filepath.Join(dir, "server.key")
	start := func(extra ...string) (stderr string, stop func()) {
		t.Helper()
		var out, errb lockedBuffer
		getenv := func(k string) string {
			if k == "MUSTER_KEY_FILE" {
				return serverKey
			}
			return ""
		}
		e := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: getenv}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		args := append([]string{"gate", "--gate", "Abbey", "--db", db, "--server", "http://127.0.0.1:1", "--token", "x", "--addr", "127.0.0.1:0", "--sync", "1h"}, extra...)
		go func() { done <- run(ctx, e, args) }()
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(out.String(), "open http://") {
			select {
			case code := <-done:
				cancel()
				return errb.String(), func() {
					if code == 0 {
						t.Errorf("muster gate %v exited 0 before serving", extra)
					}
				}
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("muster gate did not serve: %s %s", out.String(), errb.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		return errb.String(), func() { cancel(); <-done }
	}
	stderr, stop := start()
	stop()
	if !strings.Contains(stderr, "created key file "+db+".key") {
		t.Errorf("no word of the key file created: %s", stderr)
	}
	if fi, err := os.Stat(db + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi, err)
	}
	if _, err := os.Stat(serverKey); err == nil {
		t.Errorf("the gate used the server's $MUSTER_KEY_FILE")
	}
	stderr, stop = start()
	stop()
	if strings.Contains(stderr, "created key file") {
		t.Errorf("a second key file created: %s", stderr)
	}
	// Another key file does not open the replica: the command fails.
	stderr, stop = start("--key-file", filepath.Join(dir, "other.key"))
	stop()
	if !strings.Contains(stderr, "does not open replica") {
		t.Errorf("opened under another key file: %s", stderr)
	}
}

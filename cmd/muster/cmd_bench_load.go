package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"muster"
	"muster/internal/auth"
	"muster/internal/demo"
	"muster/internal/intake"
	"muster/internal/store"
	"muster/internal/vault"
)

// benchLoad runs `muster serve` as a child process, drives it with many
// concurrent signed-in users on loopback, kills it with SIGKILL midway,
// restarts it, and then checks every acknowledged write against the
// database: none may be lost. 5xx answers outside the restart window are
// counted as failures too.
func benchLoad(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("muster bench load", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	users := fs.Int("users", 200, "concurrent signed-in users")
	duration := fs.Duration("duration", 5*time.Minute, "how long to run")
	killAt := fs.Duration("kill-after", 0, "when to kill -9 the server (default: half the duration; negative: never)")
	families := fs.Int("families", 3000, "families to register before the run")
	dir := fs.String("dir", "", "working folder (default: a new temporary folder, removed after)")
	think := fs.Duration("think", time.Second, "mean pause between a user's requests (uniform from half to one and a half times it); 0 hammers")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *killAt == 0 {
		*killAt = *duration / 2
	}
	work := *dir
	if work == "" {
		d, err := os.MkdirTemp("", "muster-load-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		work = d
	}
	dbPath, keyPath := filepath.Join(work, "muster.db"), filepath.Join(work, "muster.key")
	people, err := loadSeed(ctx, dbPath, keyPath, *families, *users)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	addr, err := freePort()
	if err != nil {
		return err
	}
	base := "http://" + addr
	srv := &child{exe: exe, args: []string{"serve", "--db", dbPath, "--key-file", keyPath, "--addr", addr, "--require-totp=false"}, log: filepath.Join(work, "serve.log")}
	if err := srv.start(base); err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(env.Stderr, "load: %d users (think time %s) against %s for %s, kill -9 after %s\n", *users, *think, base, *duration, *killAt)

	var res loadResult
	res.latency = make([]time.Duration, 0, 1<<20)
	runCtx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	var inRestart atomic.Bool // set while the server is down
	var wg sync.WaitGroup
	perUser := len(people) / *users
	for u := 0; u < *users; u++ {
		wg.Add(1)
		go func(u int) {
			defer wg.Done()
			mine := people[u*perUser : (u+1)*perUser]
			loadUser(runCtx, base, fmt.Sprintf("load%03d", u), mine, *think, &res, &inRestart)
		}(u)
	}
	if *killAt > 0 {
		go func() {
			select {
			case <-runCtx.Done():
				return
			case <-time.After(*killAt):
			}
			inRestart.Store(true)
			t0 := time.Now()
			srv.kill()
			if err := srv.start(base); err != nil {
				fmt.Fprintf(env.Stderr, "load: restart failed: %v\n", err)
			}
			res.mu.Lock()
			res.restart = time.Since(t0)
			res.mu.Unlock()
			// Requests already in flight when the server died may still
			// fail for a moment after it is back.
			time.Sleep(2 * time.Second)
			inRestart.Store(false)
		}()
	}
	wg.Wait()
	srv.stop()

	lost, checked, err := verifyAcked(ctx, dbPath, keyPath, &res)
	if err != nil {
		return err
	}
	res.print(env.Stdout, *users, *duration, lost, checked)
	if lost > 0 || res.fivexx.Load() > 0 {
		return exitError{1}
	}
	return nil
}

// loadSeed creates the operation, registers synthetic families and one
// coordinator account per user; it returns the ids of the people the users
// will move.
func loadSeed(ctx context.Context, dbPath, keyPath string, families, users int) ([]int64, error) {
	kek, _, err := vault.LoadOrCreateKEK(keyPath)
	if err != nil {
		return nil, err
	}
	s, err := store.Open(ctx, dbPath, store.Options{KEK: kek, OperationName: "load test"})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	gen := demo.New(demo.Config{Seed: 5, Families: families})
	var rows []demo.Row
	for r := gen.Next(); r != nil; r = gen.Next() {
		rows = append(rows, r...)
	}
	csvPath := dbPath + ".seed.csv"
	f, err := os.Create(csvPath)
	if err != nil {
		return nil, err
	}
	if err := demo.WriteCSV(f, rows); err != nil {
		return nil, err
	}
	f.Close()
	res, err := intake.ReadFile(csvPath, intake.Options{DateOrder: intake.OrderDMY})
	os.Remove(csvPath)
	if err != nil {
		return nil, err
	}
	ir, err := s.Import(ctx, "load", res.Records, nil)
	if err != nil {
		return nil, err
	}
	// Cheap password hashing: the test measures muster, not argon2id.
	params := auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	for u := 0; u < users; u++ {
		h, err := auth.HashPassword(loadPassword, params)
		if err != nil {
			return nil, err
		}
		if err := s.AddUser(ctx, "load", &store.User{Name: fmt.Sprintf("load%03d", u), Role: auth.RoleCoordinator, PassHash: h}); err != nil {
			return nil, err
		}
	}
	if len(ir.People) < users {
		return nil, fmt.Errorf("only %d people for %d users: raise --families", len(ir.People), users)
	}
	return ir.People, nil
}

const loadPassword = "load-test-password-not-secret"

type ack struct {
	person int64
	stage  muster.Stage
}

type loadResult struct {
	mu       sync.Mutex
	latency  []time.Duration
	acked    []ack
	requests atomic.Int64
	fivexx   atomic.Int64 // outside the restart window
	downErrs atomic.Int64 // connection errors and 5xx during the restart
	otherErr atomic.Int64 // errors outside the window that were not 5xx
	restart  time.Duration
}

var (
	reLoadLogin = regexp.MustCompile(`name="login_csrf" value="([^"]+)"`)
	reLoadCSRF  = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// loadUser signs in and, until ctx ends, looks at the dashboard, searches,
// opens a person and moves one of its own people to another stage. Each
// user owns its people, so its writes to them are ordered.
func loadUser(ctx context.Context, base, name string, mine []int64, think time.Duration, res *loadResult, down *atomic.Bool) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := rand.New(rand.NewPCG(uint64(len(name)), uint64(mine[0])))
	var csrf string
	do := func(req *http.Request) (int, string, error) {
		t0 := time.Now()
		resp, err := c.Do(req.WithContext(ctx))
		res.requests.Add(1)
		if err != nil {
			if ctx.Err() == nil {
				if down.Load() {
					res.downErrs.Add(1)
				} else {
					res.otherErr.Add(1)
				}
				time.Sleep(100 * time.Millisecond) // the server is down: do not spin
			}
			return 0, "", err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		res.mu.Lock()
		res.latency = append(res.latency, d)
		res.mu.Unlock()
		if resp.StatusCode >= 500 {
			if down.Load() {
				res.downErrs.Add(1)
			} else {
				res.fivexx.Add(1)
			}
		}
		return resp.StatusCode, string(body), nil
	}
	login := func() bool {
		req, _ := http.NewRequest("GET", base+"/login", nil)
		_, body, err := do(req)
		if err != nil {
			return false
		}
		m := reLoadLogin.FindStringSubmatch(body)
		if m == nil {
			return false
		}
		form := url.Values{"login_csrf": {m[1]}, "name": {name}, "password": {loadPassword}, "next": {"/dashboard"}}
		req, _ = http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if code, _, err := do(req); err != nil || code != http.StatusSeeOther {
			return false
		}
		req, _ = http.NewRequest("GET", base+"/dashboard", nil)
		_, body, err = do(req)
		if err != nil {
			return false
		}
		if m := reLoadCSRF.FindStringSubmatch(body); m != nil {
			csrf = m[1]
			return true
		}
		return false
	}
	stages := []muster.Stage{muster.StageApproved, muster.StageCalled, muster.StageCheckedIn, muster.StageNoShow}
	for ctx.Err() == nil {
		if think > 0 {
			time.Sleep(think/2 + time.Duration(r.Int64N(int64(think))))
		}
		if csrf == "" && !login() {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		switch n := r.IntN(10); {
		case n < 3:
			req, _ := http.NewRequest("GET", base+"/dashboard", nil)
			do(req)
		case n < 5:
			req, _ := http.NewRequest("GET", base+"/search?q="+url.QueryEscape(demo.Family[r.IntN(len(demo.Family))].Latin), nil)
			do(req)
		case n < 7:
			req, _ := http.NewRequest("GET", fmt.Sprintf("%s/person/%d", base, mine[r.IntN(len(mine))]), nil)
			do(req)
		default:
			p, st := mine[r.IntN(len(mine))], stages[r.IntN(len(stages))]
			form := url.Values{"csrf": {csrf}, "stage": {string(st)}, "reason": {"load test"}}
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/person/%d/stage", base, p), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			code, _, err := do(req)
			if err == nil && code == http.StatusSeeOther {
				res.mu.Lock()
				res.acked = append(res.acked, ack{p, st})
				res.mu.Unlock()
			} else if err == nil && (code == http.StatusUnauthorized || code == http.StatusForbidden) {
				csrf = "" // session lost: sign in again
			}
		}
	}
}

// verifyAcked checks every acknowledged stage change against the event
// log: a person moved to a stage k times (acknowledged) must have at least
// k stage events to it, unless the change was a no-op because they were
// already there, which the final stage shows. It returns how many
// acknowledged writes are missing.
func verifyAcked(ctx context.Context, dbPath, keyPath string, res *loadResult) (lost, checked int, err error) {
	kek, _, err := vault.LoadOrCreateKEK(keyPath)
	if err != nil {
		return 0, 0, err
	}
	s, err := store.Open(ctx, dbPath, store.Options{KEK: kek})
	if err != nil {
		return 0, 0, err
	}
	defer s.Close()
	if _, err := s.VerifyAudit(ctx); err != nil {
		return 0, 0, fmt.Errorf("audit chain after the run: %w", err)
	}
	// Per person, the sequence of acknowledged stages must be a
	// subsequence of the stages the event log recorded (a repeat of the
	// current stage is a no-op and records nothing).
	want := map[int64][]muster.Stage{}
	for _, a := range res.acked {
		want[a.person] = append(want[a.person], a.stage)
	}
	for p, stages := range want {
		evs, err := s.Events(ctx, store.EventFilter{PersonID: p, Type: muster.EventStage, Limit: 1 << 20})
		if err != nil {
			return 0, 0, err
		}
		var got []muster.Stage
		for _, e := range evs {
			got = append(got, e.To)
		}
		i := 0
		var last muster.Stage
		for _, st := range stages {
			checked++
			if st == last {
				continue // a repeat: nothing to record
			}
			for i < len(got) && got[i] != st {
				i++
			}
			if i == len(got) {
				lost++
				continue
			}
			last = st
			i++
		}
	}
	return lost, checked, nil
}

func (r *loadResult) print(w io.Writer, users int, d time.Duration, lost, checked int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := r.latency
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	fmt.Fprintf(w, "load: %d users, %s: %d requests (%.0f/s), latency p50 %s p99 %s max %s\n", users, d, r.requests.Load(),
		float64(r.requests.Load())/d.Seconds(), q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond), q(1).Round(time.Millisecond))
	fmt.Fprintf(w, "load: server killed (SIGKILL) and back in %s; %d errors during the restart window\n", r.restart.Round(time.Millisecond), r.downErrs.Load())
	fmt.Fprintf(w, "load: acknowledged writes %d, checked against the event log %d, LOST %d; 5xx outside the restart window %d; other errors %d\n",
		len(r.acked), checked, lost, r.fivexx.Load(), r.otherErr.Load())
}

// child is the server process.
type child struct {
	exe  string
	args []string
	log  string
	cmd  *exec.Cmd
}

func (c *child) start(base string) error {
	logf, err := os.OpenFile(c.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	c.cmd = exec.Command(c.exe, c.args...)
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	if err := c.cmd.Start(); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("server did not come up in 60 s; see " + c.log)
}

func (c *child) kill() {
	if c.cmd != nil && c.cmd.Process != nil {
		c.cmd.Process.Signal(syscall.SIGKILL)
		c.cmd.Wait()
	}
}

func (c *child) stop() {
	if c.cmd != nil && c.cmd.Process != nil && c.cmd.ProcessState == nil {
		c.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { c.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.kill()
		}
	}
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

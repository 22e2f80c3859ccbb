package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	neturl "net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"muster/internal/auth"
	"muster/internal/store"
	"muster/internal/vault"
)

func runUserCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "muster.db")
	env := map[string]string{"MUSTER_DB": db}
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"coordinator", "a long password 1\n", []string{"user", "add", "alice", "--role", "coordinator"}, 0, "added alice (coordinator)"},
		{"partner", "a long password 2\n", []string{"user", "add", "ngoa", "--role", "partner", "--partner", "ngo-a", "--totp"}, 0, "otpauth://totp/muster:ngoa?"},
		{"gate", "a long password 3\n", []string{"user", "add", "north1", "--role", "gate", "--gate", "north"}, 0, "added north1 (gate, gate north)"},
		{"duplicate", "a long password 1\n", []string{"user", "add", "alice", "--role", "admin"}, 1, ""},
		{"partner without org", "a long password 4\n", []string{"user", "add", "bob", "--role", "partner"}, 1, ""},
		{"unknown role", "a long password 4\n", []string{"user", "add", "bob", "--role", "root"}, 1, ""},
		{"short password", "short\n", []string{"user", "add", "bob", "--role", "admin"}, 1, ""},
		{"no password", "", []string{"user", "add", "bob", "--role", "admin"}, 1, ""},
		{"no name", "a long password 4\n", []string{"user", "add", "--role", "admin"}, 2, ""},
		{"unknown subcommand", "", []string{"user", "frobnicate"}, 2, ""},
	}
	for _, tt := range tests {
		code, out, errs := runUserCmd(t, env, tt.stdin, tt.args...)
		if code != tt.code || !strings.Contains(out, tt.out) {
			t.Errorf("%s: exit %d, want %d; stdout %q; stderr %q", tt.name, code, tt.code, out, errs)
		}
	}
	kek, _, err := vault.LoadOrCreateKEK(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), db, store.Options{KEK: kek})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.UserByName(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != auth.RoleCoordinator || auth.VerifyPassword("a long password 1", u.PassHash) != nil || u.TOTPSecret != "" {
		t.Errorf("alice: %+v", u)
	}
	p, err := s.UserByName(context.Background(), "ngoa")
	if err != nil {
		t.Fatal(err)
	}
	if p.Partner != "ngo-a" || p.TOTPSecret == "" {
		t.Errorf("ngoa: partner %q, totp enrolled %v", p.Partner, p.TOTPSecret != "")
	}
	if _, err := s.UserByName(context.Background(), "bob"); err == nil {
		t.Error("a refused account was created")
	}
}

// serveOutput lets the test read what serve prints while it runs.
type serveOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *serveOutput) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *serveOutput) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestServe(t *testing.T) {
	db := filepath.Join(t.TempDir(), "muster.db")
	env := map[string]string{"MUSTER_DB": db}
	if code, _, errs := runUserCmd(t, env, "a long password 1\n", "user", "add", "alice", "--role", "admin"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	code, out0, errs := runUserCmd(t, env, "a long password 2\n", "user", "add", "bea", "--role", "admin", "--totp")
	if code != 0 {
		t.Fatalf("user add --totp: %s", errs)
	}
	_, rest, _ := strings.Cut(out0, "secret=")
	secret := strings.FieldsFunc(rest, func(r rune) bool { return r == '&' || r == '\n' })[0]
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &serveOutput{}, &serveOutput{}
	e := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb, Getenv: func(k string) string { return env[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	var url string
	for deadline := time.Now().Add(20 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			if _, rest, ok := strings.Cut(sc.Text(), "serving at "); ok {
				url, _, _ = strings.Cut(rest, " ")
			}
		}
	}
	if url == "" {
		cancel()
		t.Fatalf("serve printed no URL; stderr: %s", errb.String())
	}
	for path, want := range map[string]int{"/healthz": 200, "/login": 200, "/api/status": 401} {
		r, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		if r.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, r.StatusCode, want)
		}
	}
	// serve requires a second factor by default: alice (none) is refused
	// after her password, bea signs in with her code.
	var c *http.Client
	login := func(name, pw, code string) int {
		jar, _ := cookiejar.New(nil)
		c = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		r, err := c.Get(url + "/login")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		_, after, _ := strings.Cut(string(body), `name="login_csrf" value="`)
		csrf, _, _ := strings.Cut(after, `"`)
		r, err = c.PostForm(url+"/login", neturl.Values{"login_csrf": {csrf}, "name": {name}, "password": {pw}, "code": {code}})
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r.StatusCode
	}
	if st := login("alice", "a long password 1", ""); st != http.StatusForbidden {
		t.Errorf("alice without a second factor: %d, want 403", st)
	}
	totp, err := auth.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st := login("bea", "a long password 2", totp); st != http.StatusSeeOther {
		t.Fatalf("bea with her code: %d, want 303", st)
	}
	// Upload, search and read people as staff do, then grep the server's
	// log for every personal value: it must hold ids only.
	personal := []string{"Abdul Rahman", "Rahimi", "Karim", "P0123456", "+93799123456", "0799 123 456", "1399-0101-12345", "rahimi@example.org", "Zarghuna"}
	body := func(r *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	page := body(c.Get(url + "/import"))
	_, after, _ := strings.Cut(page, `name="csrf" value="`)
	csrf, _, _ := strings.Cut(after, `"`)
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("csrf", csrf)
	fw, _ := mw.CreateFormFile("file", "ngo-a.csv")
	io.WriteString(fw, "source,source_id,case_ref,relationship,given_name,family_name,father_name,passport_no,national_id,phone,email,category\n"+
		"ngo-a,a1,F1,principal,Abdul Rahman,Rahimi,Karim,P0123456,1399-0101-12345,0799 123 456,rahimi@example.org,SIV applicant\n"+
		"ngo-a,a2,F1,spouse,Zarghuna,Rahimi,,,,,,SIV applicant\n")
	mw.Close()
	if got := body(c.Post(url+"/import", mw.FormDataContentType(), &mp)); !strings.Contains(got, "2 new people") {
		t.Errorf("upload through serve: %s", got)
	}
	for _, q := range []string{"Rahimi", "P0123456", "0799 123 456", "rahimi@example.org", "Abdul Rahman"} {
		if got := body(c.Get(url + "/search?q=" + neturl.QueryEscape(q))); !strings.Contains(got, "/person/1") {
			t.Errorf("search %q found nobody", q)
		}
	}
	if got := body(c.Get(url + "/person/1")); !strings.Contains(got, "P0123456") {
		t.Error("person page lacks the passport")
	}
	body(c.Get(url + "/case/1"))
	body(c.Get(url + "/login?next=/search%3Fq%3DRahimi"))
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop on cancel")
	}
	// The access log is JSON with route patterns, not paths with queries.
	logs := errb.String()
	if !strings.Contains(logs, `"route":"GET /healthz"`) || !strings.Contains(logs, `"route":"GET /search"`) {
		t.Errorf("no access log lines for /healthz and /search in %q", logs)
	}
	for _, v := range personal {
		if strings.Contains(logs, v) {
			t.Errorf("serve's log holds %q", v)
		}
	}
}

// TestServeStopsOnPurge: `muster purge` run beside a serving process stops
// it, since its memory still holds the data key.
func TestServeStopsOnPurge(t *testing.T) {
	db := filepath.Join(t.TempDir(), "muster.db")
	env := map[string]string{"MUSTER_DB": db}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb := &serveOutput{}, &serveOutput{}
	e := &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: errb, Getenv: func(k string) string { return env[k] }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, []string{"serve", "--addr", "127.0.0.1:0"}) }()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "serving at") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if code, _, errs := runUserCmd(t, env, "", "purge", "--yes-destroy-all-data"); code != 0 {
		t.Fatalf("purge: exit %d: %s", code, errs)
	}
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(errb.String(), "purged; stopping") {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve still running after a purge")
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"muster/internal/store"
	"muster/internal/store/storetest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// browser is a signed-in HTTP client of one server.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var (
	reLoginToken = regexp.MustCompile(`name="login_csrf" value="([^"]+)"`)
	reToken      = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

func signIn(t *testing.T, base, name, pw string) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	m := reLoginToken.FindStringSubmatch(b.get("/login"))
	if m == nil {
		t.Fatalf("%s/login has no login_csrf", base)
	}
	resp, err := b.c.PostForm(base+"/login", url.Values{"login_csrf": {m[1]}, "name": {name}, "password": {pw}, "next": {"/dashboard"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if mm := reToken.FindStringSubmatch(string(body)); mm != nil {
		b.csrf = mm[1]
	} else {
		t.Fatalf("sign-in at %s: status %d, no csrf token", base, resp.StatusCode)
	}
	return b
}

func (b *browser) get(path string) string {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

func (b *browser) status() store.Status {
	b.t.Helper()
	var st store.Status
	if err := json.Unmarshal([]byte(b.get("/api/status")), &st); err != nil {
		b.t.Fatalf("%s/api/status: %v", b.base, err)
	}
	return st
}

func (b *browser) upload(name, content string) int {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf)
	fw, _ := mw.CreateFormFile("file", name)
	io.WriteString(fw, content)
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+"/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (b *browser) setStage(personID int64, stage string) int {
	b.t.Helper()
	resp, err := b.c.PostForm(fmt.Sprintf("%s/person/%d/stage", b.base, personID), url.Values{"csrf": {b.csrf}, "stage": {stage}, "reason": {"cleared by coordinator"}})
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTwoServersShareOneDatabase runs two `muster serve` processes'
// worth of servers on one PostgreSQL database and checks that each sees
// what was written through the other.
func TestTwoServersShareOneDatabase(t *testing.T) {
	dsn := storetest.NewPostgres(t)
	env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
	var out, errs bytes.Buffer
	e := &Env{Stdin: strings.NewReader("correct horse battery staple\n"), Stdout: &out, Stderr: &errs, Getenv: func(k string) string { return env[k] }}
	if code := run(context.Background(), e, []string{"user", "add", "coord", "--role", "coordinator"}); code != 0 {
		t.Fatalf("user add: %s", errs.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var bases []string
	for i := 0; i < 2; i++ {
		addr := freeAddr(t)
		bases = append(bases, "http://"+addr)
		logs := &lockedBuffer{}
		se := &Env{Stdin: strings.NewReader(""), Stdout: logs, Stderr: logs, Getenv: func(k string) string { return env[k] }}
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(ctx, se, []string{"serve", "--addr", addr, "--require-totp=false"})
		}()
	}
	defer wg.Wait()
	defer cancel()
	for _, base := range bases {
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get(base + "/healthz")
			if err == nil {
				resp.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not come up: %v", base, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	a := signIn(t, bases[0], "coord", "correct horse battery staple")
	b := signIn(t, bases[1], "coord", "correct horse battery staple")

	reg, err := os.ReadFile("testdata/registrations.csv")
	if err != nil {
		t.Fatal(err)
	}
	if code := a.upload("registrations.csv", string(reg)); code >= 400 {
		t.Fatalf("upload to A: status %d", code)
	}
	if st := b.status(); st.Totals.Registered != 6 {
		t.Fatalf("B sees %d people after A's import, want 6", st.Totals.Registered)
	}
	if code := b.setStage(1, "withdrawn"); code >= 400 {
		t.Fatalf("stage change on B: status %d", code)
	}
	if st := a.status(); st.Totals.Withdrawn != 1 || st.Totals.StillLeft != 5 {
		t.Fatalf("A sees %+v after B's stage change", st.Totals)
	}
}

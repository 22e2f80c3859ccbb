package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/auth"
	"muster/internal/intake"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// fastParams keep logins cheap in tests; the stored hash carries them.
var fastParams = auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

const testPassword = "correct horse battery staple"

// clock is a settable test clock shared by the store and the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one server on a fresh database with an account per role and
// people from two partners.
type env struct {
	t     *testing.T
	st    *store.Store
	srv   *Server
	ts    *httptest.Server
	clock *clock
	logs  *syncBuffer
	// ids of partner A's and partner B's first person and case
	personA, caseA, personB, caseB int64
	totp                           string // secret of the "totp" account
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Personal values the fixtures insert; no log line may contain any.
var personal = []string{"Abdul Rahman", "medical", "Rahimi", "Karim", "P0123456", "+93799123456", "Farida", "Noori", "P7654321", "+93700111222", "Zarghuna", "1399-0101-12345"}

var fixture = []muster.Record{
	{Source: "ngo-a", SourceID: "a1", CaseRef: "F1", Relationship: "principal", Given: "Abdul Rahman", Family: "Rahimi", Father: "Karim", Sex: "M",
		DOB: muster.Date{Year: 1986, Month: 8, Day: 3, Precision: muster.PrecisionDay}, Passport: "P0123456", NationalID: "1399-0101-12345", Phones: []string{"+93799123456"}, Category: muster.CategorySIVApplicant,
		Needs: []string{"medical"}},
	{Source: "ngo-a", SourceID: "a2", CaseRef: "F1", Relationship: "spouse", Given: "Zarghuna", Family: "Rahimi", Sex: "F", Category: muster.CategorySIVApplicant},
	{Source: "ngo-b", SourceID: "b1", CaseRef: "G7", Relationship: "principal", Given: "Farida", Family: "Noori", Sex: "F",
		Passport: "P7654321", Phones: []string{"+93700111222"}, Category: muster.CategoryRefugeeReferral},
}

// accounts: one per role, partner users for both partners, one with TOTP.
var accounts = []store.User{
	{Name: "admin", Role: auth.RoleAdmin},
	{Name: "coord", Role: auth.RoleCoordinator},
	{Name: "case", Role: auth.RoleCaseworker},
	{Name: "screen", Role: auth.RoleScreener},
	{Name: "gate", Role: auth.RoleGate, Gate: "north"},
	{Name: "partnera", Role: auth.RolePartner, Partner: "ngo-a"},
	{Name: "partnerb", Role: auth.RolePartner, Partner: "ngo-b"},
}

// roleUser names the account that stands for each role in the route test.
var roleUser = map[string]string{
	auth.RoleAdmin: "admin", auth.RoleCoordinator: "coord", auth.RoleCaseworker: "case",
	auth.RoleScreener: "screen", auth.RoleGate: "gate", auth.RolePartner: "partnera",
}

func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2021, 8, 20, 9, 30, 0, 0, time.UTC)}
	kek := make([]byte, 32)
	rand.Read(kek)
	st, err := store.Open(ctx, dsn, store.Options{KEK: kek, Now: clk.Now, OperationName: "Test airlift"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, clock: clk, logs: &syncBuffer{}}
	for _, a := range accounts {
		u := a
		if u.PassHash, err = auth.HashPassword(testPassword, fastParams); err != nil {
			t.Fatal(err)
		}
		if err := st.AddUser(ctx, "test", &u); err != nil {
			t.Fatal(err)
		}
	}
	secret, _, err := auth.NewTOTP("muster", "totp")
	if err != nil {
		t.Fatal(err)
	}
	e.totp = secret
	hash, _ := auth.HashPassword(testPassword, fastParams)
	if err := st.AddUser(ctx, "test", &store.User{Name: "totp", Role: auth.RoleCoordinator, PassHash: hash, TOTPSecret: secret}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Import(ctx, "test", append([]muster.Record(nil), fixture...), nil); err != nil {
		t.Fatal(err)
	}
	for _, src := range []struct {
		partner   string
		person, c *int64
	}{{"ngo-a", &e.personA, &e.caseA}, {"ngo-b", &e.personB, &e.caseB}} {
		ps, err := st.People(ctx, store.PeopleFilter{Scope: store.Scope{Partner: src.partner}, Limit: 1})
		if err != nil || len(ps) != 1 {
			t.Fatalf("people of %s: %v %v", src.partner, ps, err)
		}
		*src.person, *src.c = ps[0].ID, ps[0].CaseID
	}
	e.srv = New(Config{Store: st, Now: clk.Now, MaxFailures: 3, LockFor: 10 * time.Minute, PasswordParams: fastParams,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	t.Cleanup(func() {
		// No personal value may reach a log line, whatever the test did.
		logs := e.logs.String()
		for _, v := range personal {
			if strings.Contains(logs, v) {
				t.Errorf("log contains personal value %q", v)
			}
		}
	})
	return e
}

// client is a browser: a cookie jar that does not follow redirects.
type client struct {
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status int
	loc    string
	body   string
	header http.Header
}

func (c *client) do(req *http.Request) resp {
	c.e.t.Helper()
	r, err := c.c.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, r.Header.Get("Location"), string(b), r.Header}
}

func (c *client) get(path string) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("GET", c.e.ts.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values) resp {
	c.e.t.Helper()
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postFile posts a multipart form with a file field "file".
func (c *client) postFile(path string, fields map[string]string, name, content string) resp {
	c.e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	io.WriteString(fw, content)
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var (
	reLoginCSRF = regexp.MustCompile(`name="login_csrf" value="([^"]+)"`)
	reCSRF      = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// tryLogin submits the login form and returns the response.
func (c *client) tryLogin(name, pw, code string) resp {
	c.e.t.Helper()
	m := reLoginCSRF.FindStringSubmatch(c.get("/login").body)
	if m == nil {
		c.e.t.Fatal("no login_csrf on /login")
	}
	return c.post("/login", url.Values{"login_csrf": {m[1]}, "name": {name}, "password": {pw}, "code": {code}, "next": {"/"}})
}

// login signs in and remembers the session's CSRF token.
func (c *client) login(name string) *client {
	c.e.t.Helper()
	if r := c.tryLogin(name, testPassword, ""); r.status != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: status %d: %s", name, r.status, r.body)
	}
	r := c.get("/")
	if r.status == http.StatusSeeOther {
		r = c.get(r.loc)
	}
	m := reCSRF.FindStringSubmatch(r.body)
	if m == nil {
		c.e.t.Fatalf("login %s: no csrf token on the first page (%d)", name, r.status)
	}
	c.csrf = m[1]
	return c
}

func csvOf(rows ...string) string {
	return "source,source_id,case_ref,relationship,given_name,family_name,father_name,full_name,native_name,sex,date_of_birth,place_of_birth,nationalities,passport_no,national_id,phone,email,category\n" +
		strings.Join(rows, "\n") + "\n"
}

func (e *env) status(scope store.Scope) *store.Status {
	e.t.Helper()
	st, err := e.st.Status(context.Background(), scope)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// fill substitutes a route pattern's wildcards with partner A's records.
func (e *env) fill(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	if rc, ok := routeCases[pattern]; ok && rc.Path != nil {
		return method, rc.Path(e.t, e)
	}
	path = strings.TrimSuffix(path, "{$}")
	path = strings.ReplaceAll(path, "{file}", "muster.css")
	if path == "/api/gate/bundle" {
		path += "?gate=north"
	}
	id := e.personA
	if strings.HasPrefix(path, "/case/") {
		id = e.caseA
	}
	path = strings.ReplaceAll(path, "{id}", fmt.Sprint(id))
	return method, path
}

// routeCase tells the route test how to reach a route: Path makes the
// fixtures the route needs and returns the path to request (called for
// each request, so a POST that uses its fixture up gets a fresh one);
// Send sends the request (nil: a GET, or a POST carrying only the CSRF
// token). A feature's own _test.go file registers its routes' cases in
// routeCases from init(), and their permissions in pinnedPerms, so that
// adding pages does not mean editing this file.
type routeCase struct {
	Path func(t *testing.T, e *env) string
	Send func(e *env, c *client, path string) resp
}

var routeCases = map[string]routeCase{
	"POST /import": {Send: func(e *env, c *client, path string) resp {
		return c.postFile(path, map[string]string{"csrf": c.csrf}, "more.csv",
			csvOf("ngo-a,a9,F9,principal,Test,Person,,,,M,1990,,AF,,,,,other_at_risk"))
	}},
	"POST /api/gate/sync": {Send: func(e *env, c *client, path string) resp {
		req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(`{"gate":"north","checkins":[]}`))
		req.Header.Set("Content-Type", "application/json")
		return c.do(req)
	}},
	// A wrong phrase: the access check is what is tested here; TestPurge
	// does the real thing.
	"POST /admin/purge": {Send: func(e *env, c *client, path string) resp {
		return c.post(path, url.Values{"csrf": {c.csrf}, "confirm": {"no"}})
	}},
	// Sign out an account no other check uses.
	"POST /admin/users/{id}": {
		Path: func(t *testing.T, e *env) string {
			u, err := e.st.UserByName(context.Background(), "totp")
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("/admin/users/%d", u.ID)
		},
		Send: func(e *env, c *client, path string) resp {
			return c.post(path, url.Values{"csrf": {c.csrf}, "action": {"signout"}})
		},
	},
	"POST /person/{id}/stage": {Send: sendStage},
	"POST /case/{id}/stage":   {Send: sendStage},
}

func sendStage(e *env, c *client, path string) resp {
	return c.post(path, url.Values{"csrf": {c.csrf}, "stage": {"resolved"}})
}

// send requests one route as client c.
func (e *env) send(c *client, pattern, method, path string) resp {
	e.t.Helper()
	if rc, ok := routeCases[pattern]; ok && rc.Send != nil {
		return rc.Send(e, c, path)
	}
	if method == "GET" {
		return c.get(path)
	}
	return c.post(path, url.Values{"csrf": {c.csrf}})
}

// TestRoutesAgainstPermissionTable walks every route for every role (and
// for no session) and checks the answer against internal/auth's table.
func TestRoutesAgainstPermissionTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		routes := e.srv.Routes()
		if len(routes) < 10 {
			t.Fatalf("only %d routes", len(routes))
		}
		clients := map[string]*client{}
		for role, name := range roleUser {
			clients[role] = e.client().login(name)
		}
		for _, rt := range routes {
			if !auth.Known(rt.Perm) {
				t.Errorf("route %q needs %q, which is not in the permission table", rt.Pattern, rt.Perm)
			}
			if rt.Pattern == "POST /login" {
				continue // TestLogin covers it; it needs no permission
			}
			method, path := e.fill(rt.Pattern)
			if rt.Perm == auth.GateDevice {
				// No session of any role opens a gate device route: only
				// a device token does (TestGateAPI).
				for _, role := range append([]string{"anonymous"}, auth.Roles...) {
					c := e.client()
					if role != "anonymous" {
						c = clients[role]
					}
					if r := e.send(c, rt.Pattern, method, path); r.status != http.StatusUnauthorized {
						t.Errorf("%s %s: %d, want 401 (device token only)", role, rt.Pattern, r.status)
					}
				}
				continue
			}
			// Anonymous.
			r := e.send(e.client(), rt.Pattern, method, path)
			switch {
			case rt.Perm == auth.Public:
				if r.status != http.StatusOK {
					t.Errorf("anonymous %s: %d, want 200", rt.Pattern, r.status)
				}
			case method == "GET" && !strings.HasPrefix(path, "/api/"):
				if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
					t.Errorf("anonymous %s: %d %q, want redirect to /login", rt.Pattern, r.status, r.loc)
				}
			default:
				if r.status != http.StatusUnauthorized {
					t.Errorf("anonymous %s: %d, want 401", rt.Pattern, r.status)
				}
			}
			for _, role := range auth.Roles {
				c := clients[role]
				if rt.Pattern == "POST /logout" {
					c = e.client().login(roleUser[role]) // keep the shared session
				}
				_, path := e.fill(rt.Pattern) // fresh fixtures for each request
				r := e.send(c, rt.Pattern, method, path)
				allowed := auth.Allowed(role, rt.Perm)
				// Allowed: the handler ran (a form it refuses on its own
				// grounds, such as a purge without its phrase, still counts).
				ok := r.status == http.StatusOK || r.status == http.StatusUnprocessableEntity ||
					(r.status == http.StatusSeeOther && !strings.HasPrefix(r.loc, "/login?"))
				if allowed && !ok {
					t.Errorf("%s %s: %d %q, want 200 or a redirect (allowed)\n%s", role, rt.Pattern, r.status, r.loc, firstError(r.body))
				}
				if !allowed && r.status != http.StatusForbidden {
					t.Errorf("%s %s: %d, want 403 (not allowed)", role, rt.Pattern, r.status)
				}
			}
		}
	})
}

func firstError(body string) string {
	if i := strings.Index(body, `class="error"`); i >= 0 {
		return body[i:min(len(body), i+300)]
	}
	return ""
}

// TestPartnerIsolation checks that partner B sees nothing of partner A:
// person, case, search results and counts, in pages and the API.
func TestPartnerIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		a, b, admin := e.client().login("partnera"), e.client().login("partnerb"), e.client().login("admin")
		tests := []struct {
			name   string
			c      *client
			path   string
			status int
			has    []string
			hasNot []string
		}{
			{"A reads own person", a, fmt.Sprintf("/person/%d", e.personA), 200, []string{"Abdul Rahman", `<dd id="needs">medical</dd>`}, nil},
			{"B reads A's person", b, fmt.Sprintf("/person/%d", e.personA), 404, nil, []string{"Abdul Rahman", "Rahimi"}},
			{"A reads B's person", a, fmt.Sprintf("/person/%d", e.personB), 404, nil, []string{"Farida"}},
			{"B reads A's case", b, fmt.Sprintf("/case/%d", e.caseA), 404, nil, []string{"Rahimi"}},
			{"A reads own case", a, fmt.Sprintf("/case/%d", e.caseA), 200, []string{"Zarghuna", "Abdul Rahman"}, nil},
			{"B searches A's name", b, "/search?q=Rahimi", 200, []string{"0 found"}, []string{"Abdul Rahman"}},
			{"B searches A's passport", b, "/search?q=P0123456", 200, []string{"0 found"}, []string{"Abdul Rahman"}},
			{"B searches A's phone", b, "/search?q=0799123456", 200, []string{"0 found"}, []string{"Abdul Rahman"}},
			{"B searches A's case number", b, "/search?q=" + store.CaseRef(e.caseA), 200, []string{"0 found"}, []string{"Abdul Rahman"}},
			{"A searches own name", a, "/search?q=Rahimi", 200, []string{"2 found", "Abdul Rahman", "Zarghuna"}, nil},
			{"admin searches by phone as written", admin, "/search?q=0799+123+456", 200, []string{"1 found", "Abdul Rahman"}, nil},
			{"admin searches by case number", admin, "/search?q=" + store.CaseRef(e.caseA), 200, []string{"2 found", "Zarghuna"}, nil},
			{"admin searches by passport", admin, "/search?q=p0123456", 200, []string{"1 found", "Abdul Rahman"}, nil},
			{"B dashboard", b, "/dashboard", 200, []string{`id="total-registered">1<`, "ngo-b only"}, nil},
			{"admin dashboard", admin, "/dashboard", 200, []string{`id="total-registered">3<`}, nil},
		}
		for _, tt := range tests {
			r := tt.c.get(tt.path)
			if r.status != tt.status {
				t.Errorf("%s: status %d, want %d", tt.name, r.status, tt.status)
			}
			for _, s := range tt.has {
				if !strings.Contains(r.body, s) {
					t.Errorf("%s: body lacks %q", tt.name, s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(r.body, s) {
					t.Errorf("%s: body shows %q", tt.name, s)
				}
			}
		}
		// Every search is in the audit chain with its query and results.
		evs, err := e.st.Events(context.Background(), store.EventFilter{Type: EventSearch})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 8 || evs[0].Actor != "user:partnerb" || !strings.Contains(string(evs[0].Data), `"q":"Rahimi","results":0`) {
			t.Errorf("%d search events; first %+v", len(evs), evs[0])
		}
		// The API gives each partner its own numbers, equal to the store's.
		for _, p := range []struct {
			c     *client
			scope store.Scope
			want  int
		}{{a, store.Scope{Partner: "ngo-a"}, 2}, {b, store.Scope{Partner: "ngo-b"}, 1}, {admin, store.Scope{}, 3}} {
			r := p.c.get("/api/status")
			var got store.Status
			if err := json.Unmarshal([]byte(r.body), &got); err != nil {
				t.Fatalf("api/status: %v: %s", err, r.body)
			}
			want := e.status(p.scope)
			if got.Totals != want.Totals || got.Totals.Registered != p.want {
				t.Errorf("api/status %+v: totals %+v, want %+v (registered %d)", p.scope, got.Totals, want.Totals, p.want)
			}
		}
	})
}

func TestLogin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)

		c := e.client()
		if r := c.tryLogin("admin", "wrong password!", ""); r.status != http.StatusUnauthorized || !strings.Contains(r.body, loginFailedMsg) {
			t.Errorf("wrong password: %d", r.status)
		}
		if r := c.tryLogin("nobody", testPassword, ""); r.status != http.StatusUnauthorized || !strings.Contains(r.body, loginFailedMsg) {
			t.Errorf("unknown account: %d", r.status)
		}
		// Without the double-submit token the form is refused.
		if r := e.client().post("/login", url.Values{"name": {"admin"}, "password": {testPassword}}); r.status != http.StatusForbidden {
			t.Errorf("login without login_csrf: %d, want 403", r.status)
		}

		// Lockout: MaxFailures (3) wrong passwords lock the account, and
		// then even the right one fails until LockFor has passed.
		for i := 0; i < 3; i++ {
			e.client().tryLogin("coord", "wrong password!", "")
		}
		if r := e.client().tryLogin("coord", testPassword, ""); r.status != http.StatusUnauthorized {
			t.Errorf("locked account signed in: %d", r.status)
		}
		e.clock.Add(11 * time.Minute)
		if r := e.client().tryLogin("coord", testPassword, ""); r.status != http.StatusSeeOther {
			t.Errorf("after the lock: %d", r.status)
		}

		// Rate limit per address and account: the 6th try within the
		// window is refused before the password is even checked.
		rl := e.client()
		for i := 0; i < limitPerUser; i++ {
			rl.tryLogin("nobody2", "x", "")
		}
		if r := rl.tryLogin("nobody2", "x", ""); r.status != http.StatusTooManyRequests {
			t.Errorf("rate limit: %d, want 429", r.status)
		}

		// TOTP: required, accepted once, not replayable.
		if r := e.client().tryLogin("totp", testPassword, ""); r.status != http.StatusUnauthorized {
			t.Errorf("TOTP account without code: %d", r.status)
		}
		code, _ := auth.TOTPCode(e.totp, e.clock.Now())
		if r := e.client().tryLogin("totp", testPassword, code); r.status != http.StatusSeeOther {
			t.Errorf("TOTP account with code: %d", r.status)
		}
		if r := e.client().tryLogin("totp", testPassword, code); r.status != http.StatusUnauthorized {
			t.Errorf("TOTP code replayed: %d, want 401", r.status)
		}

		// With RequireTOTP, an account without a second factor cannot sign
		// in, a gate account can, and one with TOTP still can.
		e.srv.cfg.RequireTOTP = true
		if r := e.client().tryLogin("case", testPassword, ""); r.status != http.StatusForbidden || !strings.Contains(r.body, "muster user totp case") {
			t.Errorf("RequireTOTP, no factor: %d", r.status)
		}
		if r := e.client().tryLogin("gate", testPassword, ""); r.status != http.StatusSeeOther {
			t.Errorf("RequireTOTP, gate: %d", r.status)
		}
		e.clock.Add(time.Minute)
		code, _ = auth.TOTPCode(e.totp, e.clock.Now())
		if r := e.client().tryLogin("totp", testPassword, code); r.status != http.StatusSeeOther {
			t.Errorf("RequireTOTP, with factor: %d", r.status)
		}
		e.srv.cfg.RequireTOTP = false

		// Session cookie attributes.
		s := e.client()
		r := s.tryLogin("admin", testPassword, "")
		var sc *http.Cookie
		for _, ck := range (&http.Response{Header: r.header}).Cookies() {
			if ck.Name == "muster_session" {
				sc = ck
			}
		}
		if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteStrictMode {
			t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict", sc)
		}
		s = e.client().login("admin")

		// Logout revokes: the old cookie no longer works.
		old := s.c.Jar.Cookies(mustURL(e.ts.URL))
		if r := s.post("/logout", url.Values{"csrf": {s.csrf}}); r.status != http.StatusSeeOther {
			t.Errorf("logout: %d", r.status)
		}
		if evs, _ := e.st.Events(context.Background(), store.EventFilter{Type: "user.logout"}); len(evs) != 1 || evs[0].Actor != "user:admin" {
			t.Errorf("logout events %+v", evs)
		}
		replay := e.client()
		replay.c.Jar.SetCookies(mustURL(e.ts.URL), old)
		if r := replay.get("/dashboard"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
			t.Errorf("revoked session: %d %q, want redirect to login", r.status, r.loc)
		}

		// Expiry.
		x := e.client().login("admin")
		if r := x.get("/dashboard"); r.status != 200 {
			t.Errorf("fresh session: %d", r.status)
		}
		e.clock.Add(13 * time.Hour)
		if r := x.get("/dashboard"); r.status != http.StatusSeeOther {
			t.Errorf("expired session: %d, want redirect", r.status)
		}

		// Open redirect after login is refused.
		if got := safeNext("//evil.example/x"); got != "/" {
			t.Errorf("safeNext(//evil) = %q", got)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestCSRFAndHeaders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		c := e.client().login("case")
		path := fmt.Sprintf("/person/%d/stage", e.personA)
		for _, tt := range []struct {
			name   string
			form   url.Values
			origin string
		}{
			{"no token", url.Values{"stage": {"resolved"}}, ""},
			{"wrong token", url.Values{"stage": {"resolved"}, "csrf": {"x" + c.csrf}}, ""},
			{"other origin", url.Values{"stage": {"resolved"}, "csrf": {c.csrf}}, "https://evil.example"},
		} {
			req, _ := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if r := c.do(req); r.status != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", tt.name, r.status)
			}
		}
		if st := e.status(store.Scope{}); st.ByStage[muster.StageResolved] != 0 {
			t.Errorf("a refused POST changed a stage: %v", st.ByStage)
		}
		r := c.get("/dashboard")
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
			"Referrer-Policy":         "no-referrer",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "no-store",
		} {
			if got := r.header.Get(k); !strings.HasPrefix(got, want) {
				t.Errorf("header %s = %q, want prefix %q", k, got, want)
			}
		}
		// No inline script anywhere: the CSP would block it anyway.
		for _, p := range []string{"/dashboard", "/search?q=Rahimi", fmt.Sprintf("/person/%d", e.personA), fmt.Sprintf("/case/%d", e.caseA), "/import", "/login"} {
			if body := c.get(p).body; strings.Contains(body, "<script") || strings.Contains(body, " style=") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Errorf("%s has inline script/style or an external URL", p)
			}
		}
	})
}

// TestStageChange checks that a stage change lands, counts, and is
// recorded with the acting user.
func TestStageChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		c := e.client().login("case")
		if r := c.post(fmt.Sprintf("/person/%d/stage", e.personA), url.Values{"csrf": {c.csrf}, "stage": {"departed"}, "reason": {"flight 1"}}); r.status != http.StatusSeeOther {
			t.Fatalf("stage: %d %s", r.status, firstError(r.body))
		}
		if r := c.post(fmt.Sprintf("/case/%d/stage", e.caseB), url.Values{"csrf": {c.csrf}, "stage": {"approved"}}); r.status != http.StatusSeeOther {
			t.Fatalf("case stage: %d", r.status)
		}
		if r := c.post(fmt.Sprintf("/person/%d/stage", e.personA), url.Values{"csrf": {c.csrf}, "stage": {"flying"}}); r.status != http.StatusBadRequest {
			t.Errorf("unknown stage: %d, want 400", r.status)
		}
		if r := c.post("/person/999999/stage", url.Values{"csrf": {c.csrf}, "stage": {"approved"}}); r.status != http.StatusNotFound {
			t.Errorf("unknown person: %d, want 404", r.status)
		}
		st := e.status(store.Scope{})
		if st.Totals.Out != 1 || st.ByStage[muster.StageApproved] != 1 || st.Throughput[23] != 1 {
			t.Errorf("after stage changes: totals %+v by stage %v throughput %v", st.Totals, st.ByStage, st.Throughput)
		}
		evs, err := e.st.Events(context.Background(), store.EventFilter{Type: muster.EventStage})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 {
			t.Fatalf("%d stage events, want 2", len(evs))
		}
		for _, ev := range evs {
			if ev.Actor != "user:case" {
				t.Errorf("stage event actor %q, want user:case", ev.Actor)
			}
		}
		// Reading the person page is itself recorded.
		c.get(fmt.Sprintf("/person/%d", e.personA))
		reads, _ := e.st.Events(context.Background(), store.EventFilter{Type: muster.EventRead, PersonID: e.personA})
		if len(reads) != 1 || reads[0].Actor != "user:case" {
			t.Errorf("read events %+v", reads)
		}
		// The dashboard shows the same totals as the store.
		body := c.get("/dashboard").body
		for id, n := range map[string]int{"total-registered": st.Totals.Registered, "total-out": st.Totals.Out, "total-left": st.Totals.StillLeft} {
			if want := fmt.Sprintf(`id="%s">%d<`, id, n); !strings.Contains(body, want) {
				t.Errorf("dashboard lacks %s", want)
			}
		}
		if !strings.Contains(body, "<svg") || !strings.Contains(body, "1 departed in the last 24 hours") {
			t.Error("dashboard lacks its charts")
		}
		// The dashboard refreshes itself (no script needed); a form page
		// must not, or it would drop what is being typed.
		if !strings.Contains(body, `<meta http-equiv="refresh" content="60">`) {
			t.Error("dashboard does not refresh")
		}
		if strings.Contains(c.get(fmt.Sprintf("/person/%d", e.personA)).body, "http-equiv") {
			t.Error("person page refreshes")
		}
	})
}

func TestImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		admin := e.client().login("coord")
		pa := e.client().login("partnera")
		before := e.status(store.Scope{}).Totals.Registered
		tests := []struct {
			name    string
			c       *client
			fields  map[string]string
			file    string
			content string
			status  int
			added   int
			has     []string
		}{
			{"good file", admin, nil, "ok.csv", csvOf(
				"ngo-c,c1,H1,principal,Mohammad,Karimi,,,,M,1365/05/12,Kabul,Afghan,P1111111,,0700 222 333,,SIV applicant",
				"ngo-c,c2,H1,spouse,Mariam,Karimi,,,,F,1990,,AF,,,,,siv_applicant"), 200, 2, []string{"Imported 2 rows: 2 new people"}},
			{"re-import updates nothing", admin, nil, "ok.csv", csvOf(
				"ngo-c,c1,H1,principal,Mohammad,Karimi,,,,M,1365/05/12,Kabul,Afghan,P1111111,,0700 222 333,,SIV applicant",
				"ngo-c,c2,H1,spouse,Mariam,Karimi,,,,F,1990,,AF,,,,,siv_applicant"), 200, 0, []string{"2 unchanged"}},
			{"one bad row refuses the file", admin, nil, "bad.csv", csvOf(
				"ngo-c,c3,H2,principal,Ahmad,Zahir,,,,M,1980,,AF,,,,,citizen",
				"ngo-c,c4,H2,spouse,Laila,Zahir,,,,Q,1982,,AF,,,,,citizen",
				"ngo-c,,H2,child,Omid,Zahir,,,,M,2010,,AF,,,,,citizen"), 422, 0, []string{"Nothing was imported", "<td>3</td><td>sex</td>", "<td>4</td><td>source_id</td>"}},
			{"file without source uses the form's", admin, map[string]string{"source": "ngo-d"}, "nosrc.csv",
				"source_id,given_name,family_name,category\nd1,Nadia,Rasuli,other_at_risk\n", 200, 1, []string{"1 new people"}},
			{"partner's rows get the partner's source", pa, nil, "mine.csv",
				"source_id,given_name,family_name,category\npa1,Hamid,Sadat,other_at_risk\n", 200, 1, []string{"as source <strong>ngo-a</strong>"}},
			{"partner may not import another's rows", pa, nil, "theirs.csv", csvOf(
				"ngo-b,b77,,principal,Wali,Ahmadi,,,,M,1970,,AF,,,,,citizen"), 422, 0, []string{"only import their own organisation", "<td>2</td><td>source</td>"}},
			{"not a registration file", admin, nil, "x.csv", "hello\n", 400, 0, nil},
		}
		total := before
		for _, tt := range tests {
			fields := map[string]string{"csrf": tt.c.csrf}
			for k, v := range tt.fields {
				fields[k] = v
			}
			r := tt.c.postFile("/import", fields, tt.file, tt.content)
			if r.status != tt.status {
				t.Errorf("%s: status %d, want %d: %s", tt.name, r.status, tt.status, firstError(r.body))
			}
			for _, s := range tt.has {
				if !strings.Contains(r.body, s) {
					t.Errorf("%s: page lacks %q", tt.name, s)
				}
			}
			total += tt.added
			if got := e.status(store.Scope{}).Totals.Registered; got != total {
				t.Errorf("%s: %d registered, want %d", tt.name, got, total)
			}
		}
		// The partner's upload is theirs: partner A now has 3 people.
		if got := e.status(store.Scope{Partner: "ngo-a"}).Totals.Registered; got != 3 {
			t.Errorf("partner A has %d people, want 3", got)
		}
		evs, _ := e.st.Events(context.Background(), store.EventFilter{Type: muster.EventImported, Partner: "ngo-a"})
		if n := len(evs); n == 0 || evs[n-1].Actor != "user:partnera" {
			t.Errorf("partner import events: %+v", evs)
		}
	})
}

func TestUploadTooLarge(t *testing.T) {
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	e.srv.cfg.MaxUpload = 1 << 20
	c := e.client().login("coord")
	big := csvOf(strings.Repeat("ngo-a,x,,,,,,,,,,,,,,,,\n", 60000))
	r := c.postFile("/import", map[string]string{"csrf": c.csrf}, "big.csv", big)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "too large") {
		t.Errorf("oversize upload: %d %s", r.status, firstError(r.body))
	}
}

func TestNotFoundAndHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		c := e.client().login("admin")
		for _, p := range []string{"/person/0", "/person/abc", "/person/99999", "/case/99999", "/nope", "/static/nope.css"} {
			if r := c.get(p); r.status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", p, r.status)
			}
		}
		g := e.client().login("gate")
		if r := g.get("/"); r.status != 200 || !strings.Contains(r.body, "gate_checkin") {
			t.Errorf("gate home: %d", r.status)
		}
		if r := c.get("/"); r.status != http.StatusSeeOther || r.loc != "/dashboard" {
			t.Errorf("admin home: %d %q", r.status, r.loc)
		}
		// API errors are JSON.
		r := e.client().get("/api/status")
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, `"error": "unauthorized"`) {
			t.Errorf("anonymous api: %d %s", r.status, r.body)
		}
	})
}

func TestListenAndServe(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	e := newEnv(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- e.srv.ListenAndServe(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	u := <-urls
	r, err := http.Get(u + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Errorf("healthz: %d", r.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// pinnedPerms is every route's permission; features add theirs from
// init() in their own test files (see routeCase).
var pinnedPerms = map[string]auth.Permission{
	"GET /login":              auth.Public,
	"POST /login":             auth.Public,
	"GET /static/{file}":      auth.Public,
	"GET /healthz":            auth.Public,
	"POST /logout":            auth.SignedIn,
	"GET /{$}":                auth.SignedIn,
	"GET /dashboard":          auth.ViewDashboard,
	"GET /api/status":         auth.ViewDashboard,
	"GET /export/counts.csv":  auth.ExportCounts,
	"GET /search":             auth.Search,
	"GET /person/{id}":        auth.ViewPerson,
	"POST /person/{id}/stage": auth.SetStage,
	"GET /case/{id}":          auth.ViewCase,
	"POST /case/{id}/stage":   auth.SetStage,
	"GET /import":             auth.Import,
	"POST /import":            auth.Import,
	"GET /api/gate/bundle":    auth.GateDevice,
	"POST /api/gate/sync":     auth.GateDevice,
	"GET /admin/purge":        auth.Purge,
	"POST /admin/purge":       auth.Purge,
	"GET /admin/users":        auth.ManageUsers,
	"POST /admin/users/{id}":  auth.ManageUsers,
}

// TestRoutePermissions pins each route's permission, so that loosening one
// (say, person pages to any signed-in account, gate officers included) is
// a deliberate edit of this list too and not a one-word slip in routes.go.
func TestRoutePermissions(t *testing.T) {
	want := pinnedPerms
	got := map[string]auth.Permission{}
	for _, r := range (&Server{}).routeTable() {
		if _, dup := got[r.Pattern]; dup {
			t.Errorf("route %q listed twice", r.Pattern)
		}
		got[r.Pattern] = r.Perm
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("route permissions (-want +got):\n%s", diff)
	}
}

func TestPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		calls := 0
		e.srv.cfg.Purge = func(ctx context.Context) error { calls++; return nil }
		c := e.client().login("admin")
		if r := c.get("/admin/purge"); r.status != 200 || !strings.Contains(r.body, PurgePhrase) {
			t.Fatalf("purge form: %d", r.status)
		}
		for _, f := range []url.Values{
			{"csrf": {c.csrf}, "confirm": {"destroy"}, "password": {testPassword}},
			{"csrf": {c.csrf}, "confirm": {PurgePhrase}, "password": {"wrong password!"}},
		} {
			if r := c.post("/admin/purge", f); r.status != http.StatusUnprocessableEntity || calls != 0 {
				t.Errorf("purge with %v: %d, %d calls", f["confirm"], r.status, calls)
			}
		}
		r := c.post("/admin/purge", url.Values{"csrf": {c.csrf}, "confirm": {PurgePhrase}, "password": {testPassword}})
		if r.status != 200 || calls != 1 || !strings.Contains(r.body, `id="purged"`) {
			t.Errorf("purge: %d, %d calls", r.status, calls)
		}
		if r := c.get("/dashboard"); r.status != http.StatusGone {
			t.Errorf("after purge: %d, want 410", r.status)
		}
		evs, _ := e.st.Events(context.Background(), store.EventFilter{Type: muster.EventPurge})
		if len(evs) != 1 || evs[0].Actor != "user:admin" {
			t.Errorf("purge events %+v", evs)
		}
	})
}

// postFiles posts a multipart form with several files: field -> {name, content}.
func (c *client) postFiles(path string, fields map[string]string, files map[string][2]string) resp {
	c.e.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for field, f := range files {
		fw, _ := mw.CreateFormFile(field, f[0])
		io.WriteString(fw, f[1])
	}
	mw.Close()
	req, _ := http.NewRequest("POST", c.e.ts.URL+path, &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestImportWithMapping uploads partner files with other headers: an XLSX
// with broken rows (the page lists the same line, column and reason as
// intake reports to the CLI, and nothing is written) and a CSV that lands.
func TestImportWithMapping(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		c := e.client().login("coord")
		xlsx, err := os.ReadFile("testdata/messy.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		mapping, err := os.ReadFile("testdata/messy.map")
		if err != nil {
			t.Fatal(err)
		}
		before := e.status(store.Scope{}).Totals.Registered
		r := c.postFiles("/import", map[string]string{"csrf": c.csrf}, map[string][2]string{
			"file": {"messy.xlsx", string(xlsx)}, "mapping": {"messy.map", string(mapping)}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("messy.xlsx: %d, want 422: %s", r.status, firstError(r.body))
		}
		m, err := intake.ParseMapping(bytes.NewReader(mapping), "messy.map")
		if err != nil {
			t.Fatal(err)
		}
		op, _ := e.st.Operation(context.Background())
		want, err := intake.Read(bytes.NewReader(xlsx), "messy.xlsx", intake.FormatXLSX, intake.Options{Mapping: m, Categories: op.Categories, Now: e.clock.Now()})
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Rejected) == 0 {
			t.Fatal("fixture has no broken rows")
		}
		for _, re := range want.Rejected {
			row := fmt.Sprintf("<tr><td>%d</td><td>%s</td><td>%s</td><td>%s</td></tr>", re.Line, template.HTMLEscapeString(re.Column),
				template.HTMLEscapeString(re.Value), template.HTMLEscapeString(re.Reason))
			if !strings.Contains(r.body, row) {
				t.Errorf("page lacks the CLI's error %s", row)
			}
		}
		if got := e.status(store.Scope{}).Totals.Registered; got != before {
			t.Errorf("a refused upload wrote: %d people, want %d", got, before)
		}

		r = c.postFiles("/import", map[string]string{"csrf": c.csrf}, map[string][2]string{
			"file":    {"ngo-y.csv", "Ref,Name of Applicant,Category\nY1,Ahmad Shah Popal,SIV\nY2,Bibi Gul,Refugee\n"},
			"mapping": {"ngo-y.map", "source = ngo-y\nsource_id = Ref\nfull_name = Name of Applicant\ncategory = Category\ncategory: SIV=siv_applicant, Refugee=refugee_referral\n"}})
		if r.status != 200 || !strings.Contains(r.body, "2 new people") {
			t.Errorf("mapped CSV: %d %s", r.status, firstError(r.body))
		}
		// An upload is resolved on arrival, as `muster import` does.
		if got := e.status(store.Scope{Partner: "ngo-y"}).Counts[muster.CategorySIVApplicant][muster.StageResolved]; got != 1 {
			t.Errorf("ngo-y SIV applicants resolved: %d, want 1", got)
		}
	})
}

func TestExportCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		// Six more SIV applicants for ngo-a, so that one cell reaches SmallCell.
		var rows []string
		// Six different people: resolution on upload must keep them apart.
		for i, n := range []string{"Nasir Wardak", "Hamid Sultani", "Jawad Haidari", "Tariq Noori", "Khalid Safi", "Wahid Amiri"} {
			g, f, _ := strings.Cut(n, " ")
			rows = append(rows, fmt.Sprintf("ngo-a,s%d,,principal,%s,%s,,,,M,19%d,,AF,,,,,siv_applicant", i, g, f, 70+i))
		}
		c := e.client().login("coord")
		if r := c.postFile("/import", map[string]string{"csrf": c.csrf}, "six.csv", csvOf(rows...)); r.status != 200 {
			t.Fatalf("import: %d", r.status)
		}
		tests := []struct {
			user string
			want []string // category,stage,people,suppressed lines
		}{
			{"coord", []string{"siv_applicant,resolved,8,", "refugee_referral,resolved,,1", "citizen,resolved,0,"}},
			{"partnera", []string{"siv_applicant,resolved,8,", "refugee_referral,resolved,0,"}},
			{"partnerb", []string{"siv_applicant,resolved,0,", "refugee_referral,resolved,,1"}},
		}
		for _, tt := range tests {
			r := e.client().login(tt.user).get("/export/counts.csv")
			if r.status != 200 {
				t.Fatalf("%s: %d", tt.user, r.status)
			}
			lines := strings.Split(r.body, "\n")
			if lines[1] != "#meta+operation,#date+reported,#group+category,#status+stage,#population+num,#meta+suppressed" {
				t.Errorf("HXL row %q", lines[1])
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, ","+w+"\n") {
					t.Errorf("%s: export lacks %q:\n%s", tt.user, w, r.body)
				}
			}
			for _, v := range personal {
				if strings.Contains(r.body, v) {
					t.Errorf("%s: export holds %q", tt.user, v)
				}
			}
		}
		evs, _ := e.st.Events(context.Background(), store.EventFilter{Type: muster.EventExport})
		if len(evs) != 3 || evs[2].Actor != "user:partnerb" {
			t.Errorf("export events %+v", evs)
		}
	})
}

// TestGateAPI checks that the gate device endpoints are mounted and open
// only to a live token of the gate the request names.
func TestGateAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ctx := context.Background()
		for _, g := range []string{"north", "south"} {
			if err := e.st.AddGate(ctx, "test", store.GateConfig{Name: g, Open: 6 * time.Hour, Close: 18 * time.Hour, Window: time.Hour, Capacity: 50}); err != nil {
				t.Fatal(err)
			}
		}
		tok, err := e.st.NewGateToken(ctx, "test", "north")
		if err != nil {
			t.Fatal(err)
		}
		get := func(gate, tok string) int {
			req, _ := http.NewRequest("GET", e.ts.URL+"/api/gate/bundle?gate="+gate, nil)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			return e.client().do(req).status
		}
		if st := get("north", tok); st != 200 {
			t.Errorf("own gate: %d, want 200", st)
		}
		if st := get("south", tok); st != http.StatusForbidden {
			t.Errorf("other gate: %d, want 403", st)
		}
		if st := get("north", ""); st != http.StatusUnauthorized {
			t.Errorf("no token: %d, want 401", st)
		}
		if _, err := e.st.RevokeGateTokens(ctx, "test", "north"); err != nil {
			t.Fatal(err)
		}
		if st := get("north", tok); st != http.StatusUnauthorized {
			t.Errorf("revoked token: %d, want 401", st)
		}
	})
}

func TestUsersAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ctx := context.Background()
		admin := e.client().login("admin")
		pb := e.client().login("partnerb")
		page := admin.get("/admin/users")
		if page.status != 200 || !strings.Contains(page.body, "<td>partnerb</td><td>partner</td><td>ngo-b</td>") || strings.Contains(page.body, "$argon2id") {
			t.Fatalf("accounts page: %d", page.status)
		}
		u, _ := e.st.UserByName(ctx, "partnerb")
		me, _ := e.st.UserByName(ctx, "admin")
		act := func(id int64, action string) resp {
			return admin.post(fmt.Sprintf("/admin/users/%d", id), url.Values{"csrf": {admin.csrf}, "action": {action}})
		}
		if r := act(u.ID, "disable"); r.status != http.StatusSeeOther {
			t.Fatalf("disable: %d %s", r.status, firstError(r.body))
		}
		if r := pb.get("/dashboard"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
			t.Errorf("disabled account's session still works: %d", r.status)
		}
		if r := e.client().tryLogin("partnerb", testPassword, ""); r.status != http.StatusUnauthorized {
			t.Errorf("disabled account signed in: %d", r.status)
		}
		if r := act(u.ID, "enable"); r.status != http.StatusSeeOther {
			t.Fatalf("enable: %d", r.status)
		}
		pb = e.client().login("partnerb")
		if r := act(u.ID, "signout"); r.status != http.StatusSeeOther {
			t.Fatalf("signout: %d", r.status)
		}
		if r := pb.get("/dashboard"); r.status != http.StatusSeeOther {
			t.Errorf("signed-out session still works: %d", r.status)
		}
		if r := act(me.ID, "disable"); r.status != http.StatusBadRequest {
			t.Errorf("self-disable: %d, want 400", r.status)
		}
		if r := act(99999, "signout"); r.status != http.StatusNotFound {
			t.Errorf("unknown account: %d, want 404", r.status)
		}
		evs, _ := e.st.Events(ctx, store.EventFilter{Type: "user.disabled"})
		if len(evs) != 2 || evs[0].Actor != "user:admin" {
			t.Errorf("user.disabled events %+v", evs)
		}
	})
}

// A search shows at most SearchLimit people and says when it found more;
// the audit event names only the people shown.
func TestSearchLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		admin := e.client().login("admin")
		rows := regexp.MustCompile(`<tr><td><a href="/person/`)
		for _, c := range []struct {
			limit int
			says  string
			rows  int
		}{
			{1, "More than 1 found: these are the first 1; narrow the search", 1},
			{2, "2 found.", 2},
			{50, "2 found.", 2},
		} {
			e.srv.cfg.SearchLimit = c.limit
			r := admin.get("/search?q=Rahimi")
			if r.status != 200 || !strings.Contains(r.body, c.says) {
				t.Errorf("limit %d: %d, want %q in:\n%s", c.limit, r.status, c.says, r.body)
			}
			if n := len(rows.FindAllString(r.body, -1)); n != c.rows {
				t.Errorf("limit %d: %d people shown, want %d", c.limit, n, c.rows)
			}
		}
		evs, err := e.st.Events(context.Background(), store.EventFilter{Type: EventSearch})
		if err != nil || len(evs) != 3 {
			t.Fatalf("%d search events, %v", len(evs), err)
		}
		if !strings.Contains(string(evs[0].Data), `"results":1`) {
			t.Errorf("the limited search's event: %s", evs[0].Data)
		}
	})
}

package web

import (
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"muster"
	"muster/internal/auth"
	"muster/internal/store"
)

// route is one line of routes.go: a ServeMux pattern, the permission it
// needs and its handler.
type route struct {
	Pattern string
	Perm    auth.Permission
	Handle  func(w http.ResponseWriter, r *http.Request, rq *request) error
}

// request is what a handler knows about its caller.
type request struct {
	user  *store.User // nil on public routes without a session
	token string
	sess  *store.Session
	info  *reqInfo
}

// actor is how events name the acting user.
func (rq *request) actor() string { return "user:" + rq.user.Name }

// scope is what the user may see: a partner only their organisation.
func (rq *request) scope() store.Scope {
	if rq.user.Role == auth.RolePartner {
		return store.Scope{Partner: rq.user.Partner}
	}
	return store.Scope{}
}

func (rq *request) can(p auth.Permission) bool {
	return rq.user != nil && auth.Allowed(rq.user.Role, p)
}

func (s *Server) cookieName() string {
	if s.cfg.Secure {
		return "__Host-muster_session"
	}
	return "muster_session"
}

func (s *Server) loginCookieName() string {
	if s.cfg.Secure {
		return "__Host-muster_login"
	}
	return "muster_login"
}

// wrap applies the route's access rule: session, permission, partner
// scope, same-origin and CSRF checks, then runs the handler and renders
// its error.
func (s *Server) wrap(rt route) http.Handler {
	api := strings.Contains(rt.Pattern, " /api/")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(reqInfoKey{}).(*reqInfo)
		if info == nil {
			info = &reqInfo{}
		}
		info.pattern = rt.Pattern
		rq := &request{info: info}
		if c, err := r.Cookie(s.cookieName()); err == nil && c.Value != "" {
			s.authenticate(r, rq, c.Value)
		}
		fail := func(err error) {
			if api {
				s.writeJSONError(w, rq, err)
			} else {
				s.renderError(w, r, rq, err)
			}
		}
		// Gate device routes authenticate the device's own token in the
		// handler; no session opens them.
		if rt.Perm != auth.Public && auth.AccountPermission(rt.Perm) {
			if rq.user == nil {
				if r.Method == http.MethodGet && !api {
					http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
					return
				}
				fail(muster.Errorf(muster.EUNAUTHORIZED, "sign in first"))
				return
			}
			if !auth.Allowed(rq.user.Role, rt.Perm) {
				fail(muster.Errorf(muster.EFORBIDDEN, "your role (%s) may not do this", rq.user.Role))
				return
			}
			// A partner account without an organisation would get the
			// zero Scope, which sees everything; refuse it outright.
			if rq.user.Role == auth.RolePartner && rq.user.Partner == "" {
				fail(muster.Errorf(muster.EFORBIDDEN, "this partner account has no organisation; ask an administrator"))
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !s.sameOrigin(r) {
				fail(muster.Errorf(muster.EFORBIDDEN, "cross-site request refused"))
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUpload)
			if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
				// Keep every uploaded part in memory: the default spills
				// parts over 32 MiB to temporary files, which would leave
				// registration lists in clear on the disk. The body is
				// already capped at MaxUpload.
				err := r.ParseMultipartForm(s.cfg.MaxUpload)
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					fail(muster.Errorf(muster.EINVALID, "the upload is too large: %d MiB at most", s.cfg.MaxUpload>>20))
					return
				} else if err == nil {
					defer r.MultipartForm.RemoveAll()
				}
			}
			if rq.sess != nil && rt.Perm != auth.Public && auth.AccountPermission(rt.Perm) {
				if !tokenEqual(r.FormValue("csrf"), rq.sess.CSRF) {
					fail(muster.Errorf(muster.EFORBIDDEN, "the form expired or came from elsewhere: reload the page and try again"))
					return
				}
			}
		}
		if err := rt.Handle(w, r, rq); err != nil {
			if statusOf(err) >= 500 {
				// The error text may come from the driver; it names ids,
				// never personal values (those are sealed before SQL).
				s.log.Error("handler", "req", info.id, "route", rt.Pattern, "err", err)
			}
			fail(err)
		}
	})
}

// authenticate fills rq from a session token, if it is live and its
// account is enabled.
func (s *Server) authenticate(r *http.Request, rq *request, token string) {
	sess, err := s.store.SessionByToken(r.Context(), token)
	if err != nil {
		return
	}
	u, err := s.store.UserByID(r.Context(), sess.UserID)
	if err != nil || u.Disabled {
		return
	}
	rq.user, rq.sess, rq.token = u, sess, token
	rq.info.userID = u.ID
}

func tokenEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin refuses a state-changing request that a browser marks as
// coming from another site. SameSite=Strict cookies and the CSRF token
// already stop such requests; this is the belt to those braces, and it
// also covers the login form. Sec-Fetch-Site is the reliable signal: with
// Referrer-Policy no-referrer, browsers send "Origin: null" on same-site
// form posts, so a null Origin alone proves nothing either way.
func (s *Server) sameOrigin(r *http.Request) bool {
	if fetch := r.Header.Get("Sec-Fetch-Site"); fetch != "" {
		return fetch == "same-origin" || fetch == "none"
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

const loginFailedMsg = "Wrong name, password or code, or the account is locked for a while after too many failures."

type loginData struct {
	Next      string
	Name      string
	Error     string
	LoginCSRF string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.user != nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	}
	return s.renderLogin(w, r, rq, http.StatusOK, loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

// renderLogin shows the login form with a fresh double-submit token: the
// form carries it and a cookie carries it, and a cross-site form can set
// neither.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, rq *request, status int, d loginData) error {
	d.LoginCSRF = auth.Token(24)
	http.SetCookie(w, &http.Cookie{Name: s.loginCookieName(), Value: d.LoginCSRF, Path: "/", HttpOnly: true,
		Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	return s.render(w, r, rq, status, "login", "Sign in", d)
}

// safeNext keeps a post-login redirect on this site: a path of plain URL
// characters only, since browsers drop tabs and newlines and read "\\" as
// "/", which would turn "/\t/evil.example" into another site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/"
	}
	for _, c := range next {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/-_.~%?=&+", c)) {
			return "/"
		}
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	name := strings.TrimSpace(r.PostFormValue("name"))
	pw := r.PostFormValue("password")
	code := r.PostFormValue("code")
	d := loginData{Next: safeNext(r.PostFormValue("next")), Name: name}
	c, err := r.Cookie(s.loginCookieName())
	if err != nil || !tokenEqual(c.Value, r.PostFormValue("login_csrf")) {
		d.Error = "The sign-in form expired: try again."
		return s.renderLogin(w, r, rq, http.StatusForbidden, d)
	}
	ip := clientIP(r)
	if !s.limiter.allow(ip, name) {
		s.log.Warn("login rate limited", "req", rq.info.id)
		d.Error = "Too many failed attempts from here: wait a few minutes and try again."
		return s.renderLogin(w, r, rq, http.StatusTooManyRequests, d)
	}
	failed := func(u *store.User, reason string) error {
		s.limiter.fail(ip, name)
		if u != nil {
			if err := s.store.LoginFailed(ctx, u.ID, s.cfg.MaxFailures, s.cfg.LockFor); err != nil {
				return err
			}
			s.log.Warn("login failed", "req", rq.info.id, "user_id", u.ID, "reason", reason)
		} else {
			s.log.Warn("login failed", "req", rq.info.id, "reason", reason)
		}
		d.Error = loginFailedMsg
		return s.renderLogin(w, r, rq, http.StatusUnauthorized, d)
	}
	select {
	case s.hashing <- struct{}{}:
		defer func() { <-s.hashing }()
	case <-ctx.Done():
		return ctx.Err()
	}
	u, err := s.store.UserByName(ctx, name)
	if muster.ErrorCode(err) == muster.ENOTFOUND {
		auth.VerifyPassword(pw, s.dummy())
		return failed(nil, "unknown account")
	} else if err != nil {
		return err
	}
	now := s.now()
	if u.Disabled || u.LockedUntil.After(now) {
		auth.VerifyPassword(pw, s.dummy())
		return failed(nil, "locked or disabled")
	}
	if err := auth.VerifyPassword(pw, u.PassHash); err != nil {
		if !errors.Is(err, auth.ErrMismatch) {
			s.log.Error("stored password hash unreadable", "req", rq.info.id, "user_id", u.ID)
		}
		return failed(u, "password")
	}
	if u.TOTPSecret == "" && s.cfg.RequireTOTP && auth.NeedsSecondFactor(u.Role) {
		// Said only after the password matched, so it tells an attacker
		// nothing they could use.
		s.log.Warn("login refused: no second factor", "req", rq.info.id, "user_id", u.ID)
		d.Error = "Your account has no second factor yet, and this server requires one: ask an administrator to run `muster user totp " + u.Name + "` and scan the code."
		return s.renderLogin(w, r, rq, http.StatusForbidden, d)
	}
	if u.TOTPSecret != "" {
		step, ok := auth.VerifyTOTP(u.TOTPSecret, code, now)
		if ok {
			// A code already used (replayed, or read over a shoulder) is
			// refused on every server sharing the database.
			if ok, err = s.store.UseTOTPStep(ctx, u.ID, step); err != nil {
				return err
			}
		}
		if !ok {
			return failed(u, "second factor")
		}
	}
	token, csrf := auth.Token(32), auth.Token(32)
	if err := s.store.CreateSession(ctx, token, store.Session{UserID: u.ID, CSRF: csrf, Expires: now.Add(s.cfg.SessionTTL)}); err != nil {
		return err
	}
	s.limiter.reset(ip, name)
	rq.info.userID = u.ID
	s.log.Info("login", "req", rq.info.id, "user_id", u.ID, "role", u.Role)
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: token, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: int(s.cfg.SessionTTL / time.Second)})
	http.SetCookie(w, &http.Cookie{Name: s.loginCookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := s.store.RevokeSession(r.Context(), rq.token); err != nil {
		return err
	}
	if err := s.store.AppendEvent(r.Context(), &muster.Event{Actor: rq.actor(), Type: "user.logout"}); err != nil {
		return err
	}
	s.log.Info("logout", "req", rq.info.id, "user_id", rq.user.ID)
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// limiter counts failed logins per client address and per address and
// account name in fixed windows. The store's lockout protects an account
// against many addresses; this protects the server against one address
// trying many accounts. It is per process: on PostgreSQL with several
// servers the store's lockout still applies across all of them.
type limiter struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

const (
	limitWindow  = 5 * time.Minute
	limitPerUser = 5  // failures per address and account name per window
	limitPerIP   = 30 // failures per address per window
)

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, m: map[string]*window{}}
}

func (l *limiter) count(key string) int {
	w := l.m[key]
	if w == nil || l.now().Sub(w.start) > limitWindow {
		return 0
	}
	return w.n
}

func (l *limiter) allow(ip, name string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count("ip\x00"+ip) < limitPerIP && l.count("u\x00"+ip+"\x00"+strings.ToLower(name)) < limitPerUser
}

func (l *limiter) fail(ip, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.m) > 100_000 {
		for k, w := range l.m {
			if now.Sub(w.start) > limitWindow {
				delete(l.m, k)
			}
		}
	}
	for _, k := range []string{"ip\x00" + ip, "u\x00" + ip + "\x00" + strings.ToLower(name)} {
		w := l.m[k]
		if w == nil || now.Sub(w.start) > limitWindow {
			w = &window{start: now}
			l.m[k] = w
		}
		w.n++
	}
}

func (l *limiter) reset(ip, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, "u\x00"+ip+"\x00"+strings.ToLower(name))
}

// Package web is muster's browser interface and JSON API: server-rendered
// pages (html/template, embedded, parsed at start-up), sessions, CSRF
// protection and the access checks of internal/auth applied to every route.
//
// Every route is one line in routes.go and names the permission it needs;
// the store's Scope keeps partner users to their own organisation. Logs
// carry ids only: never a name, document number, phone or search query.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"muster"
	"muster/internal/auth"
	"muster/internal/gateapi"
	"muster/internal/ops"
	"muster/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config configures a Server.
type Config struct {
	Store  *store.Store
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Secure marks cookies Secure (serve behind TLS) and uses the __Host-
	// cookie prefix.
	Secure bool
	// SessionTTL is how long a session lasts; 0 means 12 hours (one shift).
	SessionTTL time.Duration
	// MaxFailures is how many wrong logins lock an account; 0 means 10.
	MaxFailures int
	// LockFor is how long a locked account stays locked; 0 means 15 minutes.
	LockFor time.Duration
	// MaxUpload is the largest accepted upload in bytes; 0 means 64 MiB.
	MaxUpload int64
	// RequireTOTP refuses sign-in to accounts of every role but gate that
	// have no second factor enrolled (issue 6: a phished password alone
	// must not open muster).
	RequireTOTP bool
	// PasswordParams are the argon2id costs accounts are hashed with; a
	// login naming no account spends the same time on a dummy hash of
	// these. Zero means auth.DefaultParams.
	PasswordParams auth.Params
	// Purge, when set, destroys the key file and the database's data key
	// (cmd/muster wires it to what `muster purge` does). The admin's purge
	// button calls it; without it the button explains how to purge.
	Purge func(ctx context.Context) error
	// Screener answers /api/screen and is reloaded when any server sharing
	// the database loads a list version; nil means no lists (503).
	Screener *ops.Screener
	// Resolver links the registrations an upload brings against everyone
	// resolved so far (see ops.Resolver); nil makes one over Store.
	Resolver *ops.Resolver
	// SearchLimit is the most people a search shows; 0 means 50. A search
	// that finds more says so and asks for a narrower one: a page of 200
	// decrypted people for a common family name showed more than anyone
	// reads and cost the most of any page under load.
	SearchLimit int
}

// Server serves the UI and the API. It implements http.Handler.
type Server struct {
	cfg     Config
	store   *store.Store
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	pages   map[string]*template.Template
	routes  []route
	limiter *limiter

	purged atomic.Bool // after a purge every request gets 410
	// hashing bounds concurrent argon2id verifications: each takes 64 MiB,
	// and 200 people signing in at the start of a shift must not take
	// 12 GiB.
	hashing chan struct{}
	dummy   func() string // a hash to verify against when no account matches
	gate    http.Handler  // internal/gateapi, for gate devices
}

// New returns a Server for cfg. It panics if the embedded templates do not
// parse, which a test catches before any release.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.MaxFailures == 0 {
		cfg.MaxFailures = 10
	}
	if cfg.SearchLimit == 0 {
		cfg.SearchLimit = 50
	}
	if cfg.LockFor == 0 {
		cfg.LockFor = 15 * time.Minute
	}
	if cfg.PasswordParams == (auth.Params{}) {
		cfg.PasswordParams = auth.DefaultParams
	}
	if cfg.MaxUpload == 0 {
		cfg.MaxUpload = 64 << 20
	}
	if cfg.Resolver == nil && cfg.Store != nil {
		cfg.Resolver = ops.NewResolver(cfg.Store)
	}
	s := &Server{cfg: cfg, store: cfg.Store, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(),
		limiter: newLimiter(cfg.Now), hashing: make(chan struct{}, max(2, runtime.NumCPU()))}
	s.gate = gateapi.Handler(cfg.Store, gateapi.Options{Logger: cfg.Logger})
	s.dummy = sync.OnceValue(func() string {
		h, _ := auth.HashPassword("muster-no-such-account", cfg.PasswordParams)
		return h
	})
	var err error
	if s.pages, err = parseTemplates(); err != nil {
		panic(err)
	}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		if !auth.Known(rt.Perm) {
			panic("web: route " + rt.Pattern + " needs unknown permission " + string(rt.Perm))
		}
		s.mux.Handle(rt.Pattern, s.wrap(rt))
	}
	return s
}

// Routes lists every route's pattern and permission, for tests and docs.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, r := range s.routes {
		out[i] = RouteInfo{Pattern: r.Pattern, Perm: r.Perm}
	}
	return out
}

// RouteInfo is a route's pattern and the permission it needs.
type RouteInfo struct {
	Pattern string
	Perm    auth.Permission
}

// ListenAndServe serves on addr until ctx is done, then shuts down
// gracefully, letting requests in flight finish for up to 10 seconds. ready,
// when not nil, is called with the base URL once the port is open (addr may
// name port 0).
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large uploads on a slow link
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go s.followLists(ctx) // screening.go: keep cfg.Screener current
	scheme := "http"
	if s.cfg.Secure {
		scheme = "https"
	}
	if ready != nil {
		ready(scheme + "://" + ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// securityHeaders are sent on every response. The CSP allows no inline
// script or style and no framing; pages load only their own CSS.
var securityHeaders = map[string]string{
	"Content-Security-Policy":    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
	"Referrer-Policy":            "no-referrer",
	"X-Content-Type-Options":     "nosniff",
	"X-Frame-Options":            "DENY",
	"Cross-Origin-Opener-Policy": "same-origin",
	"Permissions-Policy":         "camera=(), microphone=(), geolocation=()",
}

// ServeHTTP sets the security headers, logs the request by route pattern
// (never the query string, which may hold a searched name) and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range securityHeaders {
		h.Set(k, v)
	}
	if s.cfg.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	start := s.now()
	info := &reqInfo{id: auth.Token(6)}
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			// The panic value might quote data; log only that it happened
			// and where.
			s.log.Error("panic", "req", info.id, "route", info.pattern)
			if !sw.wrote {
				http.Error(sw, "internal error", http.StatusInternalServerError)
			}
		}
		s.log.Info("http", "req", info.id, "method", r.Method, "route", info.pattern, "status", sw.status,
			"user_id", info.userID, "ms", s.now().Sub(start).Milliseconds())
	}()
	if s.purged.Load() {
		http.Error(sw, "this operation's data was purged", http.StatusGone)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info))
	s.mux.ServeHTTP(sw, r)
}

type reqInfoKey struct{}

// reqInfo collects what the access log may say about a request.
type reqInfo struct {
	id      string
	pattern string
	userID  int64
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// httpStatus is the one table from muster error codes to HTTP statuses.
var httpStatus = map[string]int{
	muster.ECONFLICT:     http.StatusConflict,
	muster.EINVALID:      http.StatusBadRequest,
	muster.ENOTFOUND:     http.StatusNotFound,
	muster.EUNAUTHORIZED: http.StatusUnauthorized,
	muster.EFORBIDDEN:    http.StatusForbidden,
	muster.EPURGED:       http.StatusGone,
	muster.EINTERNAL:     http.StatusInternalServerError,
}

// errorMessage returns what the user may read about err: the message of a
// muster.Error, or a generic line with the request id for anything else
// (whose text may hold SQL or driver details).
func errorMessage(err error, reqID string) string {
	var me *muster.Error
	if errors.As(err, &me) && me.Code != muster.EINTERNAL {
		return me.Message
	}
	return fmt.Sprintf("Something went wrong on the server (reference %s). Try again; if it persists, give the reference to an administrator.", reqID)
}

func statusOf(err error) int {
	if st, ok := httpStatus[muster.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

package gate

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pageTmpl = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"inc": func(i int) int { return i + 1 },
}).ParseFS(templateFS, "templates/page.html"))

// Handler serves the officer's page:
//
//	GET  /             the page: scanner input, verdict, the open case
//	POST /scan         one scanner or keyboard input (form field input)
//	POST /admit        admit a person with no document on file (pass, index)
//	POST /clear        close the open case
//	GET  /status       the device's state as JSON
//	GET  /static/...   the stylesheet
//
// The page has no script at all (a scanner acting as a keyboard types into
// a form and presses Enter), forms carry a per-process CSRF token, and the
// Content-Security-Policy forbids inline script and style.
func (g *Gate) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", g.page)
	mux.HandleFunc("POST /scan", g.form(func(r *http.Request) { g.Scan(r.Context(), r.PostFormValue("input")) }))
	mux.HandleFunc("POST /admit", g.form(func(r *http.Request) {
		i, err := strconv.Atoi(r.PostFormValue("index"))
		if err != nil {
			i = -1
		}
		g.AdmitWithoutDocument(r.Context(), r.PostFormValue("pass"), i)
	}))
	mux.HandleFunc("POST /clear", g.form(func(*http.Request) { g.Clear() }))
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(g.status(r.Context()))
	})
	return secure(mux)
}

func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host) {
			// A web page the officer opens elsewhere could point a domain
			// name at 127.0.0.1 (DNS rebinding) and read this page: only
			// "localhost" and IP addresses are answered.
			http.Error(w, "use http://localhost:PORT or the device's IP address", http.StatusMisdirectedRequest)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

// form checks the CSRF token, runs fn and redirects to the page (so that
// reloading does not scan again).
func (g *Gate) form(fn func(*http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(g.csrf)) != 1 {
			http.Error(w, "stale page: reload", http.StatusForbidden)
			return
		}
		fn(r)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}
}

type pageData struct {
	Status Status
	Result *Result
	Pass   *PassView
	CSRF   string
}

func (g *Gate) page(w http.ResponseWriter, r *http.Request) {
	d := g.pageData(r.Context())
	// Rendered whole before sending, so that a template error is a 500,
	// never half a page the officer might misread.
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		g.log.Error("gate page", "err", err)
		http.Error(w, "gate page failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}

func (g *Gate) pageData(ctx context.Context) pageData {
	d := pageData{Status: g.status(ctx), CSRF: g.csrf}
	g.mu.Lock()
	defer g.mu.Unlock()
	d.Result = g.last
	if g.last != nil && g.last.Pass != nil {
		d.Pass = g.last.Pass
	}
	if g.current != "" {
		if p, err := g.r.passByID(ctx, g.current); err == nil && p != nil {
			d.Pass = view(p)
		}
	}
	return d
}

// hostAllowed accepts a Host header naming localhost or an IP address.
func hostAllowed(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	_, err = netip.ParseAddr(h)
	return err == nil
}

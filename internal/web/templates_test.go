package web

import (
	"io/fs"
	"regexp"
	"testing"
)

// cspBreakers matches what the Content-Security-Policy would block or what
// would load from elsewhere: script elements, inline event handlers, style
// attributes, javascript: URLs and absolute URLs to other sites.
var cspBreakers = regexp.MustCompile(`(?i)<script|\son[a-z]+\s*=|\sstyle\s*=|javascript:|(src|href|action)\s*=\s*"(https?:)?//`)

// TestTemplatesKeepTheCSP checks every embedded template, whoever wrote it.
func TestTemplatesKeepTheCSP(t *testing.T) {
	for _, s := range []string{`<script src="/static/x.js">`, `<a onclick="x()">`, `<div style="color:red">`, `<a href="javascript:x">`, `<img src="https://cdn.example/x.png">`, `<link href="//cdn.example/x.css">`} {
		if !cspBreakers.MatchString(s) {
			t.Errorf("the check misses %s", s)
		}
	}
	for _, s := range []string{`<a href="/person/1">`, `<form action="/import">`, `<svg viewBox="0 0 1 1">`} {
		if cspBreakers.MatchString(s) {
			t.Errorf("the check refuses %s", s)
		}
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("templates: %v %v", files, err)
	}
	for _, f := range files {
		b, _ := fs.ReadFile(templateFS, f)
		for _, m := range cspBreakers.FindAllIndex(b, -1) {
			t.Errorf("%s: %q breaks the CSP or loads from elsewhere", f, b[m[0]:min(len(b), m[1]+30)])
		}
	}
	if _, err := parseTemplates(); err != nil {
		t.Error(err)
	}
}

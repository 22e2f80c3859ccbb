package web

import (
	"strings"
	"testing"
)

// FuzzSafeNext: whatever a login link carries in next=, the redirect after
// sign-in stays on this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/person/3", "//evil.example", "/\\evil.example", "https://evil.example", "", "javascript:alert(1)", "/%2F%2Fevil", "/\t/evil.example", "/\n/evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		// Browsers drop tabs and newlines and read a backslash as a slash
		// before resolving; the result must stay a path on this site.
		norm := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(got)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(norm, "//") {
			t.Fatalf("safeNext(%q) = %q leaves the site", s, got)
		}
	})
}

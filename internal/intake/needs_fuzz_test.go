package intake

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseNeeds: any text gives known need codes, each once, and reading
// the codes back gives the same codes.
func FuzzParseNeeds(f *testing.F) {
	for _, s := range []string{"medical; wheelchair", "Pregnant", "n/a", "disability, medical, medical", "", "مریض", "other/none"} {
		f.Add(s)
	}
	known := []string{NeedMedical, NeedDisability, NeedPregnant, NeedOther}
	f.Fuzz(func(t *testing.T, s string) {
		got := ParseNeeds(s)
		for i, c := range got {
			if !slices.Contains(known, c) {
				t.Fatalf("ParseNeeds(%q) = %q: unknown code %q", s, got, c)
			}
			if slices.Contains(got[:i], c) {
				t.Fatalf("ParseNeeds(%q) = %q: %q twice", s, got, c)
			}
		}
		if again := ParseNeeds(strings.Join(got, "; ")); !slices.Equal(again, got) {
			t.Fatalf("ParseNeeds(%q) = %q, but its codes read back as %q", s, got, again)
		}
	})
}

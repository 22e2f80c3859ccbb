package lists

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CountryCode returns the ISO 3166-1 alpha-2 code of a country name as the
// lists write it ("Afghanistan", "Korea, North", "Iran (Islamic Republic
// of)", "the Russian Federation"), or "" when the name is not known. A bare
// two-letter code is returned upper-cased when it is one the table knows.
func CountryCode(name string) string {
	k := normCountry(name)
	if k == "" {
		return ""
	}
	if c, ok := countryNames[k]; ok {
		return c
	}
	// "Iran (Islamic Republic of)" and "Korea, Republic of": try the part
	// before the bracket or comma, then the comma parts swapped.
	if i := strings.IndexByte(name, '('); i > 0 {
		if c := CountryCode(name[:i]); c != "" {
			return c
		}
	}
	if i := strings.IndexByte(name, ','); i > 0 {
		if c, ok := countryNames[normCountry(name[i+1:]+" "+name[:i])]; ok {
			return c
		}
	}
	if c, ok := countryNames[strings.TrimPrefix(k, "the ")]; ok {
		return c
	}
	if len(k) == 2 {
		up := strings.ToUpper(k)
		for _, c := range countryNames {
			if c == up {
				return c
			}
		}
	}
	return ""
}

// normCountry folds case, strips diacritics and punctuation, and collapses
// spaces: "Côte d'Ivoire" -> "cote d ivoire".
func normCountry(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

package resolve

import (
	"strings"
	"unicode/utf8"
)

// The generic string measures below serve the English-language benchmarks
// (FEBRL, Splink) and the non-name fields of registrations. Names of
// registrations go through the name engine instead.

// runesOf decodes s into buf when it fits, so the hot comparison path does not
// allocate for ordinary names.
func runesOf(s string, buf []rune) []rune {
	buf = buf[:0]
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}

// JaroWinkler returns the Jaro-Winkler similarity of a and b in [0, 1] with
// the usual prefix scale 0.1 over at most 4 characters.
func JaroWinkler(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	var ba, bb [64]rune
	ra, rb := runesOf(a, ba[:0]), runesOf(b, bb[:0])
	j := jaro(ra, rb)
	if j <= 0.7 {
		return j
	}
	l := 0
	for l < 4 && l < len(ra) && l < len(rb) && ra[l] == rb[l] {
		l++
	}
	return j + float64(l)*0.1*(1-j)
}

func jaro(a, b []rune) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	win := lb/2 - 1
	if win < 0 {
		win = 0
	}
	var fa, fb [128]bool
	var ma, mb []bool
	if la <= 128 && lb <= 128 {
		ma, mb = fa[:la], fb[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-win), min(lb, i+win+1)
		for k := lo; k < hi; k++ {
			if !mb[k] && a[i] == b[k] {
				ma[i], mb[k] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	fm := float64(m)
	return (fm/float64(la) + fm/float64(lb) + (fm-float64(t)/2)/fm) / 3
}

// WithinOneEdit reports whether a and b differ by at most one insertion,
// deletion, substitution or transposition of adjacent characters: the typo
// tolerance for document numbers and dates.
func WithinOneEdit(a, b string) bool {
	if a == b {
		return true
	}
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	if la-lb > 1 || lb-la > 1 {
		return false
	}
	var ba, bb [64]rune
	ra, rb := runesOf(a, ba[:0]), runesOf(b, bb[:0])
	i := 0
	for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
		i++
	}
	switch {
	case len(ra) == len(rb):
		if eqRunes(ra[i+1:], rb[i+1:]) {
			return true // substitution
		}
		return i+1 < len(ra) && ra[i] == rb[i+1] && ra[i+1] == rb[i] && eqRunes(ra[i+2:], rb[i+2:])
	case len(ra) < len(rb):
		return eqRunes(ra[i:], rb[i+1:])
	default:
		return eqRunes(ra[i+1:], rb[i:])
	}
}

func eqRunes(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TokenJaccard is the share of distinct whitespace-separated tokens two
// strings have in common; word order and extra words ("1st baron") do not
// matter.
func TokenJaccard(a, b string) float64 {
	ta, tb := strings.Fields(a), strings.Fields(b)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	inter := 0
	for i, x := range ta {
		if indexOf(ta[:i], x) >= 0 {
			continue
		}
		if indexOf(tb, x) >= 0 {
			inter++
		}
	}
	union := len(dedupe(ta)) + len(dedupe(tb)) - inter
	return float64(inter) / float64(union)
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

func dedupe(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if indexOf(out, s) < 0 {
			out = append(out, s)
		}
	}
	return out
}

// Soundex returns the American Soundex code of an English name, or "" when
// it has no ASCII letter: a blocking key that survives most misspellings.
func Soundex(s string) string {
	const codes = "01230120022455012623010202" // a..z
	var out [4]byte
	n := 0
	var last byte
	for i := 0; i < len(s) && n < 4; i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c < 'a' || c > 'z' {
			continue
		}
		code := codes[c-'a']
		if n == 0 {
			out[0] = c - 'a' + 'A'
			n = 1
			last = code
			continue
		}
		if c == 'h' || c == 'w' {
			continue
		}
		if code != '0' && code != last {
			out[n] = code
			n++
		}
		last = code
	}
	if n == 0 {
		return ""
	}
	for n < 4 {
		out[n] = '0'
		n++
	}
	return string(out[:])
}

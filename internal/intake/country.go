package intake

//go:generate go run gen_countries.go

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// countryEntry is one row of the generated countryTable.
type countryEntry struct {
	Alpha2, Alpha3, Name string
	Forms                []string // common and official names, demonyms, variants
}

var (
	countryByCode = map[string]string{} // alpha-2 and alpha-3, upper case
	countryByForm = map[string]string{} // folded names and demonyms
	// countryCollisions records folded forms claimed by two countries;
	// a test keeps it empty.
	countryCollisions []string
)

func init() {
	for _, c := range countryTable {
		countryByCode[c.Alpha2] = c.Alpha2
		countryByCode[c.Alpha3] = c.Alpha2
		for _, f := range append([]string{c.Name}, c.Forms...) {
			for _, k := range countryKeys(f) {
				if old, ok := countryByForm[k]; ok && old != c.Alpha2 {
					countryCollisions = append(countryCollisions, k+": "+old+" "+c.Alpha2)
					continue
				}
				countryByForm[k] = c.Alpha2
			}
		}
	}
	// Codes in use that are not ISO alpha-2: ICAO's D for Germany (on
	// passports), UK for GB.
	countryByCode["UK"] = "GB"
}

// countryKeys returns the lookup keys of a name: its folded form and, for
// "Korea, Republic of", also "Republic of Korea".
func countryKeys(name string) []string {
	keys := []string{foldCountry(name)}
	if a, b, ok := strings.Cut(name, ", "); ok && !strings.Contains(b, ",") {
		keys = append(keys, foldCountry(b+" "+a))
	}
	return keys
}

// Values that mean "no value" in a nationality column: not countries, and
// not to be read as the codes NO (Norway) or NA (Namibia).
var noNationality = map[string]bool{
	"no": true, "na": true, "n/a": true, "none": true, "nil": true, "-": true, "--": true,
	"unknown": true, "not known": true, "unk": true, "?": true, "nan": true, "null": true,
}

// Country resolves a nationality or country as partners write it to its
// ISO 3166-1 alpha-2 code: alpha-2 and alpha-3 codes, English names (short,
// common and official, "Korea, Republic of" either way round), demonyms
// ("Afghan", "American", "British", "Palestinian"), and a few names in
// Persian script. Case, accents and punctuation do not matter, and
// "citizen of", "national" and similar words around the name are ignored.
// Kosovo is XK.
func Country(s string) (code string, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 100 {
		return "", false
	}
	if noNationality[s] || noNationality[strings.ToLower(s)] && s != strings.ToUpper(s) {
		return "", false
	}
	if len(s) <= 3 && isASCIILetters(s) {
		if c, ok := countryByCode[strings.ToUpper(s)]; ok {
			return c, true
		}
	}
	k := foldCountry(s)
	if c, ok := countryByForm[k]; ok {
		return c, true
	}
	for _, w := range []string{"citizen of ", "national of ", "citizenship ", "nationality "} {
		if t, ok := strings.CutPrefix(k, w); ok {
			k = t
		}
	}
	for _, w := range []string{" citizen", " national", " nationality", " citizenship", " passport", " passport holder"} {
		if t, ok := strings.CutSuffix(k, w); ok {
			k = t
		}
	}
	k = strings.TrimPrefix(k, "the ")
	if c, ok := countryByForm[k]; ok {
		return c, true
	}
	return "", false
}

func isASCIILetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}

var stripMarks = runes.Remove(runes.In(unicode.Mn))

// foldCountry folds a name for lookup: accents and Arabic vowel marks off,
// lower case, Arabic letter variants to Persian ones, punctuation to
// spaces (dots vanish, so U.S.A. is usa), single spaces, no leading "the".
func foldCountry(s string) string {
	t, _, err := transform.String(transform.Chain(norm.NFKD, stripMarks, norm.NFC), s)
	if err != nil {
		t = s
	}
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(t) {
		switch r {
		case '.', '\u200c', '\u0640':
			continue
		case 'ي', 'ى':
			r = 'ی'
		case 'ك':
			r = 'ک'
		case 'ة':
			r = 'ه'
		case 'ß':
			b.WriteString("ss")
			space = false
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return strings.TrimPrefix(b.String(), "the ")
}

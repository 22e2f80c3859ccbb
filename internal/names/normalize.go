// Package names owns muster's understanding of personal names: Unicode and
// letter-variant normalisation, transliteration of Arabic-script
// (Dari, Pashto, Arabic) names into a Latin key space, name structure
// (titles, particles, patronymics, optional tribal parts), a
// transliteration-aware similarity with an explanation, and keys for
// candidate retrieval. It is pure: no I/O, all tables are Go source.
package names

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in muster's canonical written form, keeping its
// script: NFKC, case-folded, Latin diacritics and Arabic vowel marks and
// tatweel removed, Arabic/Persian/Pashto letter variants unified (so that
// the same name typed on an Arabic, Persian or Pashto keyboard compares
// equal), Arabic-Indic and Persian digits made ASCII, punctuation turned
// into spaces and runs of spaces collapsed. Apostrophes and the ayn/hamza
// signs used in romanisation (Sa'id, Ma‘ruf) are deleted rather than
// spaced, because they sit inside one word.
func Normalize(s string) string { return normalize(s, true) }

// normalize is Normalize; with unify false it keeps the Arabic-script
// letter variants (Pashto ۍ, hamza alefs, teh marbuta), which tell the
// transliterator more than their unified forms.
func normalize(s string, unify bool) string {
	if isASCII(s) {
		return normalizeASCII(s)
	}
	s = norm.NFKC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true // suppress leading spaces
	for _, r := range s {
		var out rune
		if _, variant := arabicVariant[r]; !unify && r >= 0x0600 && variant {
			out = r
		} else {
			out = normRune(r)
		}
		switch out {
		case dropRune:
			continue
		case ' ':
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		if out == multiRune {
			// Latin letters that decompose into more than one rune or
			// that NFD does not split (ø, ł, ß, æ).
			b.WriteString(latinSpecial[r])
			space = false
			continue
		}
		b.WriteRune(out)
		space = false
	}
	res := b.String()
	return strings.TrimRight(res, " ")
}

const (
	dropRune  rune = -1
	multiRune rune = -2
)

var latinSpecial = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ð': "d",
	'Ð': "d", 'þ': "th", 'Þ': "th", 'ı': "i", 'ħ': "h", 'Ħ': "h",
	'ŀ': "l", 'ĸ': "k", 'ŉ': "n", 'ſ': "s",
}

// arabicVariant unifies letters that different keyboards and orthographies
// use for the same sound in names. The target is the plain Arabic letter
// (or the Persian one where Arabic has none), so Normalize keeps the script.
var arabicVariant = map[rune]rune{
	'ی': 'ي', 'ى': 'ي', 'ې': 'ي', 'ۍ': 'ي', 'ئ': 'ي', 'ێ': 'ي', 'ے': 'ي', 'ۑ': 'ي',
	'ک': 'ك', 'ڪ': 'ك', 'ګ': 'گ', 'ڭ': 'گ',
	'ة': 'ه', 'ۀ': 'ه', 'ە': 'ه', 'ھ': 'ه', 'ہ': 'ه', 'ۂ': 'ه', 'ۃ': 'ه',
	'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا', 'ٲ': 'ا', 'ٳ': 'ا', 'ٵ': 'ا',
	'ؤ': 'و', 'ۆ': 'و', 'ۇ': 'و', 'ۈ': 'و', 'ۋ': 'و', 'ۉ': 'و', 'ٶ': 'و',
	// Pashto letters folded to the nearest Dari/Arabic letter a Dari
	// speaker would write for the same name.
	'ځ': 'ز', 'څ': 'س', 'ړ': 'ر', 'ڼ': 'ن', 'ښ': 'ش', 'ږ': 'ژ', 'ټ': 'ت',
	'ډ': 'د', 'ڒ': 'ر', 'ڙ': 'ژ',
	'ڤ': 'ف', 'ڨ': 'ق', 'ڧ': 'ق',
}

func normRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r == '\'' || r == '`':
			return dropRune
		}
		return ' '
	case r >= 0x0660 && r <= 0x0669: // Arabic-Indic digits
		return '0' + r - 0x0660
	case r >= 0x06F0 && r <= 0x06F9: // Extended (Persian) digits
		return '0' + r - 0x06F0
	case r == 0x0640: // tatweel
		return dropRune
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r >= 0x06D6 && r <= 0x06ED,
		r >= 0x0610 && r <= 0x061A, r >= 0x08D3 && r <= 0x08FF:
		return dropRune // harakat, Quranic marks
	case r == 0x0621: // lone hamza carries no letter in names
		return dropRune
	case r == 0x200C || r == 0x200D || r == 0x200E || r == 0x200F || r == 0xFEFF ||
		r == 0x00AD || r == 0x061C:
		return dropRune // ZWNJ/ZWJ/marks: inside one word
	case r == 0x2018 || r == 0x2019 || r == 0x02BC || r == 0x02BB || r == 0x02BF ||
		r == 0x02BE || r == 0x02B9 || r == 0x00B4 || r == 0x2032:
		return dropRune // ‘ ’ ʼ ʻ ʿ ʾ: apostrophes, ayn and hamza signs
	}
	if v, ok := arabicVariant[r]; ok {
		return v
	}
	if _, ok := latinSpecial[r]; ok {
		return multiRune
	}
	if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) {
		return dropRune
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		r = unicode.ToLower(r)
		if r < 0x0250 || unicode.Is(unicode.Latin, r) {
			// Latin with diacritics (é, ā, ḥ, ṣ): decompose and keep the
			// base letter.
			if d := norm.NFD.PropertiesString(string(r)).Decomposition(); len(d) > 0 {
				base, _ := utf8.DecodeRune(d)
				if base < utf8.RuneSelf {
					return unicode.ToLower(base)
				}
			}
		}
		return r
	}
	return ' '
}

// isArabicLetter reports whether r is a letter of the Arabic script blocks.
func isArabicLetter(r rune) bool {
	return (r >= 0x0620 && r <= 0x064A) || (r >= 0x066E && r <= 0x06D3) || r == 0x06D5 ||
		(r >= 0x06EE && r <= 0x06FF && !(r >= 0x06F0 && r <= 0x06F9)) ||
		(r >= 0x0750 && r <= 0x077F) || (r >= 0x08A0 && r <= 0x08C9) ||
		(r >= 0xFB50 && r <= 0xFDFF) || (r >= 0xFE70 && r <= 0xFEFC)
}

// IsArabicScript reports whether most letters of s are in the Arabic script.
func IsArabicScript(s string) bool {
	ar, other := 0, 0
	for _, r := range s {
		switch {
		case isArabicLetter(r):
			ar++
		case unicode.IsLetter(r):
			other++
		}
	}
	return ar > 0 && ar >= other
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// normalizeASCII is Normalize for ASCII input, which NFKC leaves alone:
// the common case of names typed in Latin letters.
func normalizeASCII(s string) string {
	b := make([]byte, 0, len(s))
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
			space = false
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
			space = false
		case c == '\'' || c == '`':
		default:
			if !space {
				b = append(b, ' ')
				space = true
			}
		}
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}

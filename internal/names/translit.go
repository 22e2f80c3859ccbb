package names

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// ToLatin maps a name into muster's Latin key space: lowercase ASCII
// letters, digits and single spaces. Arabic-script words (Dari, Pashto,
// Arabic) are transliterated with muster's own tables: common name words
// come from a table of their usual Afghan romanisation, the rest letter by
// letter with short vowels inferred from syllable structure. Latin words
// are normalised and folded to ASCII. Characters of other scripts are
// dropped.
func ToLatin(s string) string {
	return strings.ToLower(toLatinMarked(s))
}

// toLatinMarked is ToLatin with the short vowels that Arabic script does
// not write, and that the transliterator inferred, marked as 'A'. The
// comparison codes treat a marked vowel as any short vowel.
func toLatinMarked(s string) string {
	var b strings.Builder
	for i, w := range strings.Fields(arabicPrep(s)) {
		var k string
		if hasArabic(w) {
			k = arabicWordToLatin(w)
		} else {
			k = asciiFold(cyrillicToLatin(Normalize(w)))
		}
		if k == "" {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
	}
	return b.String()
}

func hasArabic(s string) bool {
	for _, r := range s {
		if isArabicLetter(r) {
			return true
		}
	}
	return false
}

// asciiFold keeps ASCII letters, digits and spaces of an already normalised
// string and collapses spaces.
func asciiFold(s string) string {
	var b []byte
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
			space = false
		case c == ' ':
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

// arabicPrep applies NFKC (presentation forms to letters), removes vowel
// marks, tatweel and zero-width joiners, and turns Arabic punctuation into
// spaces, but unlike Normalize keeps the hamza-carrying alefs, teh marbuta
// and alef maksura, which tell the transliterator about vowels. A shadda is
// kept as a doubling sign.
func arabicPrep(s string) string {
	if !hasArabic(s) {
		return s
	}
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == 0x0651, r == 0x064E, r == 0x064F, r == 0x0650:
			// shadda (doubled consonant), fatha, damma, kasra: kept, they
			// say what the transliterator would otherwise guess.
			b.WriteRune(r)
		case r == 0x0640, r >= 0x064B && r <= 0x065F, r == 0x0670, r >= 0x06D6 && r <= 0x06ED,
			r >= 0x0610 && r <= 0x061A, r == 0x200C, r == 0x200D, r == 0x200E, r == 0x200F,
			r == 0xFEFF, r == 0x061C:
		case r == 0x060C || r == 0x061B || r == 0x061F || r == 0x06D4 || r == 0x066B || r == 0x066C:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// letter classes for the transliterator.
const (
	lCons  = iota // consonant with a fixed Latin value
	lAlef         // ا: long a, or a vowel carrier
	lWaw          // و: w, or long u/o
	lYeh          // ي: y, or long i
	lAyn          // ع: a consonant with no Latin letter of its own
	lHeh          // ه: h, or a final -a
	lTehM         // ة: final -a
	lMaks         // ى: final -a
	lHamza        // ء and carriers
	lShadda
	lMark // a written short vowel (fatha, damma, kasra)
)

type arLetter struct {
	class int
	latin string
}

// arabicLetters is muster's letter table. Choices follow Afghan (Dari and
// Pashto) romanisation as it appears in passports and watchlists: ک is k
// (not kh as unidecode has it), ث/س/ص are s, ذ/ز/ض/ظ are z, ق is q, and the
// Pashto letters take the value of the Dari letter a Dari speaker would
// write.
var arabicLetters = map[rune]arLetter{
	'ب': {lCons, "b"}, 'پ': {lCons, "p"}, 'ت': {lCons, "t"}, 'ټ': {lCons, "t"},
	'ث': {lCons, "s"}, 'ج': {lCons, "j"}, 'چ': {lCons, "ch"}, 'ح': {lCons, "h"},
	'خ': {lCons, "kh"}, 'د': {lCons, "d"}, 'ډ': {lCons, "d"}, 'ذ': {lCons, "z"},
	'ر': {lCons, "r"}, 'ړ': {lCons, "r"}, 'ز': {lCons, "z"}, 'ژ': {lCons, "zh"},
	'ږ': {lCons, "zh"}, 'ځ': {lCons, "z"}, 'څ': {lCons, "s"}, 'س': {lCons, "s"},
	'ش': {lCons, "sh"}, 'ښ': {lCons, "sh"}, 'ص': {lCons, "s"}, 'ض': {lCons, "z"},
	'ط': {lCons, "t"}, 'ظ': {lCons, "z"}, 'غ': {lCons, "gh"}, 'ف': {lCons, "f"},
	'ڤ': {lCons, "v"}, 'ق': {lCons, "q"}, 'ك': {lCons, "k"}, 'ک': {lCons, "k"},
	'ڪ': {lCons, "k"}, 'گ': {lCons, "g"}, 'ګ': {lCons, "g"}, 'ڭ': {lCons, "g"},
	'ل': {lCons, "l"}, 'م': {lCons, "m"}, 'ن': {lCons, "n"}, 'ڼ': {lCons, "n"},
	'ں': {lCons, "n"},
	'ا': {lAlef, "a"}, 'أ': {lAlef, "a"}, 'ٱ': {lAlef, "a"}, 'إ': {lAlef, "i"},
	'آ': {lAlef, "a"}, 'ٲ': {lAlef, "a"}, 'ٳ': {lAlef, "i"},
	'و': {lWaw, "u"}, 'ؤ': {lWaw, "u"}, 'ۆ': {lWaw, "o"}, 'ۇ': {lWaw, "u"}, 'ۋ': {lWaw, "v"},
	'ي': {lYeh, "i"}, 'ی': {lYeh, "i"}, 'ې': {lYeh, "e"}, 'ۍ': {lYeh, "ai"},
	'ئ': {lYeh, "i"}, 'ے': {lYeh, "e"}, 'ێ': {lYeh, "e"},
	'ى': {lMaks, "a"},
	'ع': {lAyn, ""}, 'ء': {lHamza, ""},
	'ه': {lHeh, "h"}, 'ھ': {lHeh, "h"}, 'ہ': {lHeh, "h"}, 'ۀ': {lHeh, "h"}, 'ە': {lHeh, "h"},
	'ة': {lTehM, "a"}, 'ۃ': {lTehM, "a"},
	0x0651: {lShadda, ""},
	0x064E: {lMark, "a"}, 0x064F: {lMark, "u"}, 0x0650: {lMark, "i"},
}

// sunLetters assimilate the l of the article: عبدالرحمن is abdurrahman.
var sunLetters = map[string]bool{
	"t": true, "s": true, "d": true, "z": true, "r": true, "sh": true, "n": true, "l": true,
}

// arabicWordToLatin transliterates one Arabic-script word.
func arabicWordToLatin(w string) string {
	nw := Normalize(w)
	if v, ok := commonArabic[nw]; ok {
		return v
	}
	if strings.ContainsRune(nw, 'ك') {
		// Arabic keyboards have no گ and write ك for g (كل for گل).
		if v, ok := commonArabic[strings.ReplaceAll(nw, "ك", "گ")]; ok {
			return v
		}
	}
	// Two words typed without a space before عبد (محمدعبد).
	if i := strings.Index(w, "عبد"); i > 0 && len(w)-i >= len("عبد") {
		l, r := arabicWordToLatin(w[:i]), arabicWordToLatin(w[i:])
		if l != "" && r != "" {
			return l + " " + r
		}
	}
	rs := []rune(w)
	// Drop non-letters (digits of other scripts, stray marks).
	out := rs[:0]
	for _, r := range rs {
		if _, ok := arabicLetters[r]; !ok {
			if v, ok := arabicVariant[r]; ok {
				r = v // a variant the table has no entry of its own for
			}
		}
		if _, ok := arabicLetters[r]; ok {
			out = append(out, r)
		} else if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			out = append(out, r)
		}
	}
	rs = out
	if len(rs) == 0 {
		return ""
	}
	if len(rs) == 2 && arabicLetters[rs[0]].class == lCons && arabicLetters[rs[1]].class == lHeh {
		// طه, شه: the final h is heard after a short vowel.
		return arabicLetters[rs[0]].latin + "Ah"
	}
	// Article at the start: ال + at least two letters is al-, written as a
	// separate word as in "al-Tikriti", so that Parse treats it the same in
	// both scripts (dropped before a family name, joined in Saif al-Din).
	if len(rs) > 3 && rs[0] == 'ا' && rs[1] == 'ل' && string(rs) != "الله" {
		if rest := arabicWordToLatin(string(rs[2:])); rest != "" {
			return "al " + rest
		}
	}
	// Article inside a word (عبدالرحمن, نصرالله, ضیاالحق, نورالدین): the
	// parts are transliterated on their own and joined with ul-, the l
	// assimilated to a following sun letter as in the usual romanisation.
	for i := 2; i+2 < len(rs); i++ {
		if rs[i] == 'ا' && rs[i+1] == 'ل' && i+2 < len(rs) {
			left := string(rs[:i])
			right := rs[i+2:]
			if len(right) < 3 {
				// A short tail is an article only before a known word
				// (ضیاالحق) or in -ullah; otherwise ال are just letters
				// (جيرالد, Gerald).
				if _, ok := commonArabic[Normalize(string(right))]; !ok && string(right) != "له" && string(right) != "لاه" {
					continue
				}
			}
			var r string
			if string(right) == "له" || string(right) == "لاه" {
				r = "lah"
			} else {
				r = arabicWordToLatin(string(right))
			}
			l := arabicWordToLatin(left)
			if l == "" || r == "" {
				break
			}
			if strings.HasSuffix(l, "a") || strings.HasSuffix(l, "i") || strings.HasSuffix(l, "u") {
				// ضیاالحق: ziaulhaq, the vowel of the first part stays.
			}
			join := "ul"
			first := r[:1]
			if len(r) > 1 && r[:2] == "sh" {
				first = "sh"
			}
			if sunLetters[first] && first != "l" {
				join = "u" + first
			}
			return l + join + r
		}
	}
	for _, suf := range arabicSuffixes {
		if len(rs) > len(suf.norm)+1 && hasNormSuffix(rs, suf.norm) {
			if stem := arabicWordToLatin(string(rs[:len(rs)-len(suf.norm)])); stem != "" {
				return stem + suf.latin
			}
		}
	}
	return lettersToLatin(rs)
}

// arabicSuffixes are name endings whose romanisation is fixed: tribal
// -zai and -khel, -zada, and the nisba -i when the stem is a known name.
var arabicSuffixes = func() []arSuffix {
	var out []arSuffix
	for _, s := range [][2]string{{"زاده", "zada"}, {"زاد", "zad"}, {"زی", "zai"}, {"خیل", "khel"}, {"یار", "yar"}} {
		out = append(out, arSuffix{[]rune(Normalize(s[0])), s[1]})
	}
	return out
}()

type arSuffix struct {
	norm  []rune // normalised letters
	latin string
}

// hasNormSuffix reports whether the letters of rs end, once normalised
// letter by letter, with suf.
func hasNormSuffix(rs, suf []rune) bool {
	off := len(rs) - len(suf)
	for i, r := range suf {
		if n := normRune(rs[off+i]); n != r {
			return false
		}
	}
	return true
}

// lettersToLatin is the letter-by-letter transliteration with vowel
// inference. Short vowels are not written in Arabic script; they are
// inferred as "a" by a CV(C) syllable rule: a consonant followed by a
// consonant gets a vowel unless it closes a syllable that already has one.
func lettersToLatin(rs []rune) string {
	type unit struct {
		vowel bool
		s     string
		ayn   bool
	}
	units := make([]unit, 0, len(rs)+2)
	n := len(rs)
	isVowelish := func(i int) bool { // letter i acts as a vowel letter
		if i < 0 || i >= n {
			return false
		}
		switch arabicLetters[rs[i]].class {
		case lAlef, lTehM, lMaks:
			return true
		}
		return false
	}
	prevVowel := false // previous emitted unit was a vowel
	for i, r := range rs {
		if r < 0x80 {
			units = append(units, unit{s: string(r)})
			prevVowel = false
			continue
		}
		l := arabicLetters[r]
		switch l.class {
		case lCons:
			if r == 'غ' && i == n-1 && len(units) > 0 && units[len(units)-1].s == "n" {
				// final نغ writes ng (Zhang, Wang)
				units[len(units)-1].s = "ng"
				prevVowel = false
				continue
			}
			if r == 'ش' && len(units) > 0 && !units[len(units)-1].vowel && units[len(units)-1].s == "t" {
				// تش writes ch in foreign names.
				units[len(units)-1].s = "ch"
				prevVowel = false
				continue
			}
			units = append(units, unit{s: l.latin})
			prevVowel = false
		case lMark:
			if len(units) > 0 && !units[len(units)-1].vowel {
				units = append(units, unit{vowel: true, s: l.latin})
				prevVowel = true
			}
		case lShadda:
			if len(units) > 0 && !units[len(units)-1].vowel {
				units = append(units, units[len(units)-1])
			}
		case lAlef:
			if r == 'آ' {
				units = append(units, unit{vowel: true, s: "a"})
			} else if prevVowel && i > 0 && arabicLetters[rs[i-1]].class == lAlef {
				continue
			} else {
				units = append(units, unit{vowel: true, s: l.latin})
			}
			prevVowel = true
		case lWaw, lYeh:
			cons := "w"
			if l.class == lYeh {
				cons = "y"
			}
			if r == 'ۋ' || r == 'ې' || r == 'ۍ' || r == 'ے' || r == 'ێ' {
				units = append(units, unit{vowel: r != 'ۋ', s: l.latin})
				prevVowel = r != 'ۋ'
				continue
			}
			nextSemi := i+1 < n && (arabicLetters[rs[i+1]].class == lWaw || arabicLetters[rs[i+1]].class == lYeh)
			switch {
			case i > 0 && l.class == lWaw && rs[i-1] == 'خ' && i+1 < n && arabicLetters[rs[i+1]].class == lAlef:
				// خوا is khwa, the و barely heard (Khwaja, Khairkhwa)
				units[len(units)-1].s = "khw"
				prevVowel = false
				continue
			case i > 0 && nextSemi && !prevVowel:
				// و before ی or ی before و is the consonant (Mirwais,
				// Huwaysh, Qayyum)
				units = append(units, unit{s: cons})
				prevVowel = false
				continue
			case i == 0:
				if l.class == lWaw && i+1 < n && !isVowelish(i+1) && arabicLetters[rs[i+1]].class != lYeh && arabicLetters[rs[i+1]].class != lWaw && n == 2 {
					// و alone before one consonant: o/u
					units = append(units, unit{vowel: true, s: l.latin})
					prevVowel = true
					continue
				}
				units = append(units, unit{s: cons})
				prevVowel = false
			case prevVowel && !(i > 0 && arabicLetters[rs[i-1]].class == lAyn):
				// after a vowel letter: consonantal (dawud, hayat), unless
				// it ends the word after alef (-ai, -au).
				units = append(units, unit{s: cons})
				prevVowel = false
			case isVowelish(i + 1):
				units = append(units, unit{s: cons})
				prevVowel = false
			default:
				units = append(units, unit{vowel: true, s: l.latin})
				prevVowel = true
			}
		case lAyn:
			units = append(units, unit{ayn: true})
			prevVowel = false
		case lHamza:
			// hamza between vowels or at the end carries nothing
		case lHeh:
			if i == n-1 && i > 0 && prevVowel && arabicLetters[rs[i-1]].class == lYeh {
				// -یه is -ia (Fawzia, Nazia, Razia)
				units = append(units, unit{vowel: true, s: "a"})
				prevVowel = true
			} else if i == n-1 && i > 0 && !prevVowel {
				units = append(units, unit{vowel: true, s: "a"})
				prevVowel = true
			} else {
				units = append(units, unit{s: "h"})
				prevVowel = false
			}
		case lTehM, lMaks:
			units = append(units, unit{vowel: true, s: "a"})
			prevVowel = true
		}
	}
	// Syllable states: 0 start, 1 onset without vowel, 2 vowel, 3 coda.
	var b strings.Builder
	state := 0
	for i, u := range units {
		if u.vowel {
			if state == 0 && i == 0 {
				b.WriteString(u.s)
			} else {
				b.WriteString(u.s)
			}
			state = 2
			continue
		}
		nextVowel := i+1 < len(units) && units[i+1].vowel
		nextNextExists := i+2 < len(units)
		switch state {
		case 0, 3:
			b.WriteString(u.s)
			state = 1
			if i == len(units)-1 && state == 1 && i > 0 {
				// final consonant after a coda: a cluster (rustam, ahmad
				// both end CVC; CCC at the end is rare) keeps no vowel.
			}
		case 1:
			b.WriteByte('A')
			b.WriteString(u.s)
			if nextVowel || (!nextVowel && i+1 < len(units) && !nextNextExists) {
				state = 1
			} else {
				state = 3
			}
		case 2:
			b.WriteString(u.s)
			if nextVowel {
				state = 1
			} else if i+1 < len(units) && !nextNextExists {
				state = 1
			} else {
				state = 3
			}
		}
	}
	// An ayn at the very start followed by a consonant is heard as a vowel
	// (Abd, Ali); elsewhere the inferred vowels already cover it.
	return b.String()
}

// cyrillicLatin romanises Cyrillic as in passports and the UN list
// (Russian, with the Tajik, Uzbek and Kazakh letters Central Asian names
// use).
var cyrillicLatin = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh",
	'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
	'ғ': "gh", 'ӣ': "i", 'қ': "q", 'ӯ': "u", 'ҳ': "h", 'ҷ': "j", 'ў': "o", 'ә': "a", 'ң': "ng",
	'ө': "o", 'ұ': "u", 'ү': "u", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g",
}

// cyrillicToLatin romanises the Cyrillic letters of a normalised
// (lowercase) string and leaves the rest.
func cyrillicToLatin(s string) string {
	has := false
	for _, r := range s {
		if r >= 0x0400 && r <= 0x04FF {
			has = true
			break
		}
	}
	if !has {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if l, ok := cyrillicLatin[r]; ok {
			b.WriteString(l)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

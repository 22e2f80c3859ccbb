package names

import "math"

// Token keys are compared as phonetic codes: one byte per sound, so that
// digraphs of romanisation (kh, sh, gh, th, dh, zh, ch, ph, ee, oo, ou) are
// one unit, then with an edit distance whose costs fit transliteration.

// Codes for digraph sounds; lowercase ASCII letters stand for themselves.
const (
	cKh = 'X' // kh خ
	cSh = 'S' // sh ش
	cGh = 'G' // gh غ
	cTh = 'T' // th ث
	cDh = 'D' // dh ذ
	cZh = 'Z' // zh ژ
	cCh = 'C' // ch چ
)

// maxCode bounds a token's code length; longer tokens are cut, which only
// matters for pathological input.
const maxCode = 32

// cInf is a short vowel the transliterator inferred (Arabic script does
// not write it): any vowel meets it cheaply.
const cInf = '*'

func isVowelCode(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', cInf:
		return true
	}
	return false
}

// encode writes the phonetic code of a Latin key into dst and returns its
// length. Characters other than letters and digits are skipped.
func encode(key string, dst *[maxCode]byte) int {
	n := 0
	put := func(c byte) {
		if n < maxCode {
			dst[n] = c
			n++
		}
	}
	at := func(i int) byte {
		if i >= 0 && i < len(key) {
			return key[i]
		}
		return 0
	}
	isV := func(c byte) bool { return isVowelCode(c) || c == 'A' }
	for i := 0; i < len(key); i++ {
		c := key[i]
		nx := at(i + 1)
		switch c {
		case 'k':
			if nx == 'h' {
				put(cKh)
				i++
				continue
			}
			put('k')
		case 's':
			if nx == 'h' {
				put(cSh)
				i++
				continue
			}
			if nx == 'c' && at(i+2) == 'h' { // sch
				put(cSh)
				i += 2
				continue
			}
			put('s')
		case 'g':
			if nx == 'h' {
				put(cGh)
				i++
				continue
			}
			put('g')
		case 't':
			if nx == 'h' {
				put(cTh)
				i++
				continue
			}
			if nx == 'c' && at(i+2) == 'h' {
				put(cCh)
				i += 2
				continue
			}
			put('t')
		case 'd':
			if nx == 'h' {
				put(cDh)
				i++
				continue
			}
			if nx == 'j' {
				put('j')
				i++
				continue
			}
			put('d')
		case 'z':
			if nx == 'h' {
				put(cZh)
				i++
				continue
			}
			put('z')
		case 'c':
			switch {
			case nx == 'h':
				put(cCh)
				i++
			case nx == 'k' || nx == 'q':
				put('k')
				i++
			case nx == 'e' || nx == 'i' || nx == 'y':
				put('s')
			default:
				put('k')
			}
		case 'p':
			if nx == 'h' {
				put('f')
				i++
				continue
			}
			put('p')
		case 'x':
			put('k')
			put('s')
		case 'e':
			if nx == 'e' {
				put('i')
				i++
				continue
			}
			put('e')
		case 'o':
			if nx == 'o' || nx == 'u' {
				put('u')
				i++
				continue
			}
			put('o')
		case 'A':
			put(cInf)
		case 'y':
			// y before a vowel is a consonant; elsewhere it writes i
			// (Husayn = Husain, Aly = Ali).
			if isV(nx) {
				put('y')
			} else {
				put('i')
			}
		case 'w':
			if isV(nx) {
				put('w')
			} else {
				put('u')
			}
		default:
			// Digits are kept: organisations are told apart by them (NO.
			// 1 and NO. 2 MINING ENTERPRISE, 53 and 116 ARSENAL), and
			// consClass gives each its own group.
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				put(c)
			}
		}
	}
	return n
}

// Costs. Vowel and doubling edits are cheap but not free, so that Hasan and
// Husain, Ahmad and Mahmood stay apart while Mohammad and Muhammad meet.
const (
	costDouble    = 0.15 // a letter written twice or once
	costVowelIns  = 0.45 // a vowel added or left out
	costVowelNext = 0.3  // a vowel beside another vowel (ai/a, ei/e)
	costHIns      = 0.5  // h added or left out (Mohd, Fatimah)
	costSemiIns   = 0.5  // y or w added or left out
	costConsIns   = 1.0
	costInfIns    = 0.2 // an inferred vowel that the other spelling lacks
	// costNisba: a final -i after a consonant is the nisba ending that
	// makes a family name of a given name (Mohammadi, Ahmadi, Rahimi):
	// Mohammad Ahmadi is not Ahmad Mohammadi.
	costNisba = 0.9
)

var subCost [128][128]float32

// costUnit is the granularity of edit costs: the distance is computed in
// integer units of it, which is faster and keeps tables small.
const costUnit = 0.05

// subUnits is subCost in costUnit units.
var subUnits [128][128]uint8

func units(c float32) uint8 { return uint8(math.Round(float64(c) / costUnit)) }

func init() {
	for i := range subCost {
		for j := range subCost[i] {
			switch {
			case i == j:
				subCost[i][j] = 0
			case isVowelCode(byte(i)) && isVowelCode(byte(j)):
				subCost[i][j] = 0.55
			case isVowelCode(byte(i)) || isVowelCode(byte(j)):
				subCost[i][j] = 1.0
			default:
				subCost[i][j] = 1.0
			}
		}
	}
	set := func(a, b byte, c float32) {
		subCost[a][b] = c
		subCost[b][a] = c
	}
	// vowels
	set('a', 'e', 0.3)
	set('e', 'i', 0.3)
	set('o', 'u', 0.2)
	set('a', 'o', 0.45)
	set('a', 'u', 0.7)
	set('i', 'u', 0.6)
	for _, v := range []byte("aeiou") {
		set(cInf, v, 0.1)
	}
	set(cInf, 'a', 0.05)
	set(cInf, 'y', 0.5)
	set(cInf, 'w', 0.5)
	set('e', 'o', 0.55)
	set('e', 'u', 0.4)
	set('a', 'i', 0.6)
	// semi-vowels against vowels
	set('y', 'i', 0.2)
	set('y', 'e', 0.35)
	set('w', 'u', 0.2)
	set('w', 'o', 0.3)
	set('w', 'v', 0.2)
	set('v', 'u', 0.4)
	set('v', 'f', 0.35)
	set('y', 'j', 0.5)
	// consonants that transliterations confuse
	set('q', 'k', 0.3)
	set('q', cGh, 0.3)
	set('q', 'g', 0.35)
	set('z', 'd', 0.5)
	set('k', cKh, 0.5)
	set('h', cKh, 0.5)
	set('k', 'g', 0.6)
	set('k', 'c', 0.2)
	set(cGh, 'g', 0.2) // غ writes g in foreign names; Ghulam is also Gulam
	set('z', cDh, 0.3)
	set('d', cDh, 0.35)
	set('z', cZh, 0.4)
	set('j', cZh, 0.5)
	set('z', 's', 0.6)
	set('z', 'j', 0.7)
	set('g', 'j', 0.5)
	set('s', cTh, 0.3)
	set('t', cTh, 0.35)
	set('s', cSh, 0.55)
	set(cSh, cCh, 0.5)
	set('j', cCh, 0.6)
	set('c', 's', 0.4)
	set('t', 'd', 0.6)
	set('p', 'b', 0.5)
	set('p', 'f', 0.5)
	set('f', 'b', 0.7)
	set('h', 'a', 0.8)
	set('m', 'n', 0.8)
	set('l', 'r', 0.8)
	for i := range subCost {
		for j := range subCost[i] {
			subUnits[i][j] = units(subCost[i][j])
		}
	}
}

// indelCost is the cost of inserting or deleting code[i] given its
// neighbours in its own string.
func indelCost(code []byte, i int) float32 {
	c := code[i]
	if i > 0 && code[i-1] == c {
		// the second of a doubled letter; the first costs in full, so
		// that a doubled letter missing altogether is not cheap
		return costDouble
	}
	switch {
	case c == cInf:
		return costInfIns
	case c == 'i' && i == len(code)-1 && i > 0 && !isVowelCode(code[i-1]) && code[i-1] != 'y':
		return costNisba
	case isVowelCode(c):
		if (i > 0 && isVowelCode(code[i-1])) || (i+1 < len(code) && isVowelCode(code[i+1])) {
			return costVowelNext
		}
		return costVowelIns
	case c == 'h':
		return costHIns
	case c == 'y' || c == 'w':
		return costSemiIns
	}
	return costConsIns
}

// codeSim is the similarity of two codes with precomputed indel costs:
// 1 - distance / max(len). With floor > 0 it may return any value below
// floor as soon as the distance is sure to exceed what floor allows. It
// allocates nothing.
func codeSim(a []byte, ia []uint8, b []byte, ib []uint8, floor float64) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		if la == lb {
			return 1
		}
		return 0
	}
	if la == lb {
		same := true
		for i := range a {
			if a[i] != b[i] {
				same = false
				break
			}
		}
		if same {
			return 1
		}
	}
	// Single-letter initials meet names that begin with them.
	if la == 1 || lb == 1 {
		if a[0] == b[0] {
			return 0.75
		}
		return 0
	}
	m := max(la, lb)
	// The distance above which the similarity falls below floor; a row
	// whose every cell exceeds it cannot lead back under it.
	limit := int32((1-floor)*float64(m)/costUnit + 1e-6)
	var row [maxCode + 1]int32
	for j := 1; j <= lb; j++ {
		row[j] = row[j-1] + int32(ib[j-1])
	}
	for i := 1; i <= la; i++ {
		diag := row[0]
		da := int32(ia[i-1])
		row[0] += da
		rowMin := row[0]
		sub := &subUnits[a[i-1]&0x7f]
		left := row[0]
		for j := 1; j <= lb; j++ {
			up := row[j]
			best := diag + int32(sub[b[j-1]&0x7f])
			best = min(best, up+da, left+int32(ib[j-1]))
			row[j] = best
			left = best
			diag = up
			rowMin = min(rowMin, best)
		}
		if floor > 0 && rowMin > limit {
			return 0
		}
	}
	s := 1 - float64(row[lb])*costUnit/float64(m)
	if s < 0 {
		return 0
	}
	return s
}

// tokenCode is a token key's code with its indel costs.
type tokenCode struct {
	n     uint8
	code  [maxCode]byte
	indel [maxCode]uint8 // costUnit units
	mask  uint32         // consonant classes present (see consClass)
	id    uint32         // intern id, 0 if not interned
	head  byte           // first consonant of the skeleton, 0 if none
	cnt   [numClasses]uint8
}

func makeCode(key string) tokenCode {
	var t tokenCode
	n := encode(key, &t.code)
	t.n = uint8(n)
	var buf [maxCode]byte
	if sk := skeleton(t.code[:n], buf[:0]); len(sk) > 0 {
		t.head = sk[0]
	}
	for i := 0; i < n; i++ {
		t.indel[i] = units(indelCost(t.code[:n], i))
		if c := consClass[t.code[i]&0x7f]; c >= 0 {
			t.mask |= 1 << c
			if i == 0 || t.code[i-1] != t.code[i] {
				t.cnt[c]++
			}
		}
	}
	return t
}

// consClass groups consonants so that substituting across groups, or
// deleting, costs at least minCrossCost. Letters with cheaper exits (h, y,
// w, v, f, vowels) are -1 and never counted as missing. It lets simBound
// skip the edit distance for tokens that cannot be similar.
var consClass = func() [128]int8 {
	var c [128]int8
	for i := range c {
		c[i] = -1
	}
	groups := consGroups
	for g, letters := range groups {
		for i := 0; i < len(letters); i++ {
			c[letters[i]] = int8(g)
		}
	}
	return c
}()

var consGroups = []string{"kqgG", "zdDZ", "stT", "bp", "S", "C", "j", "X", "l", "r", "m", "n",
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

const numClasses = 22

const minCrossCost = 0.5

// simBound is an upper bound of t.sim(u), cheap to compute: each
// consonant of one token beyond the number of its group in the other (the
// second of a doubled letter not counted) must be substituted across
// groups or deleted, at least minCrossCost, and one substitution serves
// one surplus consonant of each token.
func (t *tokenCode) simBound(u *tokenCode) float64 {
	if t.mask|u.mask == 0 {
		return 1
	}
	sa, sb := 0, 0
	for c := 0; c < numClasses; c++ {
		d := int(t.cnt[c]) - int(u.cnt[c])
		if d > 0 {
			sa += d
		} else {
			sb -= d
		}
	}
	m := max(sa, sb)
	if m == 0 {
		return 1
	}
	l := max(int(t.n), int(u.n))
	return 1 - minCrossCost*float64(m)/float64(l)
}

func (t *tokenCode) sim(u *tokenCode) float64 {
	return codeSim(t.code[:t.n], t.indel[:t.n], u.code[:u.n], u.indel[:u.n], 0)
}

// simAtLeast is t.sim(u) when that is at least floor, and 0 otherwise,
// found faster by abandoning the edit distance once it must exceed what
// floor allows.
func (t *tokenCode) simAtLeast(u *tokenCode, floor float64) float64 {
	if t.simBound(u) < floor {
		return 0
	}
	s := codeSim(t.code[:t.n], t.indel[:t.n], u.code[:u.n], u.indel[:u.n], floor)
	if s < floor {
		return 0
	}
	return s
}

// TokenSim is the transliteration-aware similarity in [0,1] of two token
// keys (as ToLatin produces them; other input is passed through ToLatin).
func TokenSim(a, b string) float64 {
	if a == b {
		return 1
	}
	ca, cb := makeCode(keyOf(a)), makeCode(keyOf(b))
	return ca.sim(&cb)
}

// keyOf returns s unchanged when it is already a Latin key.
func keyOf(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ToLatin(s)
		}
	}
	return s
}

// skeleton is the retrieval and weighting form of a code: consonants only,
// with the consonants that transliterations confuse merged (k, q, g, kh,
// gh, c are one; p is b), h dropped at the end, doubles collapsed. The
// ambiguous dh and th become z and s (as in Dari: ذ, ث), or with alt d
// and t (as in Arabic romanisation).
func skeleton(code []byte, dst []byte) []byte { return skeletonV(code, dst, false) }

func skeletonV(code []byte, dst []byte, alt bool) []byte {
	var last byte
	for i, c := range code {
		if i == 0 && c == 'v' {
			c = 'w' // an initial y or w is a stable consonant (Yusuf, Wali, Vali)
		}
		if isVowelCode(c) || ((c == 'y' || c == 'w' || c == 'v') && i > 0) {
			continue
		}
		switch c {
		case 'q', cKh, 'c', 'g', cGh:
			c = 'k'
		case cTh:
			c = 's'
			if alt {
				c = 't'
			}
		case cDh:
			c = 'z'
			if alt {
				c = 'd'
			}
		case cZh:
			c = 'z'
		case 'p':
			c = 'b'
		case 'h':
			if i == len(code)-1 {
				continue
			}
		}
		if c == last {
			continue
		}
		dst = append(dst, c)
		last = c
	}
	return dst
}

// hasDhTh reports whether a code has a sound whose skeleton is ambiguous.
func hasDhTh(code []byte) bool {
	for _, c := range code {
		if c == cDh || c == cTh {
			return true
		}
	}
	return false
}

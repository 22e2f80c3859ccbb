package names

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
// length. Non-letters are skipped.
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
			if c >= 'a' && c <= 'z' {
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
)

var subCost [128][128]float32

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
}

// indelCost is the cost of inserting or deleting code[i] given its
// neighbours in its own string.
func indelCost(code []byte, i int) float32 {
	c := code[i]
	if (i > 0 && code[i-1] == c) || (i+1 < len(code) && code[i+1] == c) {
		return costDouble
	}
	switch {
	case c == cInf:
		return costInfIns
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
// 1 - distance / max(len). It allocates nothing.
func codeSim(a []byte, ia []float32, b []byte, ib []float32) float64 {
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
	var row [maxCode + 1]float32
	row[0] = 0
	for j := 1; j <= lb; j++ {
		row[j] = row[j-1] + ib[j-1]
	}
	for i := 1; i <= la; i++ {
		diag := row[0]
		row[0] += ia[i-1]
		ca := a[i-1]
		da := ia[i-1]
		sub := &subCost[ca&0x7f]
		for j := 1; j <= lb; j++ {
			up := row[j]
			best := diag + sub[b[j-1]&0x7f]
			if v := up + da; v < best {
				best = v
			}
			if v := row[j-1] + ib[j-1]; v < best {
				best = v
			}
			row[j] = best
			diag = up
		}
	}
	d := float64(row[lb])
	m := la
	if lb > m {
		m = lb
	}
	s := 1 - d/float64(m)
	if s < 0 {
		return 0
	}
	return s
}

// tokenCode is a token key's code with its indel costs.
type tokenCode struct {
	n     uint8
	code  [maxCode]byte
	indel [maxCode]float32
}

func makeCode(key string) tokenCode {
	var t tokenCode
	n := encode(key, &t.code)
	t.n = uint8(n)
	for i := 0; i < n; i++ {
		t.indel[i] = indelCost(t.code[:n], i)
	}
	return t
}

func (t *tokenCode) sim(u *tokenCode) float64 {
	return codeSim(t.code[:t.n], t.indel[:t.n], u.code[:u.n], u.indel[:u.n])
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

package names

import (
	"fmt"
	"math"
	"strings"
)

// MatchThreshold is the score at or above which two names are taken to be
// the same person's or organisation's. At 0.75, 92% of the UN list's
// original-script names meet their own Latin names and 83% of held-out SDN
// aliases their entry, while 0.07% of pairs of different people reach it
// (README.md has the table and the hard cases).
const MatchThreshold = 0.75

// ExplainFloor: Compare fills Result.Pairs only for scores at or above it,
// so that the common case in screening (names that do not meet) allocates
// nothing. Score gives the number alone.
const ExplainFloor = 0.5

// maxTokens bounds the tokens of one name used in comparison; the rest
// are ignored (names longer than this are not personal names).
const maxTokens = 12

// minTokenSim is the token similarity below which two tokens are not
// aligned at all.
const minTokenSim = 0.62

type ptok struct {
	*tokenCode
	alt      *tokenCode // the token without a glued article (alshammari: shammari) or abdul- (rahman), or nil
	altPen   float32    // what meeting through alt costs
	title    bool       // a title kept as an optional token (Haji, Hafiz)
	key      string
	skel     string
	wkey     string  // weightKey
	widx     uint32  // interned wkey, index into Freq counts
	weight   float32 // built-in default weight
	optional bool    // optional by kind, or a father's name
	kindOpt  bool    // optional by kind (Khan, -zai)
	org      bool    // a legal form: weighs little whatever its frequency
	father   bool
	role     role  // what an unmatched token costs depends on it
	stem     *ptok // a tribal name without -zai/-khel (Achak for Achakzai), or nil
}

// role is the part a token plays in a name, for what it costs when the
// other name has nothing to meet it.
type role uint8

const (
	roleGiven  role = iota // an ordinary name word
	roleFamily             // a tribal name (-zai, -khel), also after s/o
	roleFather             // a father's name
	roleMinor              // Khan, Jan, Bibi, an initial, a lone Sayed, a legal form
	roleTitle              // Haji, Hafiz kept as a token
)

// isOptional reports whether token t takes no part in the worst-pair
// penalty: optional kinds, and a father's name when the other name has
// none (it may have met one of the other's own names).
func (t *ptok) isOptional(other *Prepared) bool {
	return t.kindOpt || (t.father && other.nFather == 0)
}

// Prepared is a name parsed and encoded once, for fast repeated
// comparison. It is safe for concurrent use by several goroutines.
type Prepared struct {
	Orig    string
	Name    Name
	toks    []ptok
	nFather int
	hash    uint64 // of Orig, for a cheap canonical order
	// org: the name is an organisation's (organisational), where words
	// may be abbreviated and initials may stand for words.
	org bool
	// merged[i] is the code of tokens i and i+1 written as one word, for
	// split/merged tokens (Gul Agha vs Gulagha).
	merged []*tokenCode
	// wts are the token weights under the Freq wfreq, set by Bind.
	wts   []float32
	wfreq *Freq
	// trMask marks the tokens with a translation under wtrans, set by
	// Bind.
	trMask uint16
	wtrans *Translations
}

// Prepare parses and encodes s.
func Prepare(s string) *Prepared {
	name, ownKeys, fatherKeys := parse(s)
	p := &Prepared{Orig: s, Name: name, hash: fnv64(s)}
	p.toks = make([]ptok, 0, min(maxTokens, len(name.Tokens)+len(name.Father)))
	add := func(t Token, mkey string, father, first bool) {
		if len(p.toks) >= maxTokens {
			return
		}
		pt := ptok{tokenCode: internCode(mkey), key: t.Key, optional: t.Optional || father, kindOpt: t.Optional, father: father, org: t.Kind == KindOrg}
		tribal := t.Kind == KindTribal && t.Optional
		switch {
		case tribal:
			// A tribe named after s/o is the person's tribe too. The
			// LAST of "LAST, First" stays an ordinary name: the lists
			// write most names so, and a surname the other name lacks
			// costs its whole weight (measured: discounting it raised
			// the SDN hardest-different rate at 0.75 from 0.051 to 0.078).
			pt.role = roleFamily
			pt.stem = tribalStem(mkey)
		case t.Optional && sayedTitles[t.Key] && !first:
			// Sayed first is a lineage title; Sadat last a family name.
			pt.role = roleGiven
		case t.Optional:
			pt.role = roleMinor
		case father:
			pt.role = roleFather
		}
		setAlt(&pt, mkey)
		pt.skel = string(skeleton(pt.code[:pt.n], nil))
		pt.wkey = weightKey(pt.skel, t.Key)
		pt.widx = internWkey(pt.wkey)
		pt.weight = float32(defaultWeight(pt.skel, t.Key))
		if father && !tribal {
			pt.weight *= 0.5
		}
		p.toks = append(p.toks, pt)
	}
	for i, t := range p.Name.Tokens {
		add(t, ownKeys[i], false, i == 0)
	}
	own := len(p.toks)
	for i, t := range p.Name.Father {
		add(t, fatherKeys[i], true, i == 0)
	}
	p.nFather = len(p.toks) - own
	stemOrgWords(p)
	p.org = organisational(p)
	// Titles are not names, but two names that both carry Hafiz or Haji
	// agree a little more: they take part as optional tokens.
	for _, ti := range p.Name.Titles {
		if len(p.toks) >= maxTokens {
			break
		}
		k := ToLatin(ti)
		if k == "" || strings.Contains(k, " ") {
			continue
		}
		p.toks = append(p.toks, ptok{tokenCode: internCode(k), key: k, optional: true, kindOpt: true, title: true, role: roleTitle,
			weight: titleWeight, skel: "", wkey: "=" + k, widx: internWkey("=" + k)})
	}
	if own > 1 {
		p.merged = make([]*tokenCode, own-1)
		for i := 0; i+1 < own; i++ {
			p.merged[i] = internCode(ownKeys[i] + ownKeys[i+1])
		}
	}
	return p
}

// setAlt sets the alternative form of a token, without a glued article
// or abdul-.
func setAlt(pt *ptok, mkey string) {
	lk := strings.ToLower(mkey)
	switch {
	case len(lk) >= 6 && (strings.HasPrefix(lk, "al") || strings.HasPrefix(lk, "el")) && lk[2] != 'l' &&
		(!isVowelCode(lk[2]) || !isVowelCode(lk[3])):
		// Also before one vowel: ALOTAIBI is al-Otaibi, ALAMIN al-Amin.
		pt.alt, pt.altPen = internCode(mkey[2:]), 0.02
	case len(lk) >= 8 && strings.HasPrefix(lk, "abdul"):
		// A. Rahman, Rahman for Abdul Rahman: close, not the same.
		pt.alt, pt.altPen = internCode(mkey[5:]), 0.12
	}
}

// stemOrgWords gives the words of an organisation's name (one with a
// legal form or another generic organisation word) their English stem as
// the alternative form, so that ENGINEERS meets ENGINEERING and
// INDUSTRIES meets INDUSTRY: the lists write one company's name with
// either. Personal names are left alone: their endings are not
// inflections (Abbas, Younis, Hashimi).
func stemOrgWords(p *Prepared) {
	isOrg := false
	for i := range p.toks {
		isOrg = isOrg || p.toks[i].org
	}
	if !isOrg {
		return
	}
	for i := range p.toks {
		t := &p.toks[i]
		if t.alt != nil || t.title {
			continue
		}
		if st := orgStem(t.key); st != "" {
			t.alt, t.altPen = internCode(st), 0.02
		}
	}
}

// orgStem strips an English inflection from a word of five or more
// letters (ings, ing, ies, ers, ical, s), or returns "" when there is none
// or too little would be left.
func orgStem(k string) string {
	if len(k) < 5 {
		return ""
	}
	for _, r := range k {
		if r < 'a' || r > 'z' {
			return ""
		}
	}
	for _, x := range [...]struct{ suf, rep string }{{"ings", ""}, {"ing", ""}, {"ies", "y"}, {"ers", "er"}, {"ical", "ic"}} {
		if strings.HasSuffix(k, x.suf) && len(k)-len(x.suf)+len(x.rep) >= 4 {
			return k[:len(k)-len(x.suf)] + x.rep
		}
	}
	if strings.HasSuffix(k, "s") && !strings.HasSuffix(k, "ss") && !strings.HasSuffix(k, "us") && !strings.HasSuffix(k, "is") {
		return k[:len(k)-1]
	}
	return ""
}

// tribalStem is a tribal name without its -zai/-khel ending, as a token
// compared through the similarity cache like any other, or nil when too
// little is left.
func tribalStem(mkey string) *ptok {
	lk := strings.ToLower(mkey)
	for _, suf := range tribalSuffixes {
		if strings.HasSuffix(lk, suf) && len(lk)-len(suf) >= 3 {
			k := mkey[:len(mkey)-len(suf)]
			st := &ptok{tokenCode: internCode(k)}
			setAlt(st, k)
			return st
		}
	}
	return nil
}

// Freq counts name tokens (by consonant skeleton, so that spelling
// variants of one name count together) to weigh rare tokens above common
// ones. It is not safe for concurrent Add; Weight and matching may run
// concurrently once adding is done.
type Freq struct {
	counts []int32 // by interned weight key
	names  int
	logN   float64 // log(names+1)
}

// NewFreq returns an empty Freq.
func NewFreq() *Freq { return &Freq{} }

// Add counts the tokens of one name, each distinct token once.
func (f *Freq) Add(name string) {
	p := Prepare(name)
	f.names++
	f.logN = math.Log(float64(f.names + 1))
	for i, t := range p.toks {
		dup := false
		for _, u := range p.toks[:i] {
			if u.widx == t.widx {
				dup = true
			}
		}
		if dup || t.widx == 0 {
			continue
		}
		if int(t.widx) >= len(f.counts) {
			f.counts = append(f.counts, make([]int32, int(t.widx)+1-len(f.counts)+len(f.counts)/2)...)
		}
		f.counts[t.widx]++
	}
}

// Weight is the weight of a token key: about 1 for a token seen in few
// names, down to 0.15 for one in most names. Tokens never seen weigh as
// the rarest.
func (f *Freq) Weight(key string) float64 {
	var c tokenCode
	n := encode(key, &c.code)
	var buf [maxCode]byte
	skel := string(skeleton(c.code[:n], buf[:0]))
	if f == nil || f.names == 0 {
		return defaultWeight(skel, key)
	}
	return f.weightOf(lookupWkey(weightKey(skel, key)))
}

func (f *Freq) weightOf(widx uint32) float64 {
	c := 0
	if int(widx) < len(f.counts) && widx != 0 {
		c = int(f.counts[widx])
	}
	// Inverse document frequency scaled so that a token in 1% of names
	// weighs about 0.6 and one in half the names 0.15.
	w := (f.logN - logPlus1(c)) / 7.5
	switch {
	case w < 0.15:
		w = 0.15
	case w > 1.2:
		w = 1.2
	}
	return w
}

// logTable[c] is log(c+1) for small counts, which is most of them.
var logTable = func() [4096]float64 {
	var t [4096]float64
	for i := range t {
		t[i] = math.Log(float64(i + 1))
	}
	return t
}()

func logPlus1(c int) float64 {
	if c < len(logTable) {
		return logTable[c]
	}
	return math.Log(float64(c + 1))
}

// Matcher compares prepared names. A nil Freq uses built-in weights for
// common Afghan and Arabic name tokens.
type Matcher struct {
	Freq *Freq
	// Trans, when not nil, lets words that translate each other meet
	// (LearnTranslations).
	Trans *Translations
}

// Aligned is one token of name a matched with one of name b (B is empty
// when the token of a found no partner; A is empty for an unmatched token
// of b). Weight is what the pair counted for in the score.
type Aligned struct {
	A, B        string
	Sim, Weight float64
	Note        string // why an unmatched token costs less than its weight
}

// Result is the outcome of a comparison: a score in [0,1] and, for scores
// at or above ExplainFloor, the token alignment behind it.
type Result struct {
	Score float64
	Pairs []Aligned
}

// Explain renders the alignment for a human.
func (r Result) Explain() string {
	if len(r.Pairs) == 0 {
		return fmt.Sprintf("score %.2f: no alignment", r.Score)
	}
	var b strings.Builder
	for i, p := range r.Pairs {
		if i > 0 {
			b.WriteString("; ")
		}
		note := ""
		if p.Note != "" {
			note = ", " + p.Note
		}
		switch {
		case p.B == "":
			fmt.Fprintf(&b, "%s unmatched (w %.2f%s)", p.A, p.Weight, note)
		case p.A == "":
			fmt.Fprintf(&b, "unmatched %s (w %.2f%s)", p.B, p.Weight, note)
		case p.Sim >= 1:
			fmt.Fprintf(&b, "%s=%s %.2f (w %.2f)", p.A, p.B, p.Sim, p.Weight)
		default:
			fmt.Fprintf(&b, "%s~%s %.2f (w %.2f%s)", p.A, p.B, p.Sim, p.Weight, note)
		}
	}
	return b.String()
}

// Compare compares two names with the default matcher.
func Compare(a, b string) Result {
	var m Matcher
	return m.Compare(Prepare(a), Prepare(b))
}

// Score is Compare without the alignment; it never allocates.
func (m *Matcher) Score(a, b *Prepared) float64 {
	var al alignment
	if swap(a, b) {
		a, b = b, a
	}
	return m.align(a, b, &al)
}

// swap puts a pair in a canonical order, so that the greedy alignment, and
// with it the score, is symmetric.
func swap(a, b *Prepared) bool {
	if len(a.toks) != len(b.toks) {
		return len(a.toks) > len(b.toks)
	}
	if a.hash != b.hash {
		return a.hash > b.hash
	}
	return a.Orig > b.Orig
}

// Compare scores two prepared names and explains the score.
func (m *Matcher) Compare(a, b *Prepared) Result {
	var al alignment
	swapped := swap(a, b)
	if swapped {
		a, b = b, a
	}
	s := m.align(a, b, &al)
	r := Result{Score: s}
	if s >= ExplainFloor {
		r.Pairs = al.pairs(a, b)
		if swapped {
			for i := range r.Pairs {
				r.Pairs[i].A, r.Pairs[i].B = r.Pairs[i].B, r.Pairs[i].A
			}
		}
	}
	return r
}

// alignment records which tokens met: partner[i] for a token of a is the
// index in b (or -1); a merged partner covers two adjacent tokens.
type alignment struct {
	na, nb   int
	pa       [maxTokens]int8 // partner in b, -1 none, or the first of a merged pair
	pb       [maxTokens]int8
	sa       [maxTokens]float32 // similarity of the pair
	sb       [maxTokens]float32
	wa, wb   [maxTokens]float32
	mergedA  [maxTokens]bool // a[i] and a[i+1] together met one b token
	mergedB  [maxTokens]bool
	sim      [maxTokens][maxTokens]float32
	acro     acronym
	total    float64
	credited float64
}

func (m *Matcher) weight(t *ptok) float32 {
	if m == nil || m.Freq == nil || m.Freq.names == 0 || t.org {
		return t.weight
	}
	if t.title {
		return t.weight
	}
	w := float32(m.Freq.weightOf(t.widx))
	if t.father && t.role != roleFamily {
		w *= 0.5
	}
	return w
}

// Bind computes p's token weights under m once, so that every later
// comparison of p by m reads them instead of looking up frequencies. It
// must be called before p is shared between goroutines (a list name when
// the index is built, a query name when it is prepared), and m's Freq must
// not change afterwards.
func (m *Matcher) Bind(p *Prepared) {
	w := make([]float32, len(p.toks))
	for i := range p.toks {
		w[i] = m.weight(&p.toks[i])
	}
	p.wts, p.wfreq = w, m.freq()
	p.trMask, p.wtrans = m.trans().mask(p), m.trans()
}

func (m *Matcher) trans() *Translations {
	if m == nil {
		return nil
	}
	return m.Trans
}

// transMask is p's mask of tokens with a translation under m.
func (m *Matcher) transMask(p *Prepared) uint16 {
	t := m.trans()
	if t == nil {
		return 0
	}
	if p.wtrans == t {
		return p.trMask
	}
	return t.mask(p)
}

func (m *Matcher) freq() *Freq {
	if m == nil {
		return nil
	}
	return m.Freq
}

// weights fills dst with p's token weights under m.
func (m *Matcher) weights(p *Prepared, dst []float32) {
	if p.wts != nil && p.wfreq == m.freq() {
		copy(dst, p.wts)
		return
	}
	for i := range dst {
		dst[i] = m.weight(&p.toks[i])
	}
}

func (m *Matcher) align(a, b *Prepared, al *alignment) float64 {
	na, nb := len(a.toks), len(b.toks)
	al.na, al.nb = na, nb
	if na == 0 || nb == 0 {
		if na == nb {
			return 1
		}
		return 0
	}
	m.weights(a, al.wa[:na])
	m.weights(b, al.wb[:nb])
	ma, mb := m.transMask(a), m.transMask(b)
	for i := 0; i < na; i++ {
		al.pa[i] = -1
	}
	for j := 0; j < nb; j++ {
		al.pb[j] = -1
	}
	for i := 0; i < na; i++ {
		ti := &a.toks[i]
		for j := 0; j < nb; j++ {
			tj := &b.toks[j]
			var s float64
			switch {
			case ti.tokenCode == tj.tokenCode:
				s = 1
			case ti.title != tj.title:
				// A title meets only a title (Hafiz, Haji), never a
				// name that looks like one (Mullah, Abdullah).
				s = 0
			default:
				s = cachedPairSim(ti, tj)
				if ti.stem != nil && tj.stem != nil && s > minTokenSim {
					// Two tribes share their ending: Achakzai and
					// Ishakzai are as alike as Achak and Ishak.
					s = min(s, cachedPairSim(ti.stem, tj.stem))
				}
				if s < transSim && ma&(1<<i) != 0 && mb&(1<<j) != 0 && m.Trans.has(ti.id, tj.id) {
					s = transSim
				}
				if s < abbrevSim && (a.org || b.org) && abbreviates(ti, tj) {
					s = abbrevSim
				}
			}
			al.sim[i][j] = float32(s)
		}
	}
	// Greedy best-first one-to-one alignment.
	for {
		bi, bj, best := -1, -1, float32(minTokenSim)
		for i := 0; i < na; i++ {
			if al.pa[i] >= 0 {
				continue
			}
			for j := 0; j < nb; j++ {
				if al.pb[j] >= 0 {
					continue
				}
				if s := al.sim[i][j]; s > best || (s == best && bi < 0 && s > minTokenSim) {
					bi, bj, best = i, j, s
				}
			}
		}
		if bi < 0 {
			break
		}
		al.pa[bi], al.pb[bj] = int8(bj), int8(bi)
		al.sa[bi], al.sb[bj] = best, best
	}
	// Split and merged tokens: an unmatched token next to another may
	// together form one token of the other name.
	m.tryMerge(a, b, al, false)
	m.tryMerge(b, a, al, true)
	// An acronym of the other name's words (ISIL, PRDF).
	m.tryAcronym(a, b, al, false)
	m.tryAcronym(b, a, al, true)
	return al.score(a, b)
}

// pairSim is the similarity of two tokens for alignment: exact at or
// above minTokenSim, 0 or a lower value below it, where it does not
// matter.
func pairSim(ti, tj *ptok) float64 {
	if ti.alt != nil || tj.alt != nil {
		return max(ti.sim(tj.tokenCode), altSim(ti, tj))
	}
	return ti.simAtLeast(tj.tokenCode, minTokenSim)
}

// altSim compares two tokens with a glued article (al-, el-) or abdul-
// removed from either, below an exact match by the alternative's penalty.
func altSim(a, b *ptok) float64 {
	s := 0.0
	if a.alt != nil {
		s = max(s, a.alt.sim(b.tokenCode)-float64(a.altPen))
	}
	if b.alt != nil {
		s = max(s, a.sim(b.alt)-float64(b.altPen))
	}
	if a.alt != nil && b.alt != nil {
		// Both stripped: al-Shammari and el-Shammari, Engineers and
		// Engineering.
		s = max(s, a.alt.sim(b.alt)-float64(a.altPen)-float64(b.altPen))
	}
	return s
}

// titleWeight is the weight of a title kept as an optional token.
const titleWeight = 0.3

// optionalMissing is the share of its weight an unmatched optional token
// (Khan, -zai, a title) counts against: little, but enough that the name
// with the fuller agreement ranks first.
const optionalMissing = 0.1

// inMerge reports whether token q (or -1) is part of a merged pair.
func inMerge(merged *[maxTokens]bool, q int8) bool {
	return q >= 0 && (merged[q] || (q > 0 && merged[q-1]))
}

// mergeMinSim is the similarity two adjacent tokens written as one word
// need with a token of the other name to be taken as split/merged.
const mergeMinSim = 0.8

// tryMerge looks for tokens x[i], x[i+1] (one of them unmatched) that
// written together meet a token y[j] better than their separate matches.
func (m *Matcher) tryMerge(x, y *Prepared, al *alignment, swapped bool) {
	px, py := &al.pa, &al.pb
	sx, sy := &al.sa, &al.sb
	mx, my := &al.mergedA, &al.mergedB
	if swapped {
		px, py, sx, sy, mx, my = &al.pb, &al.pa, &al.sb, &al.sa, &al.mergedB, &al.mergedA
	}
	for i := range x.merged {
		if (*px)[i] >= 0 && (*px)[i+1] >= 0 {
			continue
		}
		if x.toks[i].father || x.toks[i+1].father || x.toks[i].org || x.toks[i+1].org {
			continue
		}
		if (i > 0 && (*mx)[i-1]) || (*mx)[i] {
			continue
		}
		mc := x.merged[i]
		for j := range y.toks {
			if (*my)[j] || (j > 0 && (*my)[j-1]) {
				continue
			}
			ty := &y.toks[j]
			// Split and merged words begin alike (Gul Agha, Gulagha); the
			// check spares most edit distances.
			if ty.father || ty.org || ty.title || ty.head != mc.head || int(ty.n)+3 < int(mc.n) || int(ty.n) > int(mc.n)+3 {
				continue
			}
			s := float32(mc.simAtLeast(ty.tokenCode, mergeMinSim))
			if s < mergeMinSim {
				continue
			}
			// Merge only if it explains the tokens better than each of
			// their current matches.
			if ((*px)[i] >= 0 && s <= (*sx)[i]) || ((*px)[i+1] >= 0 && s <= (*sx)[i+1]) || ((*py)[j] >= 0 && s <= (*sy)[j]) {
				continue
			}
			// Partners that are themselves merged pairs of the other name
			// are left alone: undoing them is not worth the bookkeeping.
			if inMerge(my, (*px)[i]) || inMerge(my, (*px)[i+1]) {
				continue
			}
			for _, k := range [2]int{i, i + 1} {
				if p := (*px)[k]; p >= 0 {
					(*py)[p] = -1
					(*px)[k] = -1
				}
			}
			if p := (*py)[j]; p >= 0 {
				(*px)[p] = -1
				if (*mx)[p] {
					// j was met by an earlier merged pair p, p+1 of x
					(*px)[p+1] = -1
					(*mx)[p] = false
				}
			}
			(*px)[i], (*px)[i+1] = int8(j), int8(j)
			(*sx)[i], (*sx)[i+1] = s, s
			(*mx)[i] = true
			(*py)[j] = int8(i)
			(*sy)[j] = s
			break
		}
	}
}

// minMissingWeight is the least a token missing from the other name
// counts against it: even a common token (Mohammad) that one name has and
// the other lacks is some evidence of different people.
const minMissingWeight = 0.4

// fullCreditSim is the token similarity from which a pair earns all its
// weight: spelling variants of one name (Mohammad/Muhammad 0.97,
// Hussain/Husayn 0.98, Ahmad/Ahmed 0.94) are at or near it.
const fullCreditSim = 0.95

// credit maps a token similarity to the share of its weight it earns:
// nothing at minTokenSim, rising steeply to 0.97 at fullCreditSim, then
// slowly to 1 for identical keys, so that an exact spelling still ranks
// above a variant.
func credit(s float32) float64 {
	x := float64(s)
	switch {
	case x <= minTokenSim:
		return 0
	case x >= fullCreditSim:
		return 0.97 + 0.03*(x-fullCreditSim)/(1-fullCreditSim)
	}
	return 0.97 * (x - minTokenSim) / (fullCreditSim - minTokenSim)
}

// Costs of a token the other name has nothing to meet, as shares of its
// weight (at least minMissingWeight for names). A missing token is weaker
// evidence than a different one, but never no evidence: a registrant who
// shares one name with a listed person and has others besides is not
// that person by name alone.
const (
	// familyAbsent: a tribal name when the other name has no
	// unmatched name of its own left that could be a different one
	// (Ahmad Zazai vs Haji Ahmad Jan). When it has one (Noorzai vs
	// Ishakzai, Rahimi vs Karimi), the two disagree and the token costs
	// its whole weight.
	familyAbsent = 0.5
	// fatherAbsent: a father's name when the other name gives none.
	fatherAbsent = 0.4
	// minorMissing: Khan, Jan, Bibi, an initial, a lone Sayed, a legal
	// form; they weigh little already.
	minorMissing = 0.25
)

// One met token cannot carry a name that has other names besides: when a
// single pair met and the unmatched tokens of the own and father's names
// of both weigh substantialWeight or more, the score is held to
// singleBase + singleSlope*score (at most 0.72): under MatchThreshold and
// the gate, still ranking by the score. When all of one name met, at
// the same spelling or a variant of it (a one-word listed name,
// HIDAYATULLAH, met by a registrant's given name), the score is that
// value however much the other name has unmatched (at least 0.6), so
// that a review queue shows it.
const (
	substantialWeight = 0.3
	singleBase        = 0.6
	singleSlope       = 0.12
)

// substance is the weight of unmatched token t towards the single-pair
// hold: a father's name weighs half in the score, but whole here, since
// a registrant's father's name is no less a name of theirs.
func substance(t *ptok, w float64) float64 {
	if t.role == roleFather {
		return 2 * w
	}
	return w
}

// missCost is what unmatched token t (weight w) of one name costs when
// the other name has an unmatched given or family name left (open).
func missCost(t *ptok, w float64, otherFather, open bool) (cost float64, why string) {
	base := max(w, minMissingWeight)
	switch t.role {
	case roleTitle:
		return optionalMissing * w, "title"
	case roleMinor:
		return minorMissing * w, "minor"
	case roleFamily:
		if open {
			return base, ""
		}
		return familyAbsent * base, "no other name opposite"
	case roleFather:
		if otherFather {
			return base, ""
		}
		return fatherAbsent * base, "no father's name opposite"
	}
	return base, ""
}

// open reports whether name x has an unmatched given or family name.
func open(x *Prepared, px *[maxTokens]int8, n int) bool {
	for i := 0; i < n; i++ {
		if px[i] < 0 && (x.toks[i].role == roleGiven || x.toks[i].role == roleFamily) {
			return true
		}
	}
	return false
}

// givesFather reports whether name x gives a father's name for y's to
// meet: its own, or a token of x met a token of y's father's name (Omar
// s/o Mohammad vs Mohammad Omar), which makes the rest of y's father's
// name disagreement rather than absence.
func givesFather(x, y *Prepared, py *[maxTokens]int8, ny int) bool {
	if x.nFather > 0 {
		return true
	}
	for j := 0; j < ny; j++ {
		if py[j] >= 0 && y.toks[j].role == roleFather {
			return true
		}
	}
	return false
}

// score is the weighted share of credit over all tokens, each unmatched
// token counting against by missCost, lowered by the worst aligned pair: a
// token that aligned with a different name (Hasan~Husain) is evidence
// against. The more tokens agree, the less one weak pair lowers the
// score, since spelling differences add up over long names. A single met
// token among substantial unmatched ones is held under the threshold.
func (al *alignment) score(a, b *Prepared) float64 {
	var num, den float64
	worst := 1.0
	matched, pairs := 0, 0
	var unmatched float64        // weight of unmatched own and father's names
	coverA, coverB := true, true // every own and father's name met
	var oneSim float32           // of the met pair, when one met
	openA, openB := open(a, &al.pa, al.na), open(b, &al.pb, al.nb)
	fatherA, fatherB := givesFather(a, b, &al.pb, al.nb), givesFather(b, a, &al.pa, al.na)
	for i := 0; i < al.na; i++ {
		t := &a.toks[i]
		w := float64(al.wa[i])
		if al.pa[i] >= 0 {
			c := credit(al.sa[i])
			den += w
			num += w * c
			if !t.isOptional(b) {
				matched++
				worst = min(worst, c)
			}
			if t.role != roleTitle && !(i > 0 && al.mergedA[i-1]) {
				pairs++
				oneSim = al.sa[i]
			}
			continue
		}
		c, _ := missCost(t, w, fatherB, openB)
		den += c
		if t.role < roleMinor {
			unmatched += substance(t, w)
			coverA = false
		}
	}
	for j := 0; j < al.nb; j++ {
		t := &b.toks[j]
		w := float64(al.wb[j])
		if al.pb[j] >= 0 {
			c := credit(al.sb[j])
			den += w
			num += w * c
			if !t.isOptional(a) {
				worst = min(worst, c)
			}
			continue
		}
		c, _ := missCost(t, w, fatherA, openA)
		den += c
		if t.role < roleMinor {
			unmatched += substance(t, w)
			coverB = false
		}
	}
	if den == 0 {
		return 0
	}
	penalty := 0.5 * (1 - worst)
	if matched > 1 {
		penalty /= math.Sqrt(float64(matched))
	}
	s := num / den * (1 - penalty)
	if pairs == 1 && unmatched >= substantialWeight {
		if (coverA || coverB) && oneSim >= fullCreditSim {
			// All of one name met (HIDAYATULLAH): a screener should
			// see it, however much more the other name has.
			s = singleBase + singleSlope*s
		} else {
			s = min(s, singleBase+singleSlope*s)
		}
	}
	if s > 1 {
		s = 1
	}
	return s
}

// pairs renders the alignment; it allocates.
func (al *alignment) pairs(a, b *Prepared) []Aligned {
	out := make([]Aligned, 0, al.na+al.nb)
	openA, openB := open(a, &al.pa, al.na), open(b, &al.pb, al.nb)
	fatherA, fatherB := givesFather(a, b, &al.pb, al.nb), givesFather(b, a, &al.pa, al.na)
	for i := 0; i < al.na; i++ {
		t := &a.toks[i]
		p := al.pa[i]
		if ac := &al.acro; ac.on && ((!ac.onB && i == int(ac.tok)) || (ac.onB && ac.run&(1<<i) != 0)) {
			if below := uint16(1)<<i - 1; !ac.onB || ac.run&below == 0 { // once, at the run's first word
				out = append(out, acronymPair(a, b, al))
			}
			continue
		}
		switch {
		case p < 0:
			w, why := missCost(t, float64(al.wa[i]), fatherB, openB)
			out = append(out, Aligned{A: t.key, Weight: round4(float32(w)), Note: why})
		case al.mergedA[i]:
			out = append(out, Aligned{A: t.key + "+" + a.toks[i+1].key, B: b.toks[p].key, Sim: round4(al.sa[i]),
				Weight: float64(al.wa[i]+al.wa[i+1]+al.wb[p]) / 2})
			i++
		case al.mergedB[p]:
			out = append(out, Aligned{A: t.key, B: b.toks[p].key + "+" + b.toks[p+1].key, Sim: round4(al.sa[i]),
				Weight: float64(al.wa[i]+al.wb[p]+al.wb[p+1]) / 2})
		default:
			out = append(out, Aligned{A: t.key, B: b.toks[p].key, Sim: round4(al.sa[i]), Weight: float64(al.wa[i]+al.wb[p]) / 2})
		}
	}
	for j := 0; j < al.nb; j++ {
		t := &b.toks[j]
		if al.pb[j] < 0 {
			w, why := missCost(t, float64(al.wb[j]), fatherA, openA)
			out = append(out, Aligned{B: t.key, Weight: round4(float32(w)), Note: why})
		}
	}
	return out
}

func round4(f float32) float64 { return math.Round(float64(f)*10000) / 10000 }

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

package names

import (
	"sort"
)

// Translations are pairs of words that name the same thing in two
// languages (ZAVOD and PLANT, ISLAMIYA and ISLAMIC, SHERKAT and COMPANY),
// learnt from a list itself: organisations are listed under their names
// in several languages, so across many entries the same two words are
// left over when two names of one entry are aligned. No spelling distance
// joins them, and a hand-made dictionary would cover only the languages
// someone thought of; the list covers its own.
//
// A Translations is read-only once learnt and safe for concurrent use.
type Translations struct {
	partners map[uint32][]*tokenCode // by interned token id
	pairs    map[uint64]bool         // lo<<32 | hi of the two ids
}

// transSim is the similarity of two words that translate each other:
// below a spelling variant (fullCreditSim 0.95), since a learnt
// translation is less sure than the same word spelt twice.
const transSim = 0.88

// Learning thresholds. A pair must be left over together in
// minTransSupport entries (entries that share a name count once), and in
// at least minTransShare of the entries where the rarer of its two words
// is left over at all, so that a frequent word (IRAN, BANK) is not taken
// as the translation of every word it happens to stand beside. A
// comparison teaches only when its two names share a word (the pair then
// stands in the same frame: TULA CARTRIDGE PLANT and TULA CARTRIDGE
// WORKS) and each has at most maxTransLeft words left. On the SDN
// (2024-05) this learns about 110 pairs (FACTORY/ZAVOD/PLANT,
// NAUCHNO/SCIENTIFIC, ARMY/JAISH/EJERCITO, STATE/WILAYAT); allowing three
// words left or a support of two learnt more pairs, mostly wrong, and
// found no more held-out aliases.
const (
	minTransSupport = 3
	minTransShare   = 0.3
	maxTransLeft    = 2
	maxTransNames   = 24 // names of one entry compared with each other
)

// LearnTranslations learns translations from groups of names, each group
// the names of one organisation. Only what is in groups is learnt from:
// screening passes the names it indexes.
func LearnTranslations(groups [][]*Prepared) *Translations {
	var m Matcher // weights play no part: only which words met
	// Entries that share a name are one source of evidence: the branches
	// of one charity are listed apart under the same names, and would
	// otherwise teach their words to each other many times over.
	comp := sameNameComponents(groups)
	support := map[uint64]map[int]bool{}
	left := map[uint32]map[int]bool{} // sources in which a token was left over
	codes := map[uint32]*tokenCode{}
	for gi, g := range groups {
		if len(g) > maxTransNames {
			g = g[:maxTransNames]
		}
		pairs := map[uint64]bool{}
		toks := map[uint32]bool{}
		for i := range g {
			for j := i + 1; j < len(g); j++ {
				ua, ub := leftOver(&m, g[i], g[j])
				if ua == nil || ub == nil {
					continue
				}
				for _, x := range ua {
					toks[x.id] = true
					codes[x.id] = x.tokenCode
					for _, y := range ub {
						if x.id != y.id {
							pairs[pairKey(x.id, y.id)] = true
						}
					}
				}
				for _, y := range ub {
					toks[y.id] = true
					codes[y.id] = y.tokenCode
				}
			}
		}
		c := comp[gi]
		for k := range pairs {
			if support[k] == nil {
				support[k] = map[int]bool{}
			}
			support[k][c] = true
		}
		for id := range toks {
			if left[id] == nil {
				left[id] = map[int]bool{}
			}
			left[id][c] = true
		}
	}
	t := &Translations{partners: map[uint32][]*tokenCode{}, pairs: map[uint64]bool{}}
	for k, srcs := range support {
		lo, hi := uint32(k>>32), uint32(k)
		n := len(srcs)
		if n < minTransSupport || float64(n) < minTransShare*float64(min(len(left[lo]), len(left[hi]))) {
			continue
		}
		t.pairs[k] = true
		t.partners[lo] = append(t.partners[lo], codes[hi])
		t.partners[hi] = append(t.partners[hi], codes[lo])
	}
	for _, ps := range t.partners {
		sort.Slice(ps, func(i, j int) bool { return ps[i].id < ps[j].id })
	}
	return t
}

// sameNameComponents numbers the groups so that groups sharing a name
// (normalised) have one number.
func sameNameComponents(groups [][]*Prepared) []int {
	parent := make([]int, len(groups))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	first := map[string]int{}
	for gi, g := range groups {
		for _, p := range g {
			k := Normalize(p.Orig)
			if o, ok := first[k]; ok {
				parent[find(gi)] = find(o)
			} else {
				first[k] = gi
			}
		}
	}
	out := make([]int, len(groups))
	for i := range out {
		out[i] = find(i)
	}
	return out
}

func pairKey(a, b uint32) uint64 {
	return uint64(min(a, b))<<32 | uint64(max(a, b))
}

// leftOver aligns two names of one entry and returns the words of each
// that met nothing, when the two share a word and neither has more than
// maxTransLeft left; else nil, nil.
func leftOver(m *Matcher, a, b *Prepared) (ua, ub []*ptok) {
	var al alignment
	m.align(a, b, &al)
	anchored := false
	for i := 0; i < al.na; i++ {
		t := &a.toks[i]
		if al.pa[i] >= 0 {
			anchored = anchored || !t.kindOpt
			continue
		}
		if learnable(t) {
			ua = append(ua, t)
		}
	}
	for j := 0; j < al.nb; j++ {
		if t := &b.toks[j]; al.pb[j] < 0 && learnable(t) {
			ub = append(ub, t)
		}
	}
	if !anchored || len(ua) == 0 || len(ub) == 0 || len(ua) > maxTransLeft || len(ub) > maxTransLeft {
		return nil, nil
	}
	if partAcronym(ua, ub) || partAcronym(ub, ua) {
		return nil, nil
	}
	return ua, ub
}

// partAcronym reports whether the one word left in x could be initials
// that begin with those of the words left in y (ISIL KHORASAN, ISLAMIC
// STATE KHORASAN): the two are an acronym written differently, not
// translations, and learning ISIL/ISLAMIC would hide the acronym from
// ISLAMIC STATE OF IRAQ AND THE LEVANT.
func partAcronym(x, y []*ptok) bool {
	if len(x) != 1 || len(y) < 2 {
		return false
	}
	k := x[0].key
	if len(k) < len(y) || len(k) > maxAcronym {
		return false
	}
	for i, t := range y {
		if t.key == "" || t.key[0] != k[i] {
			return false
		}
	}
	return true
}

// learnable: ordinary words of three or more letters, interned.
func learnable(t *ptok) bool {
	if t.id == 0 || t.kindOpt || t.title || t.father || t.org || len(t.key) < 3 {
		return false
	}
	for i := 0; i < len(t.key); i++ {
		if c := t.key[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Len is the number of word pairs learnt.
func (t *Translations) Len() int {
	if t == nil {
		return 0
	}
	return len(t.pairs)
}

// Pairs returns the learnt pairs as words, sorted (for tests and for
// showing what was learnt).
func (t *Translations) Pairs() [][2]string {
	if t == nil {
		return nil
	}
	key := map[uint32]string{}
	intern.RLock()
	for k, c := range intern.m {
		if _, ok := t.partners[c.id]; ok {
			key[c.id] = k
		}
	}
	intern.RUnlock()
	var out [][2]string
	for k := range t.pairs {
		a, b := key[uint32(k>>32)], key[uint32(k)]
		if a > b {
			a, b = b, a
		}
		out = append(out, [2]string{a, b})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// has reports whether the tokens with ids a and b translate each other.
func (t *Translations) has(a, b uint32) bool {
	return a != 0 && b != 0 && t.pairs[pairKey(a, b)]
}

// mask has bit i set for each token of p with a learnt partner.
func (t *Translations) mask(p *Prepared) uint16 {
	if t == nil || len(t.partners) == 0 {
		return 0
	}
	var m uint16
	for i := range p.toks {
		if _, ok := t.partners[p.toks[i].id]; ok && !p.toks[i].title {
			m |= 1 << i
		}
	}
	return m
}

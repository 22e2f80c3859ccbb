package names

import "sort"

// keyCommonWeight: tokens weighing less than this (mohammad, ahmad, khan)
// are too frequent to be retrieval keys on their own.
const keyCommonWeight = 0.5

// minKeySkel is the shortest consonant skeleton that is a key on its own;
// shorter ones (Gul "kl", Noor "nr") match too much of a list and are keys
// only paired with another token of the name.
const minKeySkel = 3

// minDelSkel is the shortest skeleton whose one-deletion variants are
// keys; shorter variants would meet too many other names (Sultani would
// meet Salman through "sln").
const minDelSkel = 5

// Keys returns candidate-retrieval keys for a prepared name. Two names of
// one person in different transliterations or scripts share at least one
// key with high probability, while a common or short token alone is not a
// key (it would retrieve much of a list) unless it is the whole name.
//
//   - "k:" + consonant skeleton of each distinctive token (and of its
//     h-less and dh/th variants, and without a glued al-), and of each
//     adjacent pair written as one word, so that split and merged tokens
//     meet;
//   - "d:" + a skeleton of five or more consonants and each of its
//     one-deletion variants, so that skeletons one consonant apart meet;
//   - "p:" + two skeletons, for pairs of tokens at least one of which is
//     common or short (Gul Agha, Mohammad Nabi);
//   - "a:" + the initials of a name of three to six words (with and
//     without its legal forms, never its function words), and "a:" + the
//     word of a one-word name that can be an acronym, so that ISIL meets
//     ISLAMIC STATE OF IRAQ AND THE LEVANT;
//   - when no token of the name's own (not optional) is distinctive,
//     "k:" + the skeleton of each token, and for a name of one very short
//     token, "t:" + its key.
//
// Keys are sorted and distinct.
func Keys(p *Prepared) []string {
	var keys []string
	var own []*ptok
	hasStrong := false
	for i := range p.toks {
		t := &p.toks[i]
		if t.father || t.org || t.title {
			continue
		}
		strong := len(t.skel) >= minKeySkel && t.weight >= keyCommonWeight
		if strong {
			keys = appendSkelKeys(keys, t.code[:t.n])
			if t.alt != nil {
				keys = appendSkelKeys(keys, t.alt.code[:t.alt.n])
			}
		}
		if !t.kindOpt {
			own = append(own, t)
			hasStrong = hasStrong || strong
		}
	}
	if !hasStrong {
		// Nothing distinctive (Abdullah Khan, Mohammad Omar): each token
		// is a key, or the name could not be found from its parts.
		for _, t := range own {
			if len(t.skel) >= 2 {
				keys = append(keys, "k:"+t.skel)
			}
		}
	}
	// Pairs involving a weak token.
	for i, a := range own {
		for _, b := range own[i+1:] {
			if a.skel == "" || b.skel == "" || a.skel == b.skel {
				continue
			}
			aStrong := len(a.skel) >= minKeySkel && a.weight >= keyCommonWeight
			bStrong := len(b.skel) >= minKeySkel && b.weight >= keyCommonWeight
			if aStrong && bStrong {
				continue
			}
			for _, x := range pairSkels(a, aStrong) {
				for _, y := range pairSkels(b, bStrong) {
					if x != y {
						keys = append(keys, "p:"+min(x, y)+"+"+max(x, y))
					}
				}
			}
		}
	}
	// Adjacent pairs written as one word.
	for i := range p.merged {
		if p.toks[i].org || p.toks[i+1].org {
			continue
		}
		mc := p.merged[i]
		if s := skeleton(mc.code[:mc.n], nil); len(s) >= minKeySkel {
			keys = append(keys, "k:"+string(s))
		}
	}
	if len(keys) == 0 {
		// A name of one short or common token (Noor, Mohammad, Lau).
		for _, t := range own {
			if t.skel != "" {
				keys = append(keys, "k:"+t.skel)
			} else if t.key != "" {
				keys = append(keys, "t:"+t.key)
			}
		}
	}
	keys = appendAcronymKeys(keys, p)
	sort.Strings(keys)
	out := keys[:0]
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			out = append(out, k)
		}
	}
	return out
}

// appendSkelKeys appends the keys of one token code: its skeleton, the
// skeleton without an initial h (Haroun, Aroun), and the Arabic reading of
// dh and th (Qadhafi, Qaddafi).
func appendSkelKeys(keys []string, code []byte) []string {
	var buf [maxCode]byte
	s := skeleton(code, buf[:0])
	if len(s) < minKeySkel {
		return keys
	}
	keys = append(keys, "k:"+string(s))
	if s[0] == 'h' {
		keys = append(keys, "k:"+string(s[1:]))
	}
	if len(s) >= minDelSkel {
		// One consonant more or less or different (Alexander,
		// Alexanda; Belaventsev, Belavencev): the skeleton and its
		// one-deletion variants, so that skeletons one edit apart share
		// a key.
		keys = append(keys, "d:"+string(s))
		var d [maxCode]byte
		for i := range s {
			v := append(append(d[:0], s[:i]...), s[i+1:]...)
			keys = append(keys, "d:"+string(v))
		}
	}
	if hasDhTh(code) {
		if a := skeletonV(code, buf[:0], true); len(a) >= minKeySkel {
			keys = append(keys, "k:"+string(a))
		}
	}
	return keys
}

// appendAcronymKeys appends the "a:" keys of p: its one word when that
// can be an acronym, and the initials of its words. Only whole names are
// keyed (an acronym inside a longer name, NMZ ISKRA, is found through the
// other words): keying every run of words would retrieve many names by
// chance for every registrant.
func appendAcronymKeys(keys []string, p *Prepared) []string {
	var one *ptok
	n := 0
	for i := range p.toks {
		t := &p.toks[i]
		if t.father || t.title || t.kindOpt {
			continue
		}
		one = t
		n++
	}
	if n == 1 {
		if k := acronymKey(one); k != "" {
			keys = append(keys, "a:"+k)
		}
	}
	if !p.org {
		return keys
	}
	var withOrg, without [maxAcronym]byte
	nw, nwo := 0, 0
	for i := range p.toks {
		t := &p.toks[i]
		if t.father || t.title {
			break
		}
		if t.key == "" || acronymSkip[t.key] || (t.kindOpt && len(t.key) == 1) {
			continue
		}
		if nw++; nw <= maxAcronym {
			withOrg[nw-1] = t.key[0]
		}
		if !t.org {
			if nwo++; nwo <= maxAcronym {
				without[nwo-1] = t.key[0]
			}
		}
	}
	if nw >= minAcronym && nw <= maxAcronym {
		keys = append(keys, "a:"+string(withOrg[:nw]))
	}
	if nwo >= minAcronym && nwo <= maxAcronym && nwo != nw {
		keys = append(keys, "a:"+string(without[:nwo]))
	}
	return keys
}

// pairSkels are the skeletons a token takes part in pair keys with: its
// own; without a glued article (ALAMIN with Mohamed, to meet AL-AMIN,
// whose skeleton alone is too short to be a key); and, for a distinctive
// token whose skeleton is too short for "d:" keys, the skeleton with
// consonants that transliterations confuse made one (d/t, j/k, z/s, f/b,
// m/n), so that one consonant heard differently still retrieves the name
// beside a common one (Abdullah RAGAB, Abdallah RAJAB; Sidki AYAN, Sitki
// AYAN). The pair keeps this key specific where the merged skeleton alone
// would retrieve much of a list.
func pairSkels(t *ptok, strong bool) []string {
	out := []string{t.skel}
	if t.alt != nil {
		if s := string(skeleton(t.alt.code[:t.alt.n], nil)); s != "" && s != t.skel {
			out = append(out, s)
		}
	}
	if strong && len(t.skel) < minDelSkel {
		out = append(out, "~"+mergeSkel(t.skel))
		if hasDhTh(t.code[:t.n]) {
			// GHATHAFI read as Arabic: th is t, then merged with d.
			if a := mergeSkel(string(skeletonV(t.code[:t.n], nil, true))); a != mergeSkel(t.skel) {
				out = append(out, "~"+a)
			}
		}
	}
	return out
}

// mergeSkel maps each consonant of a skeleton to one of its confusable
// group.
func mergeSkel(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch c {
		case 'd':
			b[i] = 't'
		case 'j':
			b[i] = 'k'
		case 'z':
			b[i] = 's'
		case 'f':
			b[i] = 'b'
		case 'm':
			b[i] = 'n'
		}
	}
	return string(b)
}

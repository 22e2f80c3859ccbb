package names

import "sort"

// keyCommonWeight: tokens weighing less than this (mohammad, ahmad, khan)
// are too frequent to be retrieval keys on their own.
const keyCommonWeight = 0.5

// Keys returns candidate-retrieval keys for a prepared name. Two names of
// one person in different transliterations or scripts share at least one
// key with high probability; keys come from the consonant skeleton of each
// token ("k:" + skeleton) and of each adjacent pair written as one word (so
// split and merged tokens meet). A common token is not a key by itself
// unless the name has nothing rarer; then pairs of its tokens are ("p:").
// Keys are sorted and distinct.
func Keys(p *Prepared) []string {
	var keys []string
	rare := 0
	for _, t := range p.toks {
		if t.father {
			continue
		}
		if len(t.skel) < 2 {
			// Short tokens (Lau, Chi, Wai; Ali) have no skeleton worth a
			// key; the token itself is one unless it is common.
			if len(t.key) >= 2 && t.weight >= keyCommonWeight && !t.kindOpt {
				keys = append(keys, "t:"+t.key)
				rare++
			}
			continue
		}
		if t.optional && t.weight < keyCommonWeight {
			continue
		}
		if t.weight >= keyCommonWeight {
			keys = appendSkelKeys(keys, t.code[:t.n])
			if t.alt != nil {
				keys = appendSkelKeys(keys, t.alt.code[:t.alt.n])
			}
			rare++
		}
	}
	// Adjacent pairs written as one word.
	for i := range p.merged {
		if p.toks[i].optional && p.toks[i+1].optional {
			continue
		}
		mc := &p.merged[i]
		if s := skeleton(mc.code[:mc.n], nil); len(s) >= 3 {
			keys = append(keys, "k:"+string(s))
		}
	}
	if rare == 0 {
		// Only common tokens (Mohammad Khan, Ahmad Ali): the whole name, as
		// pairs of skeletons, and the lone token when there is one.
		var sk []string
		for _, t := range p.toks {
			if !t.father && len(t.skel) >= 1 {
				sk = append(sk, t.skel)
			}
		}
		sort.Strings(sk)
		switch len(sk) {
		case 0:
		case 1:
			keys = append(keys, "k:"+sk[0])
		default:
			for i := 0; i < len(sk); i++ {
				for j := i + 1; j < len(sk); j++ {
					if sk[i] != sk[j] {
						keys = append(keys, "p:"+sk[i]+"+"+sk[j])
					}
				}
			}
		}
	}
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
	if len(s) < 2 {
		return keys
	}
	keys = append(keys, "k:"+string(s))
	if s[0] == 'h' && len(s) >= 3 {
		keys = append(keys, "k:"+string(s[1:]))
	}
	if hasDhTh(code) {
		if a := skeletonV(code, buf[:0], true); len(a) >= 2 {
			keys = append(keys, "k:"+string(a))
		}
	}
	return keys
}

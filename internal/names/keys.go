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
		if t.father || len(t.skel) < 2 {
			continue
		}
		if t.optional && t.weight < keyCommonWeight {
			continue
		}
		if t.weight >= keyCommonWeight {
			keys = append(keys, "k:"+t.skel)
			rare++
		}
	}
	// Adjacent pairs written as one word.
	for i := range p.merged {
		if p.toks[i].optional && p.toks[i+1].optional {
			continue
		}
		mc := &p.merged[i]
		s := string(skeleton(mc.code[:mc.n], nil))
		if len(s) >= 3 {
			keys = append(keys, "k:"+s)
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

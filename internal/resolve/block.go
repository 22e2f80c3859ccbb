package resolve

import (
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
)

// Rule is one blocking rule: records that share any of its keys become
// candidate pairs. Keys appends record i's keys (none when a needed field is
// missing) to dst.
type Rule struct {
	Name string
	Keys func(d *Data, i int, dst []string) []string
	// Fields lists the fields the keys derive from. The rule's pairs agree
	// on them (exactly, or nearly for soundex keys) by construction, which
	// says nothing of whether the pairs match, so training on the rule's
	// pairs leaves them out.
	Fields []int
}

// On returns a rule keyed on the listed fields, each passed through its
// transform (nil keeps the value); a transform returning several keys (the
// words of a name, the phones of a record) yields one key per combination.
func On(name string, parts ...Part) Rule {
	var fields []int
	for _, p := range parts {
		fields = append(fields, p.Field)
	}
	// Transforms (the name engine's keys above all) are computed once per
	// distinct value, not once per record.
	// The memo grows with the dictionaries (the Linker adds values one
	// record at a time) and starts over for another data set.
	memo := make([][][]string, len(parts))
	var owner *Data
	return Rule{Name: name, Fields: fields, Keys: func(d *Data, i int, dst []string) []string {
		if owner != d {
			owner = d
			clear(memo)
		}
		keys := []string{""}
		for k, p := range parts {
			id := d.vals[p.Field][i]
			if id < 0 {
				return dst
			}
			v := d.dict[p.Field][id]
			var vs []string
			if p.Fn == nil {
				vs = []string{v}
			} else {
				if n := len(d.dict[p.Field]); len(memo[k]) < n {
					memo[k] = append(memo[k], make([][]string, n-len(memo[k]))...)
				}
				if vs = memo[k][id]; vs == nil {
					vs = p.Fn(v)
					if vs == nil {
						vs = []string{}
					}
					memo[k][id] = vs
				}
			}
			if len(vs) == 0 {
				return dst
			}
			next := make([]string, 0, len(keys)*len(vs))
			for _, k := range keys {
				for _, x := range vs {
					if x != "" {
						next = append(next, k+"\x1f"+x)
					}
				}
			}
			keys = next
		}
		return append(dst, keys...)
	}}
}

// Part is one field of a blocking key and how to turn its value into keys.
type Part struct {
	Field int
	Fn    func(string) []string
}

// Key transforms.
var (
	SoundexKey = func(s string) []string { return []string{Soundex(s)} }
	YearKey    = func(s string) []string {
		t, ok := parseDay(s)
		if !ok {
			return nil
		}
		out := []string{}
		for y := t.y; y <= t.y2 && len(out) < 3; y++ {
			out = append(out, itoa(y))
		}
		return out
	}
	WordsKey = func(s string) []string {
		return dedupe(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '.' || r == '-' }))
	}
	SplitKey = func(s string) []string { return strings.Split(s, "|") }
)

// PrefixKey keys on the first n characters.
func PrefixKey(n int) func(string) []string {
	return func(s string) []string {
		r := []rune(s)
		if len(r) > n {
			r = r[:n]
		}
		return []string{string(r)}
	}
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// BlockStats tells how one blocking rule fared.
type BlockStats struct {
	Rule      string
	Keys      int
	Blocks    int
	Capped    int // blocks over the cap, paired within a window only
	Generated int64
}

// block generates the candidate pairs of all rules, each pair once, as
// i<<32|j with i < j, sorted. A block larger than maxBlock ("Mohammad" born
// on 1 January) is not paired all against all: its records are sorted by
// sortKey and each is paired with its window neighbours only, so common
// values cost linear time and still find the close spellings.
func block(d *Data, rules []Rule, maxBlock, window int, sortKey func(i int) string, progress func(string, int64, int64)) ([]uint64, []uint32, []BlockStats) {
	stats := make([]BlockStats, len(rules))
	// Rules are keyed and paired on all cores; their pairs are merged into
	// the union in rule order (the order decides which rule found a pair
	// first). A rule may only start when fewer than workers rules wait to
	// be merged, which bounds memory to a few rules' pairs at a time.
	workers := runtime.GOMAXPROCS(0)
	results := make([]chan []uint64, len(rules))
	for ri := range results {
		results[ri] = make(chan []uint64, 1)
	}
	slots := make(chan struct{}, workers)
	go func() {
		for ri := range rules {
			slots <- struct{}{}
			go func() { results[ri] <- blockRule(d, rules[ri], maxBlock, window, sortKey, &stats[ri]) }()
		}
	}()
	var all []uint64
	var masks []uint32
	for ri := range rules {
		pairs := <-results[ri]
		all, masks = mergePairs(all, masks, pairs, uint32(1)<<ri)
		<-slots
		if progress != nil {
			progress("block", int64(ri+1), int64(len(rules)))
		}
	}
	return all, masks, stats
}

// blockRule returns the sorted unique candidate pairs of one rule.
func blockRule(d *Data, rule Rule, maxBlock, window int, sortKey func(i int) string, st *BlockStats) []uint64 {
	n := d.Len()
	type kr struct {
		h uint64
		r int32
	}
	var buf []string
	var pairs []uint64
	st.Rule = rule.Name
	var krs []kr
	for i := range n {
		buf = rule.Keys(d, i, buf[:0])
		for k, key := range buf {
			if indexOf(buf[:k], key) >= 0 {
				continue
			}
			krs = append(krs, kr{maphash.String(seed, key), int32(i)})
		}
	}
	st.Keys = len(krs)
	slices.SortFunc(krs, func(a, b kr) int {
		switch {
		case a.h < b.h:
			return -1
		case a.h > b.h:
			return 1
		}
		return int(a.r - b.r)
	})
	for s := 0; s < len(krs); {
		e := s + 1
		for e < len(krs) && krs[e].h == krs[s].h {
			e++
		}
		size := e - s
		if size > 1 {
			st.Blocks++
			members := make([]int32, 0, size)
			for _, x := range krs[s:e] {
				members = append(members, x.r)
			}
			before := len(pairs)
			if size <= maxBlock {
				for a := 0; a < size; a++ {
					for b := a + 1; b < size; b++ {
						pairs = append(pairs, pairOf(members[a], members[b]))
					}
				}
			} else {
				st.Capped++
				keys := make([]string, size)
				for k, m := range members {
					keys[k] = sortKey(int(m))
				}
				idx := make([]int, size)
				for k := range idx {
					idx[k] = k
				}
				slices.SortFunc(idx, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
				for a := 0; a < size; a++ {
					for b := a + 1; b < size && b <= a+window; b++ {
						pairs = append(pairs, pairOf(members[idx[a]], members[idx[b]]))
					}
				}
			}
			st.Generated += int64(len(pairs) - before)
		}
		s = e
	}
	radixSort(pairs)
	return slices.Compact(pairs)
}

// mergePairs merges the sorted unique pairs of one rule into the union so
// far, marking in masks which rules generated each pair.
func mergePairs(all []uint64, masks []uint32, add []uint64, bit uint32) ([]uint64, []uint32) {
	out := make([]uint64, 0, len(all)+len(add))
	om := make([]uint32, 0, len(all)+len(add))
	i, j := 0, 0
	for i < len(all) || j < len(add) {
		switch {
		case j == len(add) || i < len(all) && all[i] < add[j]:
			out, om = append(out, all[i]), append(om, masks[i])
			i++
		case i == len(all) || add[j] < all[i]:
			out, om = append(out, add[j]), append(om, bit)
			j++
		default:
			out, om = append(out, all[i]), append(om, masks[i]|bit)
			i++
			j++
		}
	}
	return out, om
}

func pairOf(a, b int32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

func unpair(p uint64) (int32, int32) { return int32(p >> 32), int32(p & 0xffffffff) }

// radixSort sorts pairs by bytes from the least significant, skipping the
// bytes all pairs share (record numbers use far fewer than 32 bits): tens of
// millions of pairs sort several times faster than by comparison.
func radixSort(a []uint64) {
	if len(a) < 1<<12 {
		slices.Sort(a)
		return
	}
	buf := make([]uint64, len(a))
	src, dst := a, buf
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, v := range src {
			count[byte(v>>shift)]++
		}
		if count[byte(src[0]>>shift)] == len(src) {
			continue
		}
		pos := 0
		for b := range count {
			c := count[b]
			count[b] = pos
			pos += c
		}
		for _, v := range src {
			b := byte(v >> shift)
			dst[count[b]] = v
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}

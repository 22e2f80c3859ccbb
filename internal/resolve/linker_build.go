package resolve

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"strings"
	"sync"

	"muster"
)

// Building a Linker is what every new process pays before its first link
// (each muster import): at 100,000 registrations a quarter of that went to
// computing sort keys, each record's once per rule and capped block, and
// looking them up through a map; as much again to sorting (key, record)
// pairs by comparison and growing their slice. Sort keys are now computed
// and ranked once per record on all cores, the pairs sorted by radix, and
// registrations' values made on all cores (AddRecords).

// chunks cuts [0, n) into a part per core, or one part when n is small.
func chunks(n int) [][2]int {
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || n < 4096 {
		return [][2]int{{0, n}}
	}
	size := (n + workers - 1) / workers
	var out [][2]int
	for lo := 0; lo < n; lo += size {
		out = append(out, [2]int{lo, min(n, lo+size)})
	}
	return out
}

// parallel calls f over the chunks of [0, n) on all cores.
func parallel(n int, f func(lo, hi int)) {
	var wg sync.WaitGroup
	for _, c := range chunks(n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(c[0], c[1])
		}()
	}
	wg.Wait()
}

// sortRanks ranks every record in (sort key, index) order: blocks
// over the cap are then ordered by comparing integers, not strings that
// in a block keyed on family name and birth year share their first words.
// The keys are sorted once, in parts on all cores merged after.
func sortRanks(n int, sortKey func(int) string) ranking {
	keys := make([]string, n)
	order := make([]int32, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			keys[i], order[i] = sortKey(i), int32(i)
		}
	})
	less := func(a, b int32) int {
		if c := strings.Compare(keys[a], keys[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}
	parallel(n, func(lo, hi int) { slices.SortFunc(order[lo:hi], less) })
	parts := chunks(n) // sorted each, merged two by two
	buf := make([]int32, n)
	for len(parts) > 1 {
		var next [][2]int
		for k := 0; k < len(parts); k += 2 {
			if k+1 == len(parts) {
				next = append(next, parts[k])
				continue
			}
			lo, mid, hi := parts[k][0], parts[k][1], parts[k+1][1]
			a, b, out := order[lo:mid], order[mid:hi], buf[lo:lo]
			for len(a) > 0 && len(b) > 0 {
				if less(a[0], b[0]) <= 0 {
					out, a = append(out, a[0]), a[1:]
				} else {
					out, b = append(out, b[0]), b[1:]
				}
			}
			out = append(append(out, a...), b...)
			copy(order[lo:hi], out)
			next = append(next, [2]int{lo, hi})
		}
		parts = next
	}
	rank := buf
	for r, i := range order {
		rank[i] = int32(r)
	}
	return ranking{rank, order}
}

// ranking is every record's rank in (sort key, index) order, and the
// records in that order.
type ranking struct{ rank, order []int32 }

// sort orders records as sortBySortKey does: by rank, sorted as plain
// integers.
func (rk ranking) sort(ids []int32) {
	for k, i := range ids {
		ids[k] = rk.rank[i]
	}
	slices.Sort(ids)
	for k, r := range ids {
		ids[k] = rk.order[r]
	}
}

// keyRecord is one blocking key (hashed) of one record.
type keyRecord struct {
	h uint64
	r int32
}

// sortKeyRecords sorts by hash, then record. It is a stable radix sort on
// the hash, so records given in increasing order stay so within a hash;
// bytes all hashes share are skipped.
func sortKeyRecords(a []keyRecord) {
	if len(a) < 1<<12 {
		slices.SortFunc(a, func(x, y keyRecord) int {
			if c := cmp.Compare(x.h, y.h); c != 0 {
				return c
			}
			return cmp.Compare(x.r, y.r)
		})
		return
	}
	buf := make([]keyRecord, len(a))
	src, dst := a, buf
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, v := range src {
			count[byte(v.h>>shift)]++
		}
		if count[byte(src[0].h>>shift)] == len(src) {
			continue
		}
		pos := 0
		for b := range count {
			c := count[b]
			count[b] = pos
			pos += c
		}
		for _, v := range src {
			b := byte(v.h >> shift)
			dst[count[b]] = v
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src)
	}
}

// buildRuleIndex indexes every record of d under rule; rk, the records in
// sort-key order, orders the blocks over maxBlock.
func buildRuleIndex(d *Data, rule Rule, maxBlock int, rk ranking) *ruleIndex {
	n := d.Len()
	var krs []keyRecord
	var buf []string
	for i := range n {
		buf = rule.Keys(d, i, buf[:0])
		if i == 1024 && n > 2048 {
			// Size the slice from the first records rather than grow it
			// from nothing: growing copied it a dozen times over.
			krs = slices.Grow(krs, len(krs)*(n/1024)*9/8)
		}
		for k, key := range buf {
			if indexOf(buf[:k], key) < 0 {
				krs = append(krs, keyRecord{maphash.String(seed, key), int32(i)})
			}
		}
	}
	sortKeyRecords(krs)
	ix := &ruleIndex{rule: rule, ids: make([]int32, len(krs)), more: map[uint64]*addedBlock{}}
	for k, x := range krs {
		if k == 0 || x.h != krs[k-1].h {
			ix.keys = append(ix.keys, x.h)
			ix.start = append(ix.start, int32(k))
		}
		ix.ids[k] = x.r
	}
	ix.start = append(ix.start, int32(len(krs)))
	for k := range ix.keys {
		if b := ix.ids[ix.start[k]:ix.start[k+1]]; len(b) > maxBlock {
			rk.sort(b)
		}
	}
	return ix
}

// AddRecords appends n registrations (record(i) gives the i-th) as
// AddRecord does, one after another, with their values (names normalised,
// dates written) made on all cores, and interned a field per core.
func AddRecords(d *Data, n int, record func(i int) *muster.Record) error {
	ids, groups, rows := make([]string, n), make([]string, n), make([][]string, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ids[i], groups[i], rows[i] = RecordValues(record(i))
		}
	})
	return d.addRows(ids, groups, rows)
}

// addRows appends records as Data.Add does, each field's values interned
// on a core of its own: the fields' dictionaries are independent.
func (d *Data) addRows(ids, groups []string, rows [][]string) error {
	for k, v := range rows {
		if len(v) != len(d.Fields) {
			return fmt.Errorf("record %d: %d values for %d fields", len(d.IDs)+k+1, len(v), len(d.Fields))
		}
	}
	d.IDs = append(d.IDs, ids...)
	for _, group := range groups {
		d.Group = append(d.Group, d.groupOf(group))
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for f := range d.Fields {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			vals := slices.Grow(d.vals[f], len(rows))
			for _, row := range rows {
				vals = append(vals, d.intern(f, row[f]))
			}
			d.vals[f] = vals
		}()
	}
	wg.Wait()
	return nil
}

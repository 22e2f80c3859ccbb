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
// once per record on all cores, the pairs sorted by radix, and
// registrations' values made on all cores (AddRecords).

// parallel calls f over [0, n) in chunks on all cores.
func parallel(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || n < 4096 {
		f(0, n)
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, min(n, lo+chunk))
		}()
	}
	wg.Wait()
}

// sortKeys returns every record's sort key.
func sortKeys(n int, sortKey func(int) string) []string {
	keys := make([]string, n)
	parallel(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			keys[i] = sortKey(i)
		}
	})
	return keys
}

// sortByKeys orders records by sort key (keys[i] is record i's), then by
// index, as sortBySortKey does.
func sortByKeys(ids []int32, keys []string) {
	slices.SortFunc(ids, func(a, b int32) int {
		if c := strings.Compare(keys[a], keys[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
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

// buildRuleIndex indexes every record of d under rule; keys[i] is record
// i's sort key, which orders the blocks over maxBlock.
func buildRuleIndex(d *Data, rule Rule, maxBlock int, keys []string) *ruleIndex {
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
			sortByKeys(b, keys)
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
		g := int32(-1)
		if group != "" {
			var ok bool
			if g, ok = d.groups[group]; !ok {
				g = int32(len(d.groups))
				d.groups[group] = g
			}
		}
		d.Group = append(d.Group, g)
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
				v := row[f]
				if v == "" {
					vals = append(vals, -1)
					continue
				}
				id, ok := d.index[f][v]
				if !ok {
					id = int32(len(d.dict[f]))
					d.index[f][v] = id
					d.dict[f] = append(d.dict[f], v)
					d.count[f] = append(d.count[f], 0)
				}
				d.count[f][id]++
				d.nonNull[f]++
				vals = append(vals, id)
			}
			d.vals[f] = vals
		}()
	}
	wg.Wait()
	return nil
}

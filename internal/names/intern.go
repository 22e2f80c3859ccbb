package names

import (
	"math"
	"sync"
	"sync/atomic"
)

// Token codes are interned: every distinct key is encoded once and gets an
// id, so that prepared names share their codes (less memory, fewer cache
// misses when a list is screened) and the similarity of two tokens, once
// computed, is remembered in simCache. Names are made of a small
// vocabulary (Mohammad meets Ahmad millions of times in a screening run),
// so most token pairs are found there.

// maxIntern bounds the intern table; tokens beyond it are encoded
// privately (id 0) and not cached.
const maxIntern = 1 << 20

var intern = struct {
	sync.RWMutex
	m     map[string]*tokenCode
	codes int
}{m: map[string]*tokenCode{}}

// internCode returns the shared code of a marked key.
func internCode(mkey string) *tokenCode {
	intern.RLock()
	c, ok := intern.m[mkey]
	intern.RUnlock()
	if ok {
		return c
	}
	nc := makeCode(mkey)
	intern.Lock()
	defer intern.Unlock()
	if c, ok := intern.m[mkey]; ok {
		return c
	}
	if intern.codes >= maxIntern {
		return &nc
	}
	intern.codes++
	nc.id = uint32(intern.codes)
	intern.m[mkey] = &nc
	return &nc
}

// simCache is a direct-mapped, lock-free cache of token-pair similarities:
// each slot holds the two ids (22 bits each) and the similarity quantised
// to 20 bits. Races only lose entries.
var simCache [1 << 20]atomic.Uint64

const (
	simBits = 20
	simMax  = 1<<simBits - 1
)

// quantize rounds a similarity to what simCache stores, so that a cached
// and a freshly computed value are the same.
func quantize(s float64) float64 {
	return math.Round(s*simMax) / simMax
}

func cacheSlot(lo, hi uint32) uint32 {
	h := uint64(lo)*0x9E3779B97F4A7C15 ^ uint64(hi)*0xC2B2AE3D27D4EB4F
	return uint32(h>>44) & (1<<20 - 1)
}

// cachedPairSim returns the quantised pairSim of two tokens, from the
// cache when both are interned.
func cachedPairSim(ti, tj *ptok) float64 {
	a, b := ti.id, tj.id
	if a == 0 || b == 0 {
		return quantize(pairSim(ti, tj))
	}
	lo, hi := min(a, b), max(a, b)
	tag := uint64(lo)<<42 | uint64(hi)<<simBits
	slot := &simCache[cacheSlot(lo, hi)]
	if e := slot.Load(); e&^simMax == tag && e != 0 {
		return float64(e&simMax) / simMax
	}
	q := math.Round(pairSim(ti, tj) * simMax)
	slot.Store(tag | uint64(q))
	return q / simMax
}

// resetSimCache empties the cache (for tests).
func resetSimCache() {
	for i := range simCache {
		simCache[i].Store(0)
	}
}

// Weight keys (see weightKey) are interned too, so that Freq counts are a
// slice indexed by them rather than a map.
var wkeys = struct {
	sync.RWMutex
	m map[string]uint32
}{m: map[string]uint32{}}

// internWkey returns the index of a weight key, adding it; 0 when the
// table is full.
func internWkey(k string) uint32 {
	if i := lookupWkey(k); i != 0 {
		return i
	}
	wkeys.Lock()
	defer wkeys.Unlock()
	if i, ok := wkeys.m[k]; ok {
		return i
	}
	if len(wkeys.m) >= maxIntern {
		return 0
	}
	i := uint32(len(wkeys.m) + 1)
	wkeys.m[k] = i
	return i
}

// lookupWkey returns the index of a weight key, or 0 if it was never
// interned.
func lookupWkey(k string) uint32 {
	wkeys.RLock()
	defer wkeys.RUnlock()
	return wkeys.m[k]
}

package lists

import (
	"reflect"
	"sort"
)

// Delta is what changed between two versions of a list.
type Delta struct {
	Added   []Entry
	Changed []Change
	Removed []Entry
}

// Change is one entry present in both versions with different content.
// Fields names what differs ("names", "dobs", "nationalities", "sex",
// "type", "programs", "pobs", "documents", "addresses", "remarks").
type Change struct {
	Old, New Entry
	Fields   []string
}

// screeningFields are the fields a screening score depends on.
var screeningFields = map[string]bool{"names": true, "dobs": true, "nationalities": true, "sex": true, "type": true}

// AffectsScreening reports whether the change can alter a screening result,
// so that only people who could match the entry are screened again; a new
// programme or remark alone cannot.
func (c Change) AffectsScreening() bool {
	for _, f := range c.Fields {
		if screeningFields[f] {
			return true
		}
	}
	return false
}

// Diff compares two versions of a list by entry key (list and id). Entries
// are matched by key, never by name: a renamed entry is a change, not a
// removal and an addition. Each result is sorted by key.
func Diff(old, new []Entry) Delta {
	var d Delta
	oldBy := make(map[string]*Entry, len(old))
	for i := range old {
		oldBy[old[i].Key()] = &old[i]
	}
	newBy := make(map[string]bool, len(new))
	for i := range new {
		n := &new[i]
		newBy[n.Key()] = true
		o, ok := oldBy[n.Key()]
		if !ok {
			d.Added = append(d.Added, *n)
			continue
		}
		if fs := changedFields(o, n); len(fs) > 0 {
			d.Changed = append(d.Changed, Change{Old: *o, New: *n, Fields: fs})
		}
	}
	for i := range old {
		if !newBy[old[i].Key()] {
			d.Removed = append(d.Removed, old[i])
		}
	}
	sort.Slice(d.Added, func(i, j int) bool { return keyLess(d.Added[i].Key(), d.Added[j].Key()) })
	sort.Slice(d.Removed, func(i, j int) bool { return keyLess(d.Removed[i].Key(), d.Removed[j].Key()) })
	sort.Slice(d.Changed, func(i, j int) bool { return keyLess(d.Changed[i].New.Key(), d.Changed[j].New.Key()) })
	return d
}

// keyLess orders keys with numeric ids numerically (OFAC ent_num).
func keyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

func changedFields(o, n *Entry) []string {
	var fs []string
	add := func(name string, differ bool) {
		if differ {
			fs = append(fs, name)
		}
	}
	add("type", o.Type != n.Type)
	add("names", !sameNames(o.Names, n.Names))
	add("dobs", !sameDOBs(o.DOBs, n.DOBs))
	add("nationalities", !sameSet(o.Nationalities, n.Nationalities))
	add("sex", o.Sex != n.Sex)
	add("programs", !sameSet(o.Programs, n.Programs))
	add("pobs", !sameSet(o.POBs, n.POBs))
	add("documents", !reflect.DeepEqual(o.Documents, n.Documents))
	add("addresses", !reflect.DeepEqual(o.Addresses, n.Addresses))
	add("remarks", o.Remarks != n.Remarks)
	return fs
}

// sameNames compares names as a set: a list that reorders aliases has not
// changed them.
func sameNames(a, b []EntryName) bool {
	if len(a) != len(b) {
		return false
	}
	set := make(map[EntryName]int, len(a))
	for _, n := range a {
		set[n]++
	}
	for _, n := range b {
		if set[n] == 0 {
			return false
		}
		set[n]--
	}
	return true
}

// sameDOBs compares what the dates say, not how they were written.
func sameDOBs(a, b []DateRange) bool {
	if len(a) != len(b) {
		return false
	}
	strip := func(r DateRange) DateRange {
		r.From.Written, r.To.Written = "", ""
		return r
	}
	set := make(map[DateRange]int, len(a))
	for _, r := range a {
		set[strip(r)]++
	}
	for _, r := range b {
		if set[strip(r)] == 0 {
			return false
		}
		set[strip(r)]--
	}
	return true
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	set := make(map[string]int, len(a))
	for _, s := range a {
		set[s]++
	}
	for _, s := range b {
		if set[s] == 0 {
			return false
		}
		set[s]--
	}
	return true
}

package resolve

import (
	"strings"
	"sync/atomic"

	"muster/internal/names"
)

// An Extender is a Comparator that can prepare the values appended to its
// field's dictionary since the last Prepare or Extend without preparing the
// others again: the Linker adds one record at a time to a dictionary of
// hundreds of thousands of values, and Prepare over all of them would cost
// more than the link. values is the whole dictionary, old values first.
// Comparators without it are prepared afresh (correct, slower).
type Extender interface {
	Extend(values []string)
}

func (c *StringCmp) Extend(v []string)   { c.vals = v }
func (c *CodeCmp) Extend(v []string)     { c.vals = v }
func (c *PostcodeCmp) Extend(v []string) { c.vals = v }

func (c *TextCmp) Extend(v []string) {
	for _, s := range v[len(c.vals):] {
		c.vals = append(c.vals, strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '.' }), " "))
	}
}

func (c *ExactCmp) Extend(v []string) {
	for _, s := range v[len(c.vals):] {
		c.vals = append(c.vals, strings.Split(s, "|"))
	}
}

func (c *DateCmp) Extend(v []string) {
	old := len(c.vals)
	if old == len(v) {
		return
	}
	// Prepare the new values on their own and append what it made.
	var n DateCmp
	n.Prepare(v[old:])
	c.vals, c.ok, c.str = append(c.vals, n.vals...), append(c.ok, n.ok...), append(c.str, n.str...)
}

// Extend keeps the cache: its keys are value ids, which do not change.
func (c *NameCmp) Extend(v []string) {
	if c.cache == nil {
		c.cache = make([]atomic.Uint64, 1<<nameCacheBits)
	}
	for _, s := range v[len(c.prep):] {
		c.prep = append(c.prep, names.Prepare(s))
		c.toks = append(c.toks, strings.Fields(names.ToLatin(s)))
	}
}

// extend brings every comparator up to the dictionaries after records were
// added.
func (d *Data) extend() {
	for f := range d.Fields {
		if e, ok := d.Fields[f].Cmp.(Extender); ok {
			e.Extend(d.dict[f])
		} else {
			d.Fields[f].Cmp.Prepare(d.dict[f])
		}
	}
}

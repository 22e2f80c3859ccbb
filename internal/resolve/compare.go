package resolve

import (
	"strconv"
	"strings"
)

// A Comparator sorts a pair of values of one field into a comparison level,
// the unit of Fellegi-Sunter evidence: each level has its own m (how often
// the same person's two records fall in it) and u (how often two random
// records do).
//
// Level 0 is always exact agreement; the engine assigns it itself when the
// two values are equal, so Level is only asked about unequal values. Prepare
// receives the field's distinct values once, so that comparators can parse
// or normalise each value once instead of once per pair. Level must be safe
// for concurrent use after Prepare.
type Comparator interface {
	Levels() []string
	Prepare(values []string)
	Level(a, b int32) int
}

// StringCmp grades generic strings (suburb, occupation, given names in
// English): exact, one typo, Jaro-Winkler >= Close, >= Far, else.
type StringCmp struct {
	Close, Far float64
	vals       []string
}

// NewStringCmp returns the comparator Splink's demos use for names and
// free text: Jaro-Winkler thresholds 0.92 and 0.8.
func NewStringCmp() *StringCmp { return &StringCmp{Close: 0.92, Far: 0.80} }

func (c *StringCmp) Levels() []string {
	return []string{"exact", "typo", "jw>=" + ftoa(c.Close), "jw>=" + ftoa(c.Far), "else"}
}
func (c *StringCmp) Prepare(v []string)   { c.vals = v }
func (c *StringCmp) Level(a, b int32) int { return c.LevelStrings(c.vals[a], c.vals[b]) }

// LevelStrings grades two strings; equal ones are exact.
func (c *StringCmp) LevelStrings(x, y string) int {
	if x == y {
		return 0
	}
	if WithinOneEdit(x, y) {
		return 1
	}
	s := JaroWinkler(x, y)
	switch {
	case s >= c.Close:
		return 2
	case s >= c.Far:
		return 3
	}
	return 4
}

// TextCmp grades multi-word text where words may be reordered, dropped or
// added ("thomas clifford, 1st baron clifford" vs "thomas of chudleigh"):
// exact, same words, Jaro-Winkler close, most words shared, some shared, else.
type TextCmp struct{ vals []string }

func (c *TextCmp) Levels() []string {
	return []string{"exact", "same-words", "jw>=0.92", "tokens>=0.5", "tokens>0", "else"}
}
func (c *TextCmp) Prepare(v []string) {
	c.vals = make([]string, len(v))
	for i, s := range v {
		c.vals[i] = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '.' }), " ")
	}
}
func (c *TextCmp) Level(a, b int32) int {
	x, y := c.vals[a], c.vals[b]
	t := TokenJaccard(x, y)
	switch {
	case t == 1:
		return 1
	case JaroWinkler(x, y) >= 0.92:
		return 2
	case t >= 0.5:
		return 3
	case t > 0:
		return 4
	}
	return 5
}

// CodeCmp grades identifiers (passport, national id, social security,
// postcode, street number): exact, one edit or transposition, else.
type CodeCmp struct{ vals []string }

func (c *CodeCmp) Levels() []string   { return []string{"exact", "one-edit", "else"} }
func (c *CodeCmp) Prepare(v []string) { c.vals = v }
func (c *CodeCmp) Level(a, b int32) int {
	if WithinOneEdit(c.vals[a], c.vals[b]) {
		return 1
	}
	return 2
}

// ExactCmp grades categorical or multi-valued fields (sex, phones, emails;
// several values separated by "|"): any value in common, else.
type ExactCmp struct{ vals [][]string }

func (c *ExactCmp) Levels() []string { return []string{"exact", "else"} }
func (c *ExactCmp) Prepare(v []string) {
	c.vals = make([][]string, len(v))
	for i, s := range v {
		c.vals[i] = strings.Split(s, "|")
	}
}
func (c *ExactCmp) Level(a, b int32) int {
	for _, x := range c.vals[a] {
		if indexOf(c.vals[b], x) >= 0 {
			return 0
		}
	}
	return 1
}

// day is a date of birth as far as it is known.
type day struct {
	y, y2, m, d int // y2: last year of a range (Solar Hijri years span two), else y
}

// parseDay reads YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD or a year range
// YYYY~YYYY. ok is false for anything else.
func parseDay(s string) (day, bool) {
	var t day
	s = strings.TrimSpace(s)
	if a, b, found := strings.Cut(s, "~"); found {
		y1, err1 := strconv.Atoi(a)
		y2, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || y2 < y1 {
			return t, false
		}
		return day{y: y1, y2: y2}, true
	}
	if len(s) == 8 && !strings.Contains(s, "-") {
		s = s[:4] + "-" + s[4:6] + "-" + s[6:]
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 {
		return t, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return t, false
		}
		n[i] = v
	}
	t.y, t.y2, t.m, t.d = n[0], n[0], n[1], n[2]
	if t.y == 0 || t.m > 12 || t.d > 31 || (t.d > 0 && t.m == 0) {
		return t, false
	}
	return t, true
}

func (t day) full() bool { return t.d > 0 }

// days is a rough day number, good enough for "within a year".
func (t day) days() int { return t.y*372 + t.m*31 + t.d }

// DateCmp grades dates of birth: exact; day and month swapped; one typo in
// the digits; agreement as far as the less precise date goes (a year alone,
// or a Solar Hijri year range); within a year; within five years; else.
// Siblings typically land in "within five years" or "else".
type DateCmp struct {
	vals []day
	ok   []bool
	str  []string
}

func (c *DateCmp) Levels() []string {
	return []string{"exact", "day-month-swapped", "one-typo", "agree-imprecise", "within-1y", "within-5y", "else"}
}
func (c *DateCmp) Prepare(v []string) {
	c.vals, c.ok, c.str = make([]day, len(v)), make([]bool, len(v)), make([]string, len(v))
	for i, s := range v {
		c.vals[i], c.ok[i] = parseDay(s)
		switch {
		case c.ok[i] && c.vals[i].full():
			c.str[i] = strconv.Itoa(c.vals[i].y*10000 + c.vals[i].m*100 + c.vals[i].d)
		case !c.ok[i]:
			// An impossible date (1862-86-25) is most likely a typo of a
			// real one: keep its digits for the one-typo level.
			c.str[i] = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, s)
		}
	}
}
func (c *DateCmp) Level(a, b int32) int {
	if !c.ok[a] || !c.ok[b] {
		if WithinOneEdit(c.str[a], c.str[b]) {
			return 2
		}
		return 6
	}
	x, y := c.vals[a], c.vals[b]
	if x.full() && y.full() {
		switch {
		case x == y:
			return 0
		case x.y == y.y && x.m == y.d && x.d == y.m:
			return 1
		case WithinOneEdit(c.str[a], c.str[b]):
			return 2
		}
		dd := x.days() - y.days()
		if dd < 0 {
			dd = -dd
		}
		if dd <= 372 {
			return 4
		}
	} else if x.y <= y.y2 && y.y <= x.y2 && (x.m == 0 || y.m == 0 || x.m == y.m) {
		return 3
	}
	gap := 0
	switch {
	case x.y > y.y2:
		gap = x.y - y.y2
	case y.y > x.y2:
		gap = y.y - x.y2
	}
	switch {
	case gap <= 1:
		return 4
	case gap <= 5:
		return 5
	}
	return 6
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

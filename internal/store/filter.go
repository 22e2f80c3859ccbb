package store

import (
	"fmt"
	"strings"
)

// where builds a statement's optional equality filters. Writing an
// optional filter as "($2 = 0 OR person_id = $2)" keeps one statement
// text but keeps the planners (SQLite's certainly) from the column's
// index: a person's events then scanned the whole event log. where puts
// only the filters given in the text, numbered after the arguments
// already there.
type where struct {
	b    strings.Builder
	args []any
}

// arg adds an argument and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// eq adds " AND col = $N" when set.
func (w *where) eq(col string, set bool, v any) { w.eqAll(set, v, col) }

// eqAll adds " AND col = $N" for each of cols, all bound to v, when set.
func (w *where) eqAll(set bool, v any, cols ...string) {
	if !set {
		return
	}
	p := w.arg(v)
	for _, c := range cols {
		fmt.Fprintf(&w.b, " AND %s = %s", c, p)
	}
}

func (w *where) String() string { return w.b.String() }

package store

// The operation's call-forward priorities: a weight per category and a
// weight per vulnerability point (schedule.Weights), kept in the meta
// table beside the operation's name and categories. Until a coordinator
// sets them they follow the operation's own category order, as
// schedule.DefaultWeights does for the default categories.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/schedule"
)

// EventWeights is the event of a change to the operation's priorities.
const EventWeights = "operation.weights"

// Meta keys of the priorities: "weights" holds "cat=N,cat=N" (absent until
// set: the category order decides), "vulnerability_weight" holds N.
const (
	metaWeights       = "weights"
	metaVulnWeight    = "vulnerability_weight"
	maxPriorityWeight = 1_000_000
)

// DefaultVulnerabilityWeight is the weight of a vulnerability point until
// the operation sets its own: half a category step (schedule.DefaultWeights),
// so two points outweigh one step.
const DefaultVulnerabilityWeight = 5

// OrderWeights derives weights from a category order: the first category
// ranks highest, 10 points apart, as schedule.DefaultWeights does.
func OrderWeights(cats []muster.Category) schedule.Weights {
	w := schedule.Weights{Category: make(map[muster.Category]int, len(cats)), Vulnerability: DefaultVulnerabilityWeight}
	for i, c := range cats {
		w.Category[c] = 10 * (len(cats) - i)
	}
	return w
}

// Weights returns the operation's priorities: its stored category weights
// (a category without one ranks at 0) or, when none were set, weights from
// its category order; and its vulnerability weight.
func (s *Store) Weights(ctx context.Context) (schedule.Weights, error) {
	return s.weights(ctx, s.db)
}

func (s *Store) weights(ctx context.Context, q querier) (schedule.Weights, error) {
	var cats, ws, vw sql.NullString
	rows, err := q.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN ('categories', $1, $2)`, metaWeights, metaVulnWeight)
	if err != nil {
		return schedule.Weights{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return schedule.Weights{}, err
		}
		switch k {
		case "categories":
			cats = sql.NullString{String: v, Valid: true}
		case metaWeights:
			ws = sql.NullString{String: v, Valid: true}
		case metaVulnWeight:
			vw = sql.NullString{String: v, Valid: true}
		}
	}
	if err := rows.Err(); err != nil {
		return schedule.Weights{}, err
	}
	var order []muster.Category
	for _, c := range strings.Split(cats.String, ",") {
		if c != "" {
			order = append(order, muster.Category(c))
		}
	}
	w := OrderWeights(order)
	if ws.Valid {
		stored, err := ParseWeights(ws.String)
		if err != nil {
			return schedule.Weights{}, fmt.Errorf("meta %s: %w", metaWeights, err)
		}
		w.Category = make(map[muster.Category]int, len(order))
		for _, c := range order {
			w.Category[c] = stored[c] // 0 for a category added after the weights were set
		}
	}
	if vw.Valid {
		if w.Vulnerability, err = strconv.Atoi(vw.String); err != nil {
			return schedule.Weights{}, fmt.Errorf("meta %s: %q is not a number", metaVulnWeight, vw.String)
		}
	}
	return w, nil
}

// ParseWeights reads "citizen=100,siv_applicant=50" into category weights.
// Each weight is a whole number from 0 to 1,000,000; an error names the
// item at fault. It does not check the categories against an operation
// (SetWeights does).
func ParseWeights(text string) (map[muster.Category]int, error) {
	out := map[muster.Category]int{}
	for item := range strings.SplitSeq(text, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, num, ok := strings.Cut(item, "=")
		name, num = strings.TrimSpace(name), strings.TrimSpace(num)
		if !ok || name == "" {
			return nil, muster.Errorf(muster.EINVALID, "weight %q: write category=number", item)
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || n > maxPriorityWeight {
			return nil, muster.Errorf(muster.EINVALID, "weight %q: %q is not a whole number from 0 to %d", item, num, maxPriorityWeight)
		}
		if _, dup := out[muster.Category(name)]; dup {
			return nil, muster.Errorf(muster.EINVALID, "weight %q: category %s is given twice", item, name)
		}
		out[muster.Category(name)] = n
	}
	return out, nil
}

// FormatWeights renders category weights in the operation's category order
// as ParseWeights reads them.
func FormatWeights(w schedule.Weights, order []muster.Category) string {
	parts := make([]string, 0, len(order))
	for _, c := range order {
		parts = append(parts, fmt.Sprintf("%s=%d", c, w.Category[c]))
	}
	return strings.Join(parts, ",")
}

// SetWeights changes the operation's priorities in one event: cats (may be
// nil) sets the weights of the categories it names, every other category
// keeping its current weight; vulnerability, when not nil, sets the weight
// of a vulnerability point. It returns EINVALID naming a category the
// operation does not have or a weight out of range.
func (s *Store) SetWeights(ctx context.Context, actor string, cats map[muster.Category]int, vulnerability *int) error {
	if vulnerability != nil && (*vulnerability < 0 || *vulnerability > maxPriorityWeight) {
		return muster.Errorf(muster.EINVALID, "vulnerability weight %d: use a whole number from 0 to %d", *vulnerability, maxPriorityWeight)
	}
	for c, n := range cats {
		if n < 0 || n > maxPriorityWeight {
			return muster.Errorf(muster.EINVALID, "weight of %s: %d is not from 0 to %d", c, n, maxPriorityWeight)
		}
	}
	if len(cats) == 0 && vulnerability == nil {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		op, err := s.operationTx(ctx, tx)
		if err != nil {
			return err
		}
		var unknown []string
		for c := range cats {
			if !op.HasCategory(c) {
				unknown = append(unknown, string(c))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			names := make([]string, len(op.Categories))
			for i, c := range op.Categories {
				names[i] = string(c)
			}
			return muster.Errorf(muster.EINVALID, "weights: %s is not a category of this operation (%s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
		}
		w, err := s.weights(ctx, tx)
		if err != nil {
			return err
		}
		for c, n := range cats {
			w.Category[c] = n
		}
		if vulnerability != nil {
			w.Vulnerability = *vulnerability
		}
		text := FormatWeights(w, op.Categories)
		for k, v := range map[string]string{metaWeights: text, metaVulnWeight: strconv.Itoa(w.Vulnerability)} {
			if err := setMeta(ctx, tx, k, v); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: EventWeights, At: now,
			Data: jsonRaw(map[string]any{"categories": w.Category, "vulnerability": w.Vulnerability})})
	})
}

// setMeta writes one meta key, inserting it when absent. The row is
// updated first: meta rows are few and most writes change a value.
func setMeta(ctx context.Context, tx *sql.Tx, key, value string) error {
	r, err := tx.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE key = $2`, value, key)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)`, key, value)
	return err
}

// operationTx reads the operation's categories inside tx.
func (s *Store) operationTx(ctx context.Context, tx *sql.Tx) (*muster.Operation, error) {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'categories'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, muster.Errorf(muster.ENOTFOUND, "the database holds no operation")
	} else if err != nil {
		return nil, err
	}
	op := &muster.Operation{ID: 1}
	for c := range strings.SplitSeq(v, ",") {
		if c != "" {
			op.Categories = append(op.Categories, muster.Category(c))
		}
	}
	return op, nil
}

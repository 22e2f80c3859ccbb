package web

// The record-linkage review queue (issue 4): pairs of people the engine
// found doubtful, shown side by side with the engine's field-by-field
// explanation. "Same person" merges them (never deleting a registration)
// and can be undone; "different people" becomes a cannot-link rule.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/resolve"
	"muster/internal/store"
)

// recentWindow is how many of the newest events the review queue looks
// through for reviewers' merges to offer undo on.
const recentWindow = 20000

type reviewQueueData struct {
	Pairs              []reviewRow
	More               bool
	Pending, Different int
	Recent             []recentMerge
	// What the redirect after a decision or undo reports, by id only.
	MergedPair, MergedSeq, DecidedPair, UndoneSeq int64
}

type reviewRow struct {
	store.ReviewPair
	// Levels is the engine's comparison level per field, without the
	// values: the queue shows nobody's data.
	Levels []resolve.Term
}

type recentMerge struct {
	At              time.Time
	Actor           string
	Pair, Seq, A, B int64
	Reason          string
	Undone          bool
	UndoneBy        string
	UndoneAt        time.Time
}

func explanation(raw json.RawMessage) []resolve.Term {
	var ts []resolve.Term
	if len(raw) > 0 && json.Unmarshal(raw, &ts) != nil {
		return nil
	}
	return ts
}

// reviewQueue lists pending pairs, highest score first, with the counts of
// decided ones and the reviewers' recent merges (each with undo).
func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	all, err := s.store.Reviews(ctx, store.ReviewFilter{Scope: rq.scope()})
	if err != nil {
		return err
	}
	var d reviewQueueData
	for _, p := range all {
		switch p.State {
		case store.ReviewPending:
			d.Pending++
			if len(d.Pairs) == queueLimit {
				d.More = true
				continue
			}
			row := reviewRow{ReviewPair: p}
			for _, t := range explanation(p.Explanation) {
				row.Levels = append(row.Levels, resolve.Term{Field: t.Field, Level: t.Level, Weight: t.Weight})
			}
			d.Pairs = append(d.Pairs, row)
		case store.ReviewDifferent:
			d.Different++
		}
	}
	if d.Recent, err = s.recentMerges(ctx); err != nil {
		return err
	}
	q := r.URL.Query()
	num := func(k string) int64 {
		n, _ := strconv.ParseInt(q.Get(k), 10, 64)
		return max(n, 0)
	}
	d.MergedPair, d.MergedSeq, d.DecidedPair, d.UndoneSeq = num("pair"), num("merged"), num("decided"), num("undone")
	return s.render(w, r, rq, http.StatusOK, "review", "Review", d)
}

// recentMerges returns the reviewers' "same person" decisions among the
// newest events, newest first, each marked if it was undone since.
func (s *Server) recentMerges(ctx context.Context) ([]recentMerge, error) {
	last, err := s.store.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	after := max(last-recentWindow, 0)
	decided, err := s.store.Events(ctx, store.EventFilter{AfterSeq: after, Type: "resolve.review_decided", Limit: recentWindow})
	if err != nil {
		return nil, err
	}
	splits, err := s.store.Events(ctx, store.EventFilter{AfterSeq: after, Type: muster.EventSplit, Limit: recentWindow})
	if err != nil {
		return nil, err
	}
	undone := map[int64]muster.Event{}
	for _, ev := range splits {
		var sd struct {
			Undoes int64 `json:"undoes"`
		}
		if json.Unmarshal(ev.Data, &sd) == nil && sd.Undoes > 0 {
			undone[sd.Undoes] = ev
		}
	}
	var out []recentMerge
	for i := len(decided) - 1; i >= 0 && len(out) < 20; i-- {
		ev := decided[i]
		var dd struct {
			Review     int64  `json:"review"`
			A          int64  `json:"person_a"`
			B          int64  `json:"person_b"`
			Decision   string `json:"decision"`
			Reason     string `json:"reason"`
			MergeEvent int64  `json:"merge_event"`
		}
		if json.Unmarshal(ev.Data, &dd) != nil || dd.Decision != store.ReviewSame || dd.MergeEvent == 0 {
			continue
		}
		m := recentMerge{At: ev.At, Actor: ev.Actor, Pair: dd.Review, Seq: dd.MergeEvent, A: dd.A, B: dd.B, Reason: dd.Reason}
		if u, ok := undone[dd.MergeEvent]; ok {
			m.Undone, m.UndoneBy, m.UndoneAt = true, u.Actor, u.At
		}
		out = append(out, m)
	}
	return out, nil
}

type pairData struct {
	Pair      store.ReviewPair
	A, B      *muster.Person
	Regs      []pairReg // A's registrations, then B's
	Terms     []resolve.Term
	Total     float64 // the sum of the field weights (log2 of the Bayes factor)
	Decision  string
	Reason    string
	Error     string
	Undecided bool
}

type pairReg struct {
	Person int64
	Record muster.Record
	// Compared marks the two registrations whose comparison queued the
	// pair (the explanation below is theirs).
	Compared bool
}

func (s *Server) loadPair(ctx context.Context, rq *request, id int64) (*pairData, error) {
	ps, err := s.store.Reviews(ctx, store.ReviewFilter{Scope: rq.scope(), ID: id})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, muster.Errorf(muster.ENOTFOUND, "no pair %d to review: it was decided same person, or one of its people merged into another since", id)
	}
	d := &pairData{Pair: ps[0], Terms: explanation(ps[0].Explanation), Undecided: ps[0].State == store.ReviewPending}
	for _, t := range d.Terms {
		d.Total += t.Weight
	}
	// Both people side by side: two reads, recorded as person pages are.
	if d.A, err = s.store.Person(ctx, rq.actor(), rq.scope(), d.Pair.PersonA); err != nil {
		return nil, err
	}
	if d.B, err = s.store.Person(ctx, rq.actor(), rq.scope(), d.Pair.PersonB); err != nil {
		return nil, err
	}
	for _, p := range []int64{d.Pair.PersonA, d.Pair.PersonB} {
		regs, err := s.store.Registrations(ctx, rq.scope(), p)
		if err != nil {
			return nil, err
		}
		for _, r := range regs {
			d.Regs = append(d.Regs, pairReg{Person: p, Record: r.Record, Compared: r.ID == d.Pair.RegA || r.ID == d.Pair.RegB})
		}
	}
	return d, nil
}

func (s *Server) pairPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.loadPair(r.Context(), rq, id)
	if err != nil {
		return err
	}
	s.log.Info("pair read", "req", rq.info.id, "user_id", rq.user.ID, "pair_id", id, "person_a", d.Pair.PersonA, "person_b", d.Pair.PersonB)
	return s.render(w, r, rq, http.StatusOK, "pair", fmt.Sprintf("Pair %d", id), d)
}

// pairForm reads and checks a review decision form.
func pairForm(r *http.Request) (decision, reason string, err error) {
	return decisionForm(r, []string{store.ReviewSame, store.ReviewDifferent},
		"choose: same person or different people",
		"give a reason: it is kept with the decision (for example the passport or date of birth that settles it)")
}

// decisionForm reads a human decision (one of allowed) and its reason
// from a form; choose and why are the messages for a missing decision and
// a missing reason.
func decisionForm(r *http.Request, allowed []string, choose, why string) (decision, reason string, err error) {
	decision = r.PostFormValue("decision")
	reason = strings.TrimSpace(r.PostFormValue("reason"))
	switch {
	case decision == "":
		return decision, reason, muster.Errorf(muster.EINVALID, "%s", choose)
	case !slices.Contains(allowed, decision):
		return decision, reason, muster.Errorf(muster.EINVALID, "unknown decision %q", decision)
	case reason == "":
		return decision, reason, muster.Errorf(muster.EINVALID, "%s", why)
	case len(reason) > maxReason:
		return decision, reason, muster.Errorf(muster.EINVALID, "the reason is too long (%d characters at most)", maxReason)
	}
	return decision, reason, nil
}

func (s *Server) pairDecide(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	decision, reason, ferr := pairForm(r)
	var seq int64
	if ferr == nil {
		seq, ferr = s.store.DecideReview(ctx, rq.actor(), rq.scope(), id, decision, reason)
		if ferr != nil && muster.ErrorCode(ferr) != muster.ECONFLICT {
			return ferr
		}
	}
	if ferr != nil {
		d, err := s.loadPair(ctx, rq, id)
		if err != nil {
			return err
		}
		d.Decision, d.Reason, d.Error = decision, reason, errorMessage(ferr, rq.info.id)
		st := http.StatusUnprocessableEntity
		if muster.ErrorCode(ferr) == muster.ECONFLICT {
			st = http.StatusConflict
		}
		return s.render(w, r, rq, st, "pair", fmt.Sprintf("Pair %d", id), d)
	}
	s.log.Info("pair decided", "req", rq.info.id, "user_id", rq.user.ID, "pair_id", id, "decision", decision, "merge_event", seq)
	if decision == store.ReviewSame {
		http.Redirect(w, r, fmt.Sprintf("/review?pair=%d&merged=%d", id, seq), http.StatusSeeOther)
	} else {
		http.Redirect(w, r, fmt.Sprintf("/review?decided=%d", id), http.StatusSeeOther)
	}
	return nil
}

// reviewUndo undoes a merge (a reviewer's or the engine's): the absorbed
// person comes back with their registrations, stage and case.
func (s *Server) reviewUndo(w http.ResponseWriter, r *http.Request, rq *request) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq <= 0 {
		return muster.Errorf(muster.ENOTFOUND, "no such merge")
	}
	if err := s.store.Unmerge(r.Context(), rq.actor(), seq); err != nil {
		return err
	}
	s.log.Info("merge undone", "req", rq.info.id, "user_id", rq.user.ID, "merge_event", seq)
	http.Redirect(w, r, fmt.Sprintf("/review?undone=%d", seq), http.StatusSeeOther)
	return nil
}

package ops

import (
	"context"
	"encoding/json"
	"sort"

	"muster/internal/resolve"
	"muster/internal/store"
)

// ReviewFloor is the match probability from which a pair the engine did
// not merge goes to a human: below it, the pair is taken as two people.
const ReviewFloor = 0.5

// ResolveSummary counts what a resolution run did.
type ResolveSummary struct {
	Registrations int `json:"registrations"`
	Clusters      int `json:"clusters"`
	Merged        int `json:"merged"`
	Refused       int `json:"refused_cannot_link"`
	Queued        int `json:"queued_for_review"`
	Resolved      int `json:"moved_to_resolved"`
	// Labels counts the reviewers' decisions on pairs of registrations
	// the model learnt from (a full run only).
	Labels int `json:"labels,omitempty"`
	// Incremental is set when only the new registrations were linked,
	// against the people already resolved; then Registrations counts those.
	Incremental bool `json:"incremental"`
	// Survivors are the people who absorbed others: their data changed, so
	// screening must look at them again.
	Survivors []int64 `json:"-"`
}

// ResolveAll links every live registration in the store with the
// record-linkage engine (model estimated from the data, no labels), merges
// the people each cluster spans into its oldest person, queues doubtful
// pairs for a reviewer, and moves everyone considered to resolved. Pairs a
// reviewer called different people are never merged; merges already made
// are never split by the engine (only a human's undo splits). It keeps the
// trained model in the store, for Resolver to link later arrivals with.
func ResolveAll(ctx context.Context, s *store.Store, actor string) (ResolveSummary, error) {
	sum, _, err := resolveAll(ctx, s, actor)
	return sum, err
}

// fullRun is what a full run leaves for a Resolver: its data and model,
// already clustered as the people now are.
type fullRun struct {
	seq   int64 // the newest event before the registrations were read
	d     *resolve.Data
	model *resolve.Model
	regs  []store.RegRecord
	// person is each record's person after the run's merges.
	person []int64
	merges []int64 // the run's merge events
}

func resolveAll(ctx context.Context, s *store.Store, actor string) (ResolveSummary, *fullRun, error) {
	var sum ResolveSummary
	seq, err := s.LastSeq(ctx)
	if err != nil {
		return sum, nil, err
	}
	regs, err := s.LiveRegistrations(ctx)
	if err != nil {
		return sum, nil, err
	}
	sum.Registrations = len(regs)
	var run *fullRun
	if len(regs) > 1 {
		d := resolve.NewRegistrations()
		for i := range regs {
			if err := resolve.AddRecord(d, &regs[i].Record); err != nil {
				return sum, nil, err
			}
		}
		opt := resolve.RegistrationOptions(d)
		opt.KeepCandidates = true
		if opt.MustLink, opt.CannotLink, sum.Labels, err = labels(ctx, s, regs); err != nil {
			return sum, nil, err
		}
		res, err := resolve.Resolve(ctx, d, opt)
		if err != nil {
			return sum, nil, err
		}
		cl, err := s.CannotLink(ctx)
		if err != nil {
			return sum, nil, err
		}
		// People each cluster spans, oldest first.
		span := map[int32][]int64{}
		for i, c := range res.Cluster {
			span[c] = appendUniq(span[c], regs[i].PersonID)
		}
		sum.Clusters = len(span)
		survivorOf := map[int64]int64{}
		keys := make([]int32, 0, len(span))
		for c := range span {
			keys = append(keys, c)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		var merges []store.MergeOp
		isSurvivor := map[int64]bool{}
		for _, c := range keys {
			ps := span[c]
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			into := ps[0]
			for _, p := range ps[1:] {
				if store.IsCannotLink(cl, into, p) {
					sum.Refused++
					continue
				}
				ev, _ := json.Marshal(map[string]any{"engine": "fellegi-sunter", "cluster": c})
				merges = append(merges, store.MergeOp{Into: into, Absorbed: p, Reason: "record linkage", Evidence: ev})
				survivorOf[p] = into
				sum.Merged++
				if !isSurvivor[into] {
					isSurvivor[into] = true
					sum.Survivors = append(sum.Survivors, into)
				}
			}
		}
		// One transaction for the lot: all merges land or none.
		seqs, err := s.MergeMany(ctx, actor, merges)
		if err != nil {
			return sum, nil, err
		}
		live := func(p int64) int64 {
			if q, ok := survivorOf[p]; ok {
				return q
			}
			return p
		}
		// Doubtful pairs: scored by blocking, not merged, above the floor.
		var pairs []store.ReviewPair
		seen := map[[2]int64]bool{}
		for _, ij := range res.Candidates {
			i, j := int(ij>>32), int(ij&0xFFFFFFFF)
			a, b := live(regs[i].PersonID), live(regs[j].PersonID)
			if a == b || res.Cluster[i] == res.Cluster[j] {
				continue
			}
			_, p, veto := res.Score(i, j)
			if veto || p < ReviewFloor {
				continue
			}
			k := [2]int64{min(a, b), max(a, b)}
			if seen[k] || store.IsCannotLink(cl, a, b) {
				continue
			}
			seen[k] = true
			expl, _ := json.Marshal(res.Explain(i, j))
			pairs = append(pairs, store.ReviewPair{PersonA: a, PersonB: b, Score: p, Explanation: expl, RegA: regs[i].RegID, RegB: regs[j].RegID})
		}
		if sum.Queued, err = s.AddReviews(ctx, actor, pairs); err != nil {
			return sum, nil, err
		}
		// The model holds probabilities only; the term frequencies (names)
		// stay in memory and are rebuilt from the registrations.
		body, err := json.Marshal(res.Model)
		if err != nil {
			return sum, nil, err
		}
		if err := s.SaveResolveModel(ctx, body); err != nil {
			return sum, nil, err
		}
		run = &fullRun{seq: seq, d: d, model: res.Model, regs: regs, person: make([]int64, len(regs)), merges: seqs}
		for i := range regs {
			run.person[i] = live(regs[i].PersonID)
		}
	}
	sum.Resolved, err = s.MarkResolved(ctx, actor)
	return sum, run, err
}

// labels turns reviewers' decisions into pairs of record indexes: "same
// person" pairs are must-links and refine the model's m, "different
// people" pairs are cannot-links. Decisions on registrations no longer
// live (erased) are dropped.
func labels(ctx context.Context, s *store.Store, regs []store.RegRecord) (must, cannot [][2]int32, n int, err error) {
	ls, err := s.ReviewLabels(ctx)
	if err != nil || len(ls) == 0 {
		return nil, nil, 0, err
	}
	idx := make(map[int64]int32, len(regs))
	for i := range regs {
		idx[regs[i].RegID] = int32(i)
	}
	for _, l := range ls {
		a, okA := idx[l.RegA]
		b, okB := idx[l.RegB]
		if !okA || !okB || a == b {
			continue
		}
		if l.Same {
			must = append(must, [2]int32{a, b})
		} else {
			cannot = append(cannot, [2]int32{a, b})
		}
		n++
	}
	return must, cannot, n, nil
}

func appendUniq(xs []int64, x int64) []int64 {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

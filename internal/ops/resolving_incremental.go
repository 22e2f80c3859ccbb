package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"muster"
	"muster/internal/resolve"
	"muster/internal/store"
)

// Resolver resolves registrations as they arrive. The first time (no model
// in the store yet), and whenever the registrations have grown past Retrain
// times those the model learnt from, it runs ResolveAll, which trains and
// keeps a model. Otherwise it links only the new registrations against an
// in-memory Linker of everyone resolved so far, built once from the store
// and kept current, so an import costs in proportion to its own rows, not
// to the database. Merges go through the same store calls as ResolveAll
// (each an event, each undoable), doubtful pairs go to the review queue,
// reviewers' cannot-links hold. A web server keeps one Resolver, as it
// keeps its Screener. It is safe for concurrent use.
type Resolver struct {
	store *store.Store
	// Retrain is the growth factor that triggers a full run (default 2:
	// a model learnt from 10,000 registrations serves up to 20,000).
	Retrain float64

	mu    sync.Mutex
	lk    *resolve.Linker
	recOf map[int64]int // registration id -> the Linker's record
	regOf map[int]int64 // and back
	// seq is the newest event the Linker reflects; ours are the merge
	// events this Resolver wrote itself after it.
	seq  int64
	ours map[int64]bool
}

// MinModelRecords is the fewest registrations a model must have learnt
// from to link new ones alone: EM over a few dozen has seen too few
// matches at each comparison level (a date known only to the year, say)
// and would weigh them wrongly. Below it every import runs in full, which
// at that size takes well under a second.
const MinModelRecords = 1000

// NewResolver returns a Resolver over s; it reads nothing until used.
func NewResolver(s *store.Store) *Resolver {
	return &Resolver{store: s, Retrain: 2}
}

// Resolve resolves the registrations of people, which an import created or
// updated (store.ImportResult.People), and moves everyone considered to
// resolved.
func (r *Resolver) Resolve(ctx context.Context, actor string, people []int64) (ResolveSummary, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	body, err := r.store.ResolveModel(ctx)
	if err != nil {
		return ResolveSummary{}, err
	}
	var model *resolve.Model
	if body != nil {
		if model, err = resolve.LoadModel(body); err != nil || model.Fits(resolve.NewRegistrations()) != nil {
			// A model from another version of the engine: train anew.
			model = nil
		}
	}
	if model == nil || model.Records < MinModelRecords {
		return r.full(ctx, actor)
	}
	if err := r.refresh(ctx, people); err != nil {
		return ResolveSummary{}, err
	}
	if r.lk == nil {
		if err := r.build(ctx, model); err != nil {
			return ResolveSummary{}, err
		}
	}
	regs, err := r.store.RegistrationsOf(ctx, people)
	if err != nil {
		return ResolveSummary{}, err
	}
	trained := float64(max(r.lk.Model().Records, 2))
	if float64(r.lk.Live()+len(regs)) > r.Retrain*trained {
		return r.full(ctx, actor)
	}
	sum, err := r.link(ctx, actor, regs)
	if err != nil {
		// The Linker may hold merges the store refused: start it afresh.
		r.lk = nil
	}
	return sum, err
}

// full runs ResolveAll and keeps its data as the Linker.
func (r *Resolver) full(ctx context.Context, actor string) (ResolveSummary, error) {
	r.lk = nil
	sum, run, err := resolveAll(ctx, r.store, actor)
	if err != nil || run == nil {
		return sum, err
	}
	lk, err := resolve.NewLinker(run.d, resolve.RegistrationOptions(run.d), run.model, run.person)
	if err != nil {
		return sum, fmt.Errorf("resolved, but the linker for later imports: %w", err)
	}
	r.indexRegs(run.regs)
	r.ours = map[int64]bool{}
	for _, q := range run.merges {
		r.ours[q] = true
	}
	if err := r.cannotLinks(ctx, lk); err != nil {
		return sum, err
	}
	r.lk, r.seq = lk, run.seq
	return sum, nil
}

// build makes the Linker from the store's live registrations, each in its
// person's cluster, with the stored model; the term frequencies come from
// the registrations themselves.
func (r *Resolver) build(ctx context.Context, model *resolve.Model) error {
	seq, err := r.store.LastSeq(ctx)
	if err != nil {
		return err
	}
	regs, err := r.store.LiveRegistrations(ctx)
	if err != nil {
		return err
	}
	d := resolve.NewRegistrations()
	if err := resolve.AddRecords(d, len(regs), func(i int) *muster.Record { return &regs[i].Record }); err != nil {
		return err
	}
	person := make([]int64, len(regs))
	for i := range regs {
		person[i] = regs[i].PersonID
	}
	r.indexRegs(regs)
	lk, err := resolve.NewLinker(d, resolve.RegistrationOptions(d), model, person)
	if err != nil {
		return err
	}
	if err := r.cannotLinks(ctx, lk); err != nil {
		return err
	}
	if err := r.learn(ctx, lk); err != nil {
		return err
	}
	r.lk, r.seq, r.ours = lk, seq, map[int64]bool{}
	return nil
}

func (r *Resolver) cannotLinks(ctx context.Context, lk *resolve.Linker) error {
	cl, err := r.store.CannotLink(ctx)
	if err != nil {
		return err
	}
	for p := range cl {
		lk.CannotLink(p[0], p[1])
	}
	return nil
}

// indexRegs maps registration ids to the Linker's records and back:
// record i is regs[i].
func (r *Resolver) indexRegs(regs []store.RegRecord) {
	r.recOf = make(map[int64]int, len(regs))
	r.regOf = make(map[int]int64, len(regs))
	for i := range regs {
		r.recOf[regs[i].RegID] = i
		r.regOf[i] = regs[i].RegID
	}
}

// learn refines the Linker's model with every "same person" decision on
// registrations it holds (see resolve.Linker.Learn); the model saved by the
// last full run is left as it is, and each Resolver learns again from all
// the labels when it builds its Linker.
func (r *Resolver) learn(ctx context.Context, lk *resolve.Linker) error {
	ls, err := r.store.ReviewLabels(ctx)
	if err != nil {
		return err
	}
	var same [][2]int
	for _, l := range ls {
		a, okA := r.recOf[l.RegA]
		b, okB := r.recOf[l.RegB]
		if l.Same && okA && okB {
			same = append(same, [2]int{a, b})
		}
	}
	lk.Learn(same)
	return nil
}

// refresh drops the Linker when the people under it changed other than by
// this Resolver or the import being resolved: merges and splits by
// reviewers or another server, registrations another import brought.
func (r *Resolver) refresh(ctx context.Context, people []int64) error {
	if r.lk == nil {
		return nil
	}
	evs, err := r.store.LinkageEvents(ctx, r.seq)
	if err != nil {
		return err
	}
	mine := make(map[int64]bool, len(people))
	for _, p := range people {
		mine[p] = true
	}
	stale, decided := false, false
	for _, e := range evs {
		switch {
		case r.ours[e.Seq]:
		case e.Type == muster.EventImported || e.Type == muster.EventUpdated:
			stale = stale || !mine[e.PersonID]
		case e.Type == store.EventReviewDecided:
			decided = true
		default: // a merge or split not ours
			stale = true
		}
		r.seq = e.Seq
	}
	switch {
	case stale:
		r.lk = nil
	case decided:
		// "Different" adds a cannot-link; "same" comes with a merge event
		// and is a label the model learns from.
		if err := r.cannotLinks(ctx, r.lk); err != nil {
			return err
		}
		return r.learn(ctx, r.lk)
	}
	return nil
}

// byCase groups regs by case (source and case reference), each case in
// the order of its first registration; a registration without a case is
// a case of its own.
func byCase(regs []store.RegRecord) [][]int {
	var cases [][]int
	at := map[[2]string]int{}
	for i := range regs {
		rc := &regs[i].Record
		if rc.CaseRef == "" {
			cases = append(cases, []int{i})
			continue
		}
		k := [2]string{rc.Source, rc.CaseRef}
		if c, ok := at[k]; ok {
			cases[c] = append(cases[c], i)
			continue
		}
		at[k] = len(cases)
		cases = append(cases, []int{i})
	}
	return cases
}

// link links regs a case at a time, so that a family registered again by
// another source is weighed as a family (resolve.Linker.AddCase), then
// writes what came of it: merges in one transaction, doubtful pairs to the
// review queue.
func (r *Resolver) link(ctx context.Context, actor string, regs []store.RegRecord) (ResolveSummary, error) {
	sum := ResolveSummary{Registrations: len(regs), Incremental: true}
	lk := r.lk
	var merges []store.MergeOp
	var doubtful []resolve.ReviewPair
	for _, c := range byCase(regs) {
		recs := make([]*muster.Record, len(c))
		persons := make([]int64, len(c))
		for k, i := range c {
			rg := &regs[i]
			// An updated registration replaces its old version.
			if old, ok := r.recOf[rg.RegID]; ok {
				lk.Remove(old)
			}
			recs[k], persons[k] = &rg.Record, rg.PersonID
		}
		res, err := lk.AddCase(recs, persons, ReviewFloor)
		if err != nil {
			return sum, fmt.Errorf("registrations %d to %d: %w", regs[c[0]].RegID, regs[c[len(c)-1]].RegID, err)
		}
		for k, i := range c {
			rg := &regs[i]
			r.recOf[rg.RegID] = res[k].Record
			r.regOf[res[k].Record] = rg.RegID
			sum.Refused += res[k].Refused
			for _, m := range res[k].Merges {
				ev, _ := json.Marshal(map[string]any{"engine": "fellegi-sunter", "incremental": true, "registration": rg.RegID, "probability": m.Prob})
				merges = append(merges, store.MergeOp{Into: m.Into, Absorbed: m.Absorbed, Reason: "record linkage", Evidence: ev})
			}
			doubtful = append(doubtful, res[k].Review...)
		}
	}
	seqs, err := r.store.MergeMany(ctx, actor, merges)
	if err != nil {
		return sum, err
	}
	for _, q := range seqs {
		r.ours[q] = true
	}
	sum.Merged = len(merges)
	// Survivors, as they are after the whole batch (one may have been
	// absorbed by a later merge).
	seenSurvivor := map[int64]bool{}
	for _, m := range merges {
		if into := lk.Current(m.Into); !seenSurvivor[into] {
			seenSurvivor[into] = true
			sum.Survivors = append(sum.Survivors, into)
		}
	}
	// Doubtful pairs, between the people as they now are.
	var pairs []store.ReviewPair
	seen := map[[2]int64]bool{}
	for _, p := range doubtful {
		a, b := lk.Cluster(p.I), lk.Cluster(p.J)
		k := [2]int64{min(a, b), max(a, b)}
		if a == b || seen[k] {
			continue
		}
		seen[k] = true
		expl, _ := json.Marshal(lk.Explain(p.I, p.J))
		pairs = append(pairs, store.ReviewPair{PersonA: a, PersonB: b, Score: p.Prob, Explanation: expl, RegA: r.regOf[p.I], RegB: r.regOf[p.J]})
	}
	if sum.Queued, err = r.store.AddReviews(ctx, actor, pairs); err != nil {
		return sum, err
	}
	sum.Clusters = lk.NumClusters()
	sum.Resolved, err = r.store.MarkResolved(ctx, actor)
	return sum, err
}

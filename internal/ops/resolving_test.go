package ops

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/resolve"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

func rec(source, id, caseRef, rel, given, family, father, native string, sex muster.Sex, y, m, d int, passport, phone string) muster.Record {
	r := muster.Record{Source: source, SourceID: id, CaseRef: caseRef, Relationship: rel, Given: given, Family: family, Father: father,
		NativeName: native, Sex: sex, Passport: passport, Category: muster.CategorySIVApplicant, Nationalities: []string{"AF"}}
	if y > 0 {
		r.DOB = muster.Date{Year: y, Month: m, Day: d, Precision: muster.PrecisionDay}
		if m == 0 {
			r.DOB.Precision = muster.PrecisionYear
		}
	}
	if phone != "" {
		r.Phones = []string{phone}
	}
	return r
}

// TestResolveInStore links registrations in the database: one man
// registered four times under four spellings merges into one person; his
// children, who share father's and family name, stay apart; a reviewer's
// "different people" is never overridden; undo brings a person back.
func TestResolveInStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := make([]byte, 32)
		rand.Read(kek)
		s, err := store.Open(ctx, dsn, store.Options{KEK: kek})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		M, F := muster.SexMale, muster.SexFemale
		recs := []muster.Record{
			rec("webform", "w1", "W1", "principal", "Abdul Rahman", "Rahimi", "Abdul Karim", "", M, 1986, 8, 3, "P01234567", "+93700123456"),
			rec("ngo-alpha", "a1", "A1", "principal", "Abdurrahman", "Rahemi", "Abdulkarim", "عبدالرحمن رحیمی", M, 1986, 8, 3, "P01234567", ""),
			rec("consular", "c1", "C1", "principal", "Abd al-Rahman", "Raheemi", "Abdul Karim", "", M, 1986, 8, 3, "", "+93700123456"),
			rec("mp-office", "m1", "M1", "principal", "", "", "Abdul Karim", "عبدالرحمن رحیمی", M, 1986, 0, 0, "", "+93700123456"),
			// His children: same father's and family name, a few years apart.
			rec("webform", "w2", "W1", "child", "Mohammad", "Rahimi", "Abdul Rahman", "", M, 2010, 2, 1, "", ""),
			rec("webform", "w3", "W1", "child", "Ahmad", "Rahimi", "Abdul Rahman", "", M, 2012, 5, 9, "", ""),
			rec("webform", "w4", "W1", "child", "Maryam", "Rahimi", "Abdul Rahman", "", F, 2014, 11, 20, "", ""),
			// Unrelated people with common names.
			rec("ngo-alpha", "a9", "A9", "principal", "Mohammad", "Karimi", "Gul", "", M, 1979, 1, 1, "P99887766", ""),
			rec("consular", "c9", "C9", "principal", "Mohammad", "Karimi", "Noor", "", M, 1991, 6, 15, "P11223344", ""),
		}
		ir, err := s.Import(ctx, "t", recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ResolveAll(ctx, s, "resolver")
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", sum)
		st, _ := s.Status(ctx, store.Scope{})
		if st.Totals.Registered != 6 {
			t.Errorf("%d people after resolution, want 6 (9 registrations)", st.Totals.Registered)
		}
		p, err := s.Person(ctx, "", store.Scope{}, ir.People[0])
		if err != nil {
			t.Fatal(err)
		}
		if regs, _ := s.Registrations(ctx, store.Scope{}, p.ID); len(regs) != 4 {
			t.Errorf("Abdul Rahman has %d registrations, want 4", len(regs))
		}
		for _, child := range ir.People[4:7] {
			if _, err := s.Person(ctx, "", store.Scope{}, child); err != nil {
				t.Errorf("child %d was merged away: %v", child, err)
			}
		}
		if st.ByStage[muster.StageResolved] != 6 {
			t.Errorf("by stage %v", st.ByStage)
		}
		// Again: nothing more to do.
		sum2, err := ResolveAll(ctx, s, "resolver")
		if err != nil || sum2.Merged != 0 {
			t.Errorf("second run: %+v %v", sum2, err)
		}
		checkResolveConsistent(t, s)
	})
}

func checkResolveConsistent(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	replay, _ := s.ReplayStages(ctx)
	proj, _ := s.ProjectedStages(ctx)
	if len(replay) != len(proj) {
		t.Errorf("event log has %d people, counts %d", len(replay), len(proj))
	}
	for id, st := range proj {
		if replay[id] != st {
			t.Errorf("person %d: counted %s, event log %s", id, st, replay[id])
		}
	}
	if _, err := s.VerifyAudit(ctx); err != nil {
		t.Error(err)
	}
}

func TestReviewDecisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := make([]byte, 32)
		rand.Read(kek)
		s, err := store.Open(ctx, dsn, store.Options{KEK: kek})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		ir, err := s.Import(ctx, "t", []muster.Record{
			rec("a", "1", "X", "principal", "Gul Agha", "Popal", "", "", muster.SexMale, 1970, 0, 0, "", ""),
			rec("b", "1", "Y", "principal", "Gul Aga", "Popal", "", "", muster.SexMale, 1971, 0, 0, "", ""),
			rec("c", "1", "Z", "principal", "Gulagha", "Popal", "", "", muster.SexMale, 1970, 0, 0, "", ""),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, b, c := ir.People[0], ir.People[1], ir.People[2]
		if n, err := s.AddReviews(ctx, "t", []store.ReviewPair{{PersonA: b, PersonB: a, Score: 0.7, Explanation: []byte(`[]`)}, {PersonA: a, PersonB: c, Score: 0.6, Explanation: []byte(`[]`)}}); err != nil || n != 2 {
			t.Fatalf("AddReviews = %d, %v", n, err)
		}
		if n, _ := s.AddReviews(ctx, "t", []store.ReviewPair{{PersonA: a, PersonB: b, Score: 0.75, Explanation: []byte(`[]`)}}); n != 0 {
			t.Errorf("a queued pair was queued again")
		}
		rs, err := s.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
		if err != nil || len(rs) != 2 || rs[0].Score != 0.75 {
			t.Fatalf("reviews = %+v, %v", rs, err)
		}
		if _, err := s.DecideReview(ctx, "rev", store.Scope{}, rs[0].ID, store.ReviewDifferent, "different fathers per tazkira"); err != nil {
			t.Fatal(err)
		}
		seq, err := s.DecideReview(ctx, "rev", store.Scope{}, rs[1].ID, store.ReviewSame, "same tazkira number")
		if err != nil || seq == 0 {
			t.Fatalf("same: %d %v", seq, err)
		}
		if _, err := s.DecideReview(ctx, "rev", store.Scope{}, rs[0].ID, store.ReviewSame, "changed my mind"); muster.ErrorCode(err) != muster.ECONFLICT {
			t.Errorf("re-deciding: %v", err)
		}
		st, _ := s.Status(ctx, store.Scope{})
		if st.Totals.Registered != 2 {
			t.Errorf("%d people after one merge", st.Totals.Registered)
		}
		cl, _ := s.CannotLink(ctx)
		if !store.IsCannotLink(cl, a, b) || store.IsCannotLink(cl, a, c) {
			t.Errorf("cannot-link = %v", cl)
		}
		// The engine never merges a cannot-link pair.
		if _, err := ResolveAll(ctx, s, "resolver"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Person(ctx, "", store.Scope{}, b); err != nil {
			t.Errorf("the engine merged a pair a reviewer kept apart: %v", err)
		}
		// Undo the reviewer's merge.
		if err := s.Unmerge(ctx, "rev", seq); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.Status(ctx, store.Scope{}); st.Totals.Registered != 3 {
			t.Errorf("%d people after undo", st.Totals.Registered)
		}
		// An undone merge is a cannot-link: the engine does not redo it.
		if cl, _ := s.CannotLink(ctx); !store.IsCannotLink(cl, a, c) {
			t.Errorf("undone pair is not a cannot-link: %v", cl)
		}
		if _, err := ResolveAll(ctx, s, "resolver"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Person(ctx, "", store.Scope{}, c); err != nil {
			t.Errorf("the engine redid an undone merge: %v", err)
		}
		checkResolveConsistent(t, s)
	})
}

// Reviewers' decisions name the registrations compared, and the next full
// run learns from them: "same person" refines m, "different people" keeps
// the two records apart inside the engine too.
func TestReviewLabels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTestStore(t, dsn)
		ir, err := s.Import(ctx, "t", []muster.Record{
			rec("a", "1", "X", "principal", "Gul Agha", "Popal", "", "", muster.SexMale, 1970, 0, 0, "", ""),
			rec("b", "1", "Y", "principal", "Gul Aga", "Popal", "", "", muster.SexMale, 1971, 0, 0, "", ""),
			rec("c", "1", "Z", "principal", "Gulagha", "Popal", "", "", muster.SexMale, 1970, 0, 0, "", ""),
			rec("d", "1", "W", "principal", "Farida", "Noori", "", "", muster.SexFemale, 1992, 3, 4, "", ""),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, regOf := registrationOf(t, s)
		a, b, c := ir.People[0], ir.People[1], ir.People[2]
		// Queued with the persons in either order: the registrations follow.
		if _, err := s.AddReviews(ctx, "t", []store.ReviewPair{
			{PersonA: b, PersonB: a, RegA: regOf[b], RegB: regOf[a], Score: 0.7, Explanation: []byte(`[]`)},
			{PersonA: c, PersonB: a, RegA: regOf[c], RegB: regOf[a], Score: 0.6, Explanation: []byte(`[]`)},
		}); err != nil {
			t.Fatal(err)
		}
		if ls, _ := s.ReviewLabels(ctx); len(ls) != 0 {
			t.Errorf("pending pairs are labels: %v", ls)
		}
		rs, err := s.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
		if err != nil || len(rs) != 2 {
			t.Fatalf("reviews = %+v, %v", rs, err)
		}
		for _, r := range rs {
			if regOf[r.PersonA] != r.RegA || regOf[r.PersonB] != r.RegB {
				t.Errorf("pair %d: people %d/%d, registrations %d/%d", r.ID, r.PersonA, r.PersonB, r.RegA, r.RegB)
			}
		}
		if _, err := s.DecideReview(ctx, "rev", store.Scope{}, rs[0].ID, store.ReviewDifferent, "different fathers"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DecideReview(ctx, "rev", store.Scope{}, rs[1].ID, store.ReviewSame, "same tazkira"); err != nil {
			t.Fatal(err)
		}
		ls, err := s.ReviewLabels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Label{
			{RegA: min(regOf[a], regOf[b]), RegB: max(regOf[a], regOf[b]), Same: false},
			{RegA: min(regOf[a], regOf[c]), RegB: max(regOf[a], regOf[c]), Same: true},
		}
		if d := cmp.Diff(want, ls); d != "" {
			t.Errorf("labels (-want +got):\n%s", d)
		}
		sum, err := ResolveAll(ctx, s, "resolver")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Labels != 2 {
			t.Errorf("the run used %d labels, want 2", sum.Labels)
		}
		body, err := s.ResolveModel(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m resolve.Model
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatal(err)
		}
		if m.Labels != 1 {
			t.Errorf("the saved model learnt from %d labels, want 1 (the same-person one)", m.Labels)
		}
		if _, err := s.Person(ctx, "", store.Scope{}, b); err != nil {
			t.Errorf("the engine merged a pair a reviewer kept apart: %v", err)
		}
		checkResolveConsistent(t, s)
	})
}

// registrationOf returns the live registrations and, for each person, one
// of their registrations.
func registrationOf(t *testing.T, s *store.Store) ([]store.RegRecord, map[int64]int64) {
	t.Helper()
	regs, err := s.LiveRegistrations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	regOf := map[int64]int64{}
	for _, r := range regs {
		regOf[r.PersonID] = r.RegID
	}
	return regs, regOf
}

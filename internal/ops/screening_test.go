package ops

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"muster"
	"muster/internal/demo"
	"muster/internal/lists"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

func person(source, id, given, family, dari string, year int) muster.Record {
	return muster.Record{Source: source, SourceID: id, Given: given, Family: family, NativeName: dari,
		Sex: muster.SexMale, DOB: muster.Date{Year: year, Precision: muster.PrecisionYear}, Nationalities: []string{"AF"}, Category: muster.CategoryOtherAtRisk}
}

// TestScreeningWorkflow runs the screening workflow on the real UN list:
// screening on import, decisions that hold until data changes, list
// updates that re-screen only what they affect.
func TestScreeningWorkflow(t *testing.T) {
	un, err := demo.UNList()
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := make([]byte, 32)
		rand.Read(kek)
		s, err := store.Open(ctx, dsn, store.Options{KEK: kek})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sc, err := NewScreener(ctx, s, 0)
		if err != nil {
			t.Fatal(err)
		}
		ld, err := sc.LoadEntries(ctx, "t", demo.UNListSource, un)
		if err != nil {
			t.Fatal(err)
		}
		if len(ld.Lists) != 1 || ld.Lists[0].Added != len(un) || sc.Entries() != len(un) {
			t.Fatalf("load: %+v, index %d", ld.Lists[0], sc.Entries())
		}
		recs := []muster.Record{
			person("ngo", "1", "Atiqullah", "Akhund", "عتیق الله آخوند", 1953),   // TAi.009
			person("ngo", "2", "Yar Mohammad", "Rahimi", "یار محمد رحیمی", 1953), // TAi.015
			person("ngo", "3", "Farzana", "Sultani", "فرزانه سلطانی", 1990),
			person("ngo", "4", "Mohammad Nabi", "Popal", "", 1984),
		}
		recs[2].Sex = muster.SexFemale
		ir, err := s.Import(ctx, "t", recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := sc.ScreenPeople(ctx, "t", ir.People)
		if err != nil {
			t.Fatal(err)
		}
		if sum.People != 4 || sum.NewHits < 2 {
			t.Fatalf("screening summary %+v", sum)
		}
		hits, err := s.Hits(ctx, store.HitFilter{State: store.HitPending})
		if err != nil {
			t.Fatal(err)
		}
		byEntry := map[string]store.HitRecord{}
		for _, h := range hits {
			byEntry[h.EntryID] = h
			if h.PersonID != ir.People[0] && h.PersonID != ir.People[1] {
				t.Errorf("an innocent was flagged: person %d for %s (%.2f: %s)", h.PersonID, h.EntryID, h.Score, h.Explanation)
			}
		}
		for _, ref := range []string{"TAi.009", "TAi.015"} {
			h, ok := byEntry[ref]
			if !ok {
				t.Fatalf("no hit on %s; hits: %+v", ref, hits)
			}
			if h.Explanation == "" || h.NameMatched == "" {
				t.Errorf("hit on %s lacks an explanation: %+v", ref, h)
			}
		}
		st, err := s.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Screening.Screened != 4 || st.Screening.PeoplePending != 2 || st.ByStage[muster.StageScreened] != 4 {
			t.Errorf("status screening %+v, by stage %v", st.Screening, st.ByStage)
		}
		p, _ := s.Person(ctx, "", store.Scope{}, ir.People[1])
		_ = p
		flagged, err := s.People(ctx, store.PeopleFilter{IDs: ir.People[1:2]})
		if err != nil || len(flagged) != 1 {
			t.Fatal(err)
		}

		// A screener clears Yar Mohammad Rahimi: the decision holds on re-screening.
		h := byEntry["TAi.015"]
		if err := s.Decide(ctx, "screener1", store.Scope{}, h.ID, store.HitFalsePositive, ""); muster.ErrorCode(err) != muster.EINVALID {
			t.Errorf("decision without a reason: %v", err)
		}
		if err := s.Decide(ctx, "screener1", store.Scope{}, h.ID, store.HitFalsePositive, "born 1990 per tazkira, different father"); err != nil {
			t.Fatal(err)
		}
		if _, err := sc.ScreenAll(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Hits(ctx, store.HitFilter{ID: h.ID}); len(got) != 1 || got[0].State != store.HitFalsePositive {
			t.Errorf("after re-screening, cleared hit is %+v", got)
		}
		// His data changes (a corrected date of birth): the hit comes back.
		recs[1].DOB = muster.Date{Year: 1954, Precision: muster.PrecisionYear}
		ir2, err := s.Import(ctx, "t", recs[1:2], nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum, err := sc.ScreenPeople(ctx, "t", ir2.People); err != nil || sum.Reopened != 1 {
			t.Errorf("after his data changed: %+v, %v", sum, err)
		}
		// Confirm Atiqullah Akhund: the flag follows him.
		if err := s.Decide(ctx, "screener1", store.Scope{}, byEntry["TAi.009"].ID, store.HitConfirmed, "matches photo and DOB"); err != nil {
			t.Fatal(err)
		}
		st, _ = s.Status(ctx, store.Scope{})
		if st.Screening.Confirmed != 1 {
			t.Errorf("confirmed = %d", st.Screening.Confirmed)
		}
		evs, err := s.Events(ctx, store.EventFilter{Type: muster.EventDecision})
		if err != nil || len(evs) != 2 || !strings.Contains(string(evs[0].Data), "different father") {
			t.Errorf("decision events: %v %v", evs, err)
		}

		// A new list version: TAi.015 removed, TAi.009 unchanged, one new
		// entry named like Farzana Sultani. Only the new entry is screened.
		var next []lists.Entry
		for _, e := range un {
			if e.ID != "TAi.015" {
				next = append(next, e)
			}
		}
		next = append(next, lists.Entry{List: un[0].List, ID: "TAi.999", Type: lists.TypeIndividual, Programs: []string{"Taliban"},
			Names: []lists.EntryName{{Name: "Farzana Sultani", Kind: lists.KindPrimary, Script: lists.ScriptLatin}}, Sex: muster.SexFemale})
		ld, err = sc.LoadEntries(ctx, "t", "next", next)
		if err != nil {
			t.Fatal(err)
		}
		l := ld.Lists[0]
		if l.Added != 1 || l.Removed != 1 || l.Changed != 0 {
			t.Errorf("list diff: %+v", l)
		}
		if ld.Rescreen.NewHits != 1 {
			t.Errorf("re-screen after list change: %+v", ld.Rescreen)
		}
		if got, _ := s.Hits(ctx, store.HitFilter{PersonID: ir.People[2]}); len(got) != 1 || got[0].EntryID != "TAi.999" {
			t.Errorf("Farzana's hits: %+v", got)
		}
		// The confirmed hit on TAi.009 is untouched by the update.
		if got, _ := s.Hits(ctx, store.HitFilter{ID: byEntry["TAi.009"].ID}); len(got) != 1 || got[0].State != store.HitConfirmed {
			t.Errorf("confirmed hit after update: %+v", got)
		}
		if n, err := s.VerifyAudit(ctx); err != nil {
			t.Errorf("audit after %d events: %v", n, err)
		}
	})
}

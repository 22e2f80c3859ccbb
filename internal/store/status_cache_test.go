package store_test

import (
	"context"
	"testing"

	"muster"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// TestStoreStatusCacheFollowsWrites: Status keeps its counts between
// writes, so every change that moves a count must show at once, through
// this handle and through another on the same database (a second server),
// while reads, which are most events, leave the cached counts alone.
func TestStoreStatusCacheFollowsWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := newKEK(t)
		a := open(t, dsn, kek)
		b := open(t, dsn, kek)
		count := func(s *store.Store, stage muster.Stage) int {
			t.Helper()
			st, err := s.Status(ctx, store.Scope{})
			if err != nil {
				t.Fatal(err)
			}
			return st.ByStage[stage]
		}
		if _, err := a.Import(ctx, "a", family("ngo-a", "F1", 3, muster.CategoryCitizen), nil); err != nil {
			t.Fatal(err)
		}
		if n, m := count(a, muster.StageRegistered), count(b, muster.StageRegistered); n != 3 || m != 3 {
			t.Fatalf("after import: registered %d on a, %d on b; want 3", n, m)
		}
		ps, err := a.People(ctx, store.PeopleFilter{})
		if err != nil {
			t.Fatal(err)
		}
		// A read is audited but moves no count.
		if _, err := a.Person(ctx, "reader", store.Scope{}, ps[0].ID); err != nil {
			t.Fatal(err)
		}
		// A stage change through b shows on a at once, and the other way.
		if _, err := b.SetStage(ctx, "b", store.Scope{}, []int64{ps[0].ID}, muster.StageApproved, ""); err != nil {
			t.Fatal(err)
		}
		if n := count(a, muster.StageApproved); n != 1 {
			t.Errorf("a sees %d approved after b's change; want 1", n)
		}
		if _, err := a.SetStage(ctx, "a", store.Scope{}, []int64{ps[1].ID}, muster.StageApproved, ""); err != nil {
			t.Fatal(err)
		}
		if n, m := count(a, muster.StageApproved), count(b, muster.StageApproved); n != 2 || m != 2 {
			t.Errorf("approved %d on a, %d on b after a's change; want 2", n, m)
		}
		// Registrations and people screened are kept across movement, and
		// follow a new import or a screening at once, on either handle,
		// right after a stage change.
		reg := func(s *store.Store) (int, int) {
			t.Helper()
			st, err := s.Status(ctx, store.Scope{})
			if err != nil {
				t.Fatal(err)
			}
			return st.Registrations, st.Screening.Screened
		}
		if r, x := reg(a); r != 3 || x != 0 {
			t.Errorf("registrations %d, screened %d; want 3, 0", r, x)
		}
		if _, err := b.SetStage(ctx, "b", store.Scope{}, []int64{ps[2].ID}, muster.StageApproved, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Import(ctx, "b", family("ngo-b", "F2", 2, muster.CategoryCitizen), nil); err != nil {
			t.Fatal(err)
		}
		if r, _ := reg(a); r != 5 {
			t.Errorf("a counts %d registrations after b's import; want 5", r)
		}
		if _, err := a.SetStage(ctx, "a", store.Scope{}, []int64{ps[2].ID}, muster.StageWithdrawn, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := b.SaveScreening(ctx, "b", []store.Screening{{PersonID: ps[0].ID, Digest: []byte("d")}}, nil); err != nil {
			t.Fatal(err)
		}
		if r, x := reg(a); r != 5 || x != 1 {
			t.Errorf("after b screened one person: registrations %d, screened %d; want 5, 1", r, x)
		}
		// A caller may change what it was given without touching the cache.
		st, err := a.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		st.ByStage[muster.StageApproved] = 99
		st.Counts[muster.CategoryCitizen][muster.StageApproved] = 99
		if n := count(a, muster.StageApproved); n != 2 {
			t.Errorf("cached counts changed through a caller's copy: %d", n)
		}
	})
}

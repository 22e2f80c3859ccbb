package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// Events with each filter and their combinations returns what filtering
// the whole log gives, in chain order.
func TestEventsFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn, newKEK(t))
		a, b := family("ngo-a", "1", 3, muster.CategoryCitizen), family("ngo-b", "2", 2, muster.CategoryCitizen)
		// A registration's source is its partner.
		ir, err := s.Import(ctx, "t", append(a, b...), nil)
		if err != nil {
			t.Fatal(err)
		}
		partnerOf := map[int64]string{}
		for k, id := range ir.People {
			partnerOf[id] = map[bool]string{true: "ngo-a", false: "ngo-b"}[k < len(a)]
		}
		if _, err := s.SetStage(ctx, "t", store.Scope{}, ir.People[1:4], muster.StageWithdrawn, "test"); err != nil {
			t.Fatal(err)
		}
		all, err := s.Events(ctx, store.EventFilter{Limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		p1 := ir.People[1]
		var c1 int64
		for _, e := range all {
			if e.PersonID == p1 && e.CaseID != 0 {
				c1 = e.CaseID
			}
		}
		if c1 == 0 {
			t.Fatal("no event names the first family's case")
		}
		cases := []store.EventFilter{
			{},
			{AfterSeq: all[2].Seq},
			{PersonID: p1},
			{CaseID: c1},
			{Type: muster.EventStage},
			{Partner: "ngo-b"},
			{PersonID: p1, Type: muster.EventStage},
			{CaseID: c1, Type: muster.EventImported, Partner: "ngo-a"},
			{Type: muster.EventStage, Partner: "ngo-b", AfterSeq: all[1].Seq},
			{Type: muster.EventStage, Limit: 2},
			{PersonID: p1, Partner: "ngo-b"},
		}
		for _, f := range cases {
			var want []int64
			for _, e := range all {
				if e.Seq > f.AfterSeq && (f.PersonID == 0 || e.PersonID == f.PersonID) && (f.CaseID == 0 || e.CaseID == f.CaseID) &&
					(f.Type == "" || e.Type == f.Type) && (f.Partner == "" || e.PersonID != 0 && partnerOf[e.PersonID] == f.Partner) &&
					(f.Limit == 0 || len(want) < f.Limit) {
					want = append(want, e.Seq)
				}
			}
			evs, err := s.Events(ctx, f)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			var got []int64
			for _, e := range evs {
				got = append(got, e.Seq)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%+v (-want +got):\n%s", f, d)
			}
		}
	})
}

package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/store/storetest"
)

// TestStoreResolveModel: the linkage model is kept and replaced in meta;
// RegistrationsOf returns the named people's registrations; LinkageEvents
// lists imports and merges after a sequence number.
func TestStoreResolveModel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn, newKEK(t))
		if m, err := s.ResolveModel(ctx); err != nil || m != nil {
			t.Fatalf("fresh store: model %q, %v", m, err)
		}
		for _, m := range []string{`{"Lambda":0.001}`, `{"Lambda":0.002,"Records":5000}`} {
			if err := s.SaveResolveModel(ctx, []byte(m)); err != nil {
				t.Fatal(err)
			}
			got, err := s.ResolveModel(ctx)
			if err != nil || string(got) != m {
				t.Errorf("model = %q, %v, want %q", got, err, m)
			}
		}
		if err := s.SaveResolveModel(ctx, []byte(`{"Lambda":`)); muster.ErrorCode(err) != muster.EINVALID {
			t.Errorf("broken JSON: %v", err)
		}

		seq, err := s.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ir, err := s.Import(ctx, "t", []muster.Record{
			{Source: "a", SourceID: "1", Given: "Gul Agha", Family: "Popal", Category: muster.CategoryCitizen},
			{Source: "b", SourceID: "1", Given: "Gul Aga", Family: "Popal", Category: muster.CategoryCitizen},
			{Source: "c", SourceID: "1", Given: "Maryam", Family: "Safi", Category: muster.CategoryCitizen},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		mseq, err := s.Merge(ctx, "t", ir.People[0], ir.People[1], "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		regs, err := s.RegistrationsOf(ctx, []int64{ir.People[0], ir.People[2]})
		if err != nil {
			t.Fatal(err)
		}
		var got [][2]string
		for _, r := range regs {
			if r.PersonID != ir.People[0] && r.PersonID != ir.People[2] {
				t.Errorf("registration %d of person %d", r.RegID, r.PersonID)
			}
			got = append(got, [2]string{r.Record.Source, r.Record.Given})
		}
		want := [][2]string{{"a", "Gul Agha"}, {"b", "Gul Aga"}, {"c", "Maryam"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RegistrationsOf (-want +got)\n%s", diff)
		}
		if regs, err := s.RegistrationsOf(ctx, []int64{ir.People[1]}); err != nil || len(regs) != 0 {
			t.Errorf("an absorbed person's registrations: %d, %v", len(regs), err)
		}
		evs, err := s.LinkageEvents(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		wantTypes := []string{muster.EventImported, muster.EventImported, muster.EventImported, muster.EventMerged}
		if diff := cmp.Diff(wantTypes, types); diff != "" {
			t.Errorf("linkage events (-want +got)\n%s", diff)
		}
		if len(evs) == 4 && (evs[3].Seq != mseq || evs[3].PersonID != ir.People[1]) {
			t.Errorf("merge event %+v, want seq %d person %d", evs[3], mseq, ir.People[1])
		}
		if evs, _ := s.LinkageEvents(ctx, mseq); len(evs) != 0 {
			t.Errorf("events after the last: %+v", evs)
		}

		// LiveRegistrations reads what AllRegistrations reads, over more
		// than one of its chunks.
		var many []muster.Record
		for i := range 2100 {
			many = append(many, muster.Record{Source: "d", SourceID: fmt.Sprint(i), Given: fmt.Sprint("Given ", i%97), Family: "Safi", Category: muster.CategoryCitizen})
		}
		if _, err := s.Import(ctx, "t", many, nil); err != nil {
			t.Fatal(err)
		}
		all, err := s.AllRegistrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		live, err := s.LiveRegistrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2103 {
			t.Errorf("%d live registrations, want 2103", len(all))
		}
		if diff := cmp.Diff(all, live); diff != "" {
			t.Errorf("LiveRegistrations (-AllRegistrations +Live)\n%s", diff)
		}
	})
}

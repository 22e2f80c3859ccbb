package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"muster"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// TestStoreFollowSeesOtherWriters opens two handles on one database, as two
// servers would, and checks each learns of the other's writes.
func TestStoreFollowSeesOtherWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		kek := newKEK(t)
		a := open(t, dsn, kek)
		b := open(t, dsn, kek)
		start, err := b.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[int64]muster.Stage{}
		done := make(chan error, 1)
		go func() {
			done <- b.Follow(ctx, start, 20*time.Millisecond, func(evs []muster.Event) error {
				mu.Lock()
				defer mu.Unlock()
				for _, ev := range evs {
					if ev.PersonID != 0 && ev.To != "" {
						seen[ev.PersonID] = ev.To
					}
				}
				return nil
			})
		}()
		if _, err := a.Import(ctx, "a", family("ngo-a", "F1", 3, muster.CategoryCitizen), nil); err != nil {
			t.Fatal(err)
		}
		ps, err := a.People(ctx, store.PeopleFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.SetStage(ctx, "a", store.Scope{}, []int64{ps[0].ID}, muster.StageApproved, ""); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n, st := len(seen), seen[ps[0].ID]
			mu.Unlock()
			if n == 3 && st == muster.StageApproved {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("follower saw %d people, first at %q", n, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != context.Canceled && err != context.DeadlineExceeded {
			t.Errorf("Follow returned %v", err)
		}
	})
}

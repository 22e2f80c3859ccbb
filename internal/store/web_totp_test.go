package store_test

import (
	"context"
	"crypto/rand"
	"testing"

	"muster/internal/store"
	"muster/internal/store/storetest"
)

func TestUseTOTPStep(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := make([]byte, 32)
		rand.Read(kek)
		s, err := store.Open(ctx, dsn, store.Options{KEK: kek})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		// Two servers on one database: a second Store sees the first's use.
		s2, err := store.Open(ctx, dsn, store.Options{KEK: kek})
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		tests := []struct {
			s          *store.Store
			user, step int64
			want       bool
		}{
			{s, 1, 58_000_000, true},
			{s, 1, 58_000_000, false},  // the same code again
			{s2, 1, 58_000_000, false}, // on the other server
			{s2, 1, 57_999_999, false}, // an older code
			{s2, 1, 58_000_001, true},
			{s, 2, 58_000_000, true}, // another user
		}
		for i, tt := range tests {
			got, err := tt.s.UseTOTPStep(ctx, tt.user, tt.step)
			if err != nil || got != tt.want {
				t.Errorf("%d: UseTOTPStep(%d, %d) = %v, %v; want %v", i, tt.user, tt.step, got, err, tt.want)
			}
		}
		purged, err := s.Purged(ctx)
		if err != nil || purged {
			t.Errorf("Purged on a live database = %v, %v", purged, err)
		}
	})
}

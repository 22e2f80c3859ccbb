package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"muster/internal/store"
	"muster/internal/store/storetest"
)

// TestWatchPurge: a purge done elsewhere (here store.Purge, as `muster
// purge` does) stops this server from serving.
func TestWatchPurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		c := e.client().login("coord")
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- e.srv.WatchPurge(ctx, 20*time.Millisecond) }()
		if r := c.get("/dashboard"); r.status != 200 {
			t.Fatalf("before purge: %d", r.status)
		}
		select {
		case err := <-done:
			t.Fatalf("WatchPurge returned %v before any purge", err)
		case <-time.After(100 * time.Millisecond):
		}
		if err := store.Purge(ctx, dsn); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("WatchPurge: %v", err)
		}
		for _, p := range []string{"/dashboard", "/login", "/api/status"} {
			if r := c.get(p); r.status != http.StatusGone {
				t.Errorf("%s after purge: %d, want 410", p, r.status)
			}
		}
	})
}

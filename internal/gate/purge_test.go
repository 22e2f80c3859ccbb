package gate

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestGatePurgesOnRevokedToken: the server refuses the device's token
// (revoked after the laptop was reported lost), and the gate destroys its
// replica and stops.
func TestGatePurgesOnRevokedToken(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"token revoked"}`))
	}))
	defer ts.Close()
	db := filepath.Join(t.TempDir(), "gate.db")
	g, err := Open(context.Background(), Config{Server: ts.URL, Gate: "A", Token: "x", DB: db, Listener: listen(t), SyncEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Serve(ctx); !errors.Is(err, ErrPurged) {
		t.Fatalf("Serve = %v, want ErrPurged", err)
	}
	for _, f := range []string{db, db + "-wal", db + "-shm", db + ".key"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s survived the purge: %v", f, err)
		}
	}
	if r := g.Scan(context.Background(), "C-000001"); r.Reason != "purged" {
		t.Errorf("scan after purge: %+v", r)
	}
}

// TestGateOfflinePurgeAfterLimit: a device that cannot reach its server
// for longer than allowed purges itself; before the limit it keeps working.
func TestGateOfflinePurgeAfterLimit(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2021, 8, 25, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := filepath.Join(t.TempDir(), "gate.db")
	// A server address nobody answers on.
	dead := listen(t)
	deadURL := "http://" + dead.Addr().String()
	dead.Close()
	g, err := Open(context.Background(), Config{Server: deadURL, Gate: "A", Token: "x", DB: db, Listener: listen(t),
		SyncEvery: 20 * time.Millisecond, PurgeAfterOffline: 6 * time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- g.Serve(ctx) }()
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("purged before the limit: %v", err)
	default:
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("replica gone before the limit: %v", err)
	}
	mu.Lock()
	now = now.Add(6*time.Hour + time.Minute)
	mu.Unlock()
	if err := <-done; !errors.Is(err, ErrPurged) {
		t.Fatalf("Serve = %v, want ErrPurged", err)
	}
	for _, f := range []string{db, db + ".key"} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s survived: %v", f, err)
		}
	}
}

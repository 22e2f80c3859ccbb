package gate

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkGateAdmitOutbox is the write of one check-in to the replica's
// outbox (sealed, synchronous=FULL): what an admission adds to a scan.
func BenchmarkGateAdmitOutbox(b *testing.B) {
	ctx := context.Background()
	r, err := openReplica(ctx, filepath.Join(b.TempDir(), "g.db"), make([]byte, 32))
	if err != nil {
		b.Fatal(err)
	}
	defer r.close()
	people := make([]personRow, 1000)
	for i := range people {
		people[i].PersonID = int64(i + 1)
	}
	i := 0
	for b.Loop() {
		p := &passRow{PassID: fmt.Sprintf("%016x", i/len(people)+1), CaseID: 7, People: people}
		if ok, err := r.admit(ctx, p, i%len(people), "mrz", time.Now()); err != nil || !ok {
			b.Fatalf("admit %d: %v %v", i, ok, err)
		}
		i++
	}
}

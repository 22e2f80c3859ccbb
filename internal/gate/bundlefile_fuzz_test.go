package gate

import (
	"bytes"
	"strings"
	"testing"

	"muster/internal/store"
)

// FuzzOpenBundle: whatever a bundle file holds, and whatever key is typed,
// OpenBundle returns an error or a snapshot of the gate asked for; and
// only the file SealBundle wrote opens with its key.
func FuzzOpenBundle(f *testing.F) {
	sealed, key, err := SealBundle(&store.GateSnapshot{Gate: "Abbey", Passes: []store.GatePass{{PassID: "00000000000000ab"}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, key, "Abbey")
	f.Add(sealed, key, "North")
	f.Add([]byte(`{"gate":"Abbey"}`), key, "Abbey")
	f.Add([]byte(bundleMagic), "mgb_00", "Abbey")
	f.Fuzz(func(t *testing.T, file []byte, k, gate string) {
		snap, err := OpenBundle(file, k, gate)
		if err != nil {
			return
		}
		if snap.Gate != gate {
			t.Fatalf("bundle of gate %q opened for %q", snap.Gate, gate)
		}
		// Hex is read in either case, and the key may come with spaces.
		if !bytes.Equal(file, sealed) || strings.ToLower(strings.TrimSpace(k)) != key {
			t.Fatalf("a file or key SealBundle did not write opened: %q %q", file, k)
		}
	})
}

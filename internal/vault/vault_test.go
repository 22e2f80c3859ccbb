package vault

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyFileCreateLoadDestroy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "muster.key")
	k1, created, err := LoadOrCreateKEK(path)
	if err != nil || !created || len(k1) != KeySize {
		t.Fatalf("create: %v %v %d", err, created, len(k1))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKEK(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("load: %v %v equal=%v", err, created, bytes.Equal(k1, k2))
	}
	if err := DestroyKeyFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("key file still there: %v", err)
	}
	if err := os.WriteFile(path, []byte("not hex"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKEK(path); err == nil {
		t.Error("a malformed key file was accepted")
	}
}

func TestWrapSealBlind(t *testing.T) {
	kek, _ := NewDEK()
	dek, _ := NewDEK()
	w, err := Wrap(kek, dek)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unwrap(kek, w)
	if err != nil || !bytes.Equal(got, dek) {
		t.Fatalf("unwrap: %v", err)
	}
	other, _ := NewDEK()
	if _, err := Unwrap(other, w); err != ErrWrongKey {
		t.Errorf("unwrap with another key: %v", err)
	}
	v, err := New(dek)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := v.Seal([]byte("Abdul Rahman"), "person")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Abdul")) {
		t.Error("sealed value holds the plaintext")
	}
	if pt, err := v.Open(sealed, "person"); err != nil || string(pt) != "Abdul Rahman" {
		t.Errorf("open = %q, %v", pt, err)
	}
	if _, err := v.Open(sealed, "registration"); err == nil {
		t.Error("a value opened under another associated data")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := v.Open(sealed, "person"); err == nil {
		t.Error("an altered value opened")
	}
	if !bytes.Equal(v.Blind("doc", "P123"), v.Blind("doc", "P123")) || bytes.Equal(v.Blind("doc", "P123"), v.Blind("phone", "P123")) {
		t.Error("blind index is not deterministic per kind")
	}
	v2, _ := New(other)
	if bytes.Equal(v.Blind("doc", "P123"), v2.Blind("doc", "P123")) {
		t.Error("blind index does not depend on the key")
	}
}

package auth

import "testing"

// FuzzDecodeHash feeds stored-hash strings (a tampered users table) to the
// decoder: it must never panic nor accept parameters that would let one
// login allocate without bound.
func FuzzDecodeHash(f *testing.F) {
	good, _ := HashPassword("correct horse battery", fast)
	f.Add(good)
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		p, salt, key, err := decodeHash(s)
		if err != nil {
			return
		}
		if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || p.Threads == 0 || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
			t.Fatalf("accepted %q: %+v salt %d key %d", s, p, len(salt), len(key))
		}
	})
}

package auth

import "testing"

// BenchmarkVerifyPassword measures one login's password check at
// DefaultParams: the cost an attacker pays per guess, and the latency and
// memory a sign-in costs the server.
func BenchmarkVerifyPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery", DefaultParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := VerifyPassword("correct horse battery", h); err != nil {
			b.Fatal(err)
		}
	}
}

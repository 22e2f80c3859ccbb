package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. They are encoded into every hash so
// that raising them later does not lock anyone out.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultParams follow RFC 9106's second recommended option (64 MiB, t=3)
// scaled to this machine class: about 100 ms per login on one core.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2, KeyLen: 32, SaltLen: 16}

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

// MinPasswordLen is the shortest password HashPassword accepts.
const MinPasswordLen = 10

// HashPassword hashes pw with argon2id and a fresh salt, encoded in the
// PHC string format: $argon2id$v=19$m=65536,t=3,p=2$salt$key.
func HashPassword(pw string, p Params) (string, error) {
	if len(pw) < MinPasswordLen {
		return "", fmt.Errorf("password too short: use at least %d characters", MinPasswordLen)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks pw against an encoded hash in constant time. It
// returns ErrMismatch for a wrong password and another error for a hash it
// cannot read.
func VerifyPassword(pw, encoded string) error {
	p, salt, key, err := decodeHash(encoded)
	if err != nil {
		return err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return ErrMismatch
	}
	return nil
}

// dummyHash is verified against when a login names no account, so that the
// response time does not tell which account names exist. It is made on
// first use: hashing 64 MiB at package init would slow every command.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("muster-no-such-account", DefaultParams)
	return h
})

// BurnTime spends as long as one VerifyPassword call with DefaultParams.
func BurnTime(pw string) { _ = VerifyPassword(pw, dummyHash()) }

// Limits on decoded parameters, so that a tampered hash cannot make a login
// allocate gigabytes.
const (
	maxMemory = 1 << 20 // KiB = 1 GiB
	maxTime   = 20
)

func decodeHash(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, errors.New("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return p, nil, nil, fmt.Errorf("argon2id hash: unsupported version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id hash: bad parameters %q", parts[3])
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > maxTime || p.Threads == 0 {
		return p, nil, nil, fmt.Errorf("argon2id hash: parameters out of range %q", parts[3])
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return p, nil, nil, errors.New("argon2id hash: bad salt")
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, errors.New("argon2id hash: bad key")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

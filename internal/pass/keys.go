package pass

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"strings"
)

// Text forms of keys, for the operation's settings and the gate bundle. The
// private key is stored as its 32-byte seed.
const (
	pubPrefix  = "muster-pass-pub-1:"
	privPrefix = "muster-pass-key-1:"
	docPrefix  = "muster-pass-doc-1:"
)

// GenerateKey makes a new operation key pair; rand nil means crypto/rand.
func GenerateKey(r io.Reader) (ed25519.PublicKey, ed25519.PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	return ed25519.GenerateKey(r)
}

// MarshalPublicKey returns the public key as text.
func MarshalPublicKey(pub ed25519.PublicKey) string {
	return pubPrefix + base64.RawURLEncoding.EncodeToString(pub)
}

// MarshalPrivateKey returns the private key as text. It is a secret: it
// belongs in the server's settings, never in a gate bundle or a log.
func MarshalPrivateKey(priv ed25519.PrivateKey) string {
	return privPrefix + base64.RawURLEncoding.EncodeToString(priv.Seed())
}

// MarshalDocKey returns a document key as text, for the gate bundle.
func MarshalDocKey(k []byte) string {
	return docPrefix + base64.RawURLEncoding.EncodeToString(k)
}

// ParsePublicKey reads MarshalPublicKey's text.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := parseKey(s, pubPrefix, ed25519.PublicKeySize)
	return ed25519.PublicKey(b), err
}

// ParsePrivateKey reads MarshalPrivateKey's text.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := parseKey(s, privPrefix, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// ParseDocKey reads MarshalDocKey's text.
func ParseDocKey(s string) ([]byte, error) {
	return parseKey(s, docPrefix, 32)
}

func parseKey(s, prefix string, size int) ([]byte, error) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, prefix) {
		return nil, errors.New("pass: not a " + strings.TrimSuffix(prefix, ":"))
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s[len(prefix):])
	if err != nil || len(b) != size {
		return nil, errors.New("pass: bad " + strings.TrimSuffix(prefix, ":"))
	}
	return b, nil
}

// Package vault owns muster's keys: the key-encryption key (KEK) that an
// operator supplies in a file, the data key (DEK) it wraps, the AEAD that
// seals personal fields at rest, the keyed blind indexes that let the store
// find a sealed value without decrypting, and the destruction of all of it.
//
// The DEK never leaves memory in clear: the store keeps only its wrapped
// form. Destroying the KEK file and the wrapped DEK makes every sealed value
// in the database, its backups and its dumps unreadable.
package vault

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"
)

// KeySize is the size of every key in bytes.
const KeySize = 32

// wrapAD binds a wrapped DEK to its purpose so that it cannot be swapped for
// some other sealed blob.
var wrapAD = []byte("muster/dek/v1")

// ErrWrongKey means the KEK cannot unwrap the database's data key: the key
// file belongs to another database, or the data key was destroyed.
var ErrWrongKey = errors.New("the key file does not open this database's data key (wrong key file, or the data was purged)")

// LoadOrCreateKEK reads the KEK from path (64 hex characters, optional
// whitespace). When the file does not exist it creates one with mode 0600 and
// reports created = true so the caller can say so.
func LoadOrCreateKEK(path string) (kek []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		kek = make([]byte, KeySize)
		if _, err := rand.Read(kek); err != nil {
			return nil, false, err
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, false, fmt.Errorf("create key directory: %w", err)
			}
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("create key file: %w", err)
		}
		if _, err := fmt.Fprintln(f, hex.EncodeToString(kek)); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, false, err
		}
		return kek, true, f.Close()
	} else if err != nil {
		return nil, false, fmt.Errorf("read key file: %w", err)
	}
	kek, err = hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(kek) != KeySize {
		return nil, false, fmt.Errorf("key file %s: want %d hex-encoded bytes", path, KeySize)
	}
	return kek, false, nil
}

// DestroyKeyFile overwrites the key file with random bytes, syncs it, and
// removes it. A missing file is not an error.
func DestroyKeyFile(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	junk := make([]byte, fi.Size()+KeySize)
	for pass := 0; pass < 3; pass++ {
		if _, err := rand.Read(junk); err != nil {
			f.Close()
			return err
		}
		if _, err := f.WriteAt(junk, 0); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Remove(path)
}

// NewDEK returns a fresh random data key.
func NewDEK() ([]byte, error) {
	dek := make([]byte, KeySize)
	_, err := rand.Read(dek)
	return dek, err
}

// Wrap seals dek under kek.
func Wrap(kek, dek []byte) ([]byte, error) {
	return seal(kek, dek, wrapAD)
}

// Unwrap opens a wrapped data key.
func Unwrap(kek, wrapped []byte) ([]byte, error) {
	dek, err := open(kek, wrapped, wrapAD)
	if err != nil {
		return nil, ErrWrongKey
	}
	return dek, nil
}

// Vault seals and opens personal data under one data key and computes blind
// indexes. It is safe for concurrent use.
type Vault struct {
	seal  cipherKey
	blind []byte
	audit []byte
}

type cipherKey []byte

// New derives the vault's sub-keys from the data key.
func New(dek []byte) (*Vault, error) {
	if len(dek) != KeySize {
		return nil, fmt.Errorf("data key: want %d bytes, have %d", KeySize, len(dek))
	}
	v := &Vault{}
	for _, k := range []struct {
		dst  *[]byte
		info string
	}{{(*[]byte)(&v.seal), "seal"}, {&v.blind, "blind-index"}, {&v.audit, "audit-chain"}} {
		b := make([]byte, KeySize)
		if _, err := io.ReadFull(hkdf.New(sha256.New, dek, nil, []byte("muster/"+k.info)), b); err != nil {
			return nil, err
		}
		*k.dst = b
	}
	return v, nil
}

// Seal encrypts plaintext with XChaCha20-Poly1305; ad (e.g. the table and
// column) is authenticated but not stored, so a sealed value moved to
// another column no longer opens.
func (v *Vault) Seal(plaintext []byte, ad string) ([]byte, error) {
	return seal(v.seal, plaintext, []byte(ad))
}

// Open decrypts a value sealed with the same ad.
func (v *Vault) Open(sealed []byte, ad string) ([]byte, error) {
	return open(v.seal, sealed, []byte(ad))
}

// Blind returns the keyed blind index of a value of some kind ("doc",
// "phone", "name", ...). The caller normalises value first; equal
// normalised values give equal indexes, and without the key the index says
// nothing about the value.
func (v *Vault) Blind(kind, value string) []byte {
	m := hmac.New(sha256.New, v.blind)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)[:16]
}

// Chain returns the audit chain link that follows prev for the canonical
// encoding of one event. It is keyed, so whoever can edit the database but
// has no key cannot forge a consistent chain.
func (v *Vault) Chain(prev, event []byte) []byte {
	m := hmac.New(sha256.New, v.audit)
	m.Write(prev)
	m.Write(event)
	return m.Sum(nil)
}

// ChainEqual compares two links in constant time.
func ChainEqual(a, b []byte) bool { return hmac.Equal(a, b) && len(a) > 0 }

func seal(key, plaintext, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, err
	}
	return aead.Seal(out, out, plaintext, ad), nil
}

var errOpen = errors.New("sealed value does not open (corrupt, or sealed under another key)")

func open(key, sealed, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errOpen
	}
	pt, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], ad)
	if err != nil {
		return nil, errOpen
	}
	return pt, nil
}

// Zero overwrites b.
func Zero(b []byte) {
	copy(b, bytes.Repeat([]byte{0}, len(b)))
}

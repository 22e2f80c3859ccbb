package gate

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"muster/internal/store"
	"muster/internal/vault"
)

// A bundle file carries a gate's snapshot to a device that cannot reach
// the server ('muster gates bundle NAME --out FILE', then 'muster gate
// --offline-from FILE'). It travels on a stick or a shared folder, so it is
// sealed: XChaCha20-Poly1305 under a fresh key that the export prints once
// and the officer types in at the gate, carried apart from the file. The
// gate's name is authenticated with it, so a bundle cannot be loaded at
// another gate either.

// bundleMagic starts every sealed bundle file.
const bundleMagic = "muster-gate-bundle-1\n"

// bundleKeyPrefix marks a bundle key as typed by the officer.
const bundleKeyPrefix = "mgb_"

// ErrBundleKey is returned for a missing, malformed or wrong bundle key, or
// a bundle file that was altered.
var ErrBundleKey = errors.New("the bundle key does not open this bundle (wrong key, another gate's bundle, or an altered file)")

// SealBundle returns snap as a sealed bundle file and the key that opens it.
func SealBundle(snap *store.GateSnapshot) (file []byte, key string, err error) {
	plain, err := json.Marshal(snap)
	if err != nil {
		return nil, "", err
	}
	defer vault.Zero(plain)
	k, err := vault.NewDEK()
	if err != nil {
		return nil, "", err
	}
	defer vault.Zero(k)
	v, err := vault.New(k)
	if err != nil {
		return nil, "", err
	}
	sealed, err := v.Seal(plain, bundleAD(snap.Gate))
	if err != nil {
		return nil, "", err
	}
	return append([]byte(bundleMagic), sealed...), bundleKeyPrefix + hex.EncodeToString(k), nil
}

// OpenBundle opens a sealed bundle file of gate with key.
func OpenBundle(file []byte, key, gate string) (*store.GateSnapshot, error) {
	rest, ok := bytes.CutPrefix(file, []byte(bundleMagic))
	if !ok {
		if bytes.HasPrefix(bytes.TrimSpace(file), []byte("{")) {
			return nil, errors.New("this bundle is in clear (written by an older muster): export it again with 'muster gates bundle'")
		}
		return nil, errors.New("not a muster gate bundle")
	}
	hexKey, ok := strings.CutPrefix(strings.TrimSpace(key), bundleKeyPrefix)
	if !ok {
		return nil, fmt.Errorf("a bundle key starts with %s (printed by 'muster gates bundle')", bundleKeyPrefix)
	}
	k, err := hex.DecodeString(hexKey)
	if err != nil || len(k) != vault.KeySize {
		return nil, ErrBundleKey
	}
	defer vault.Zero(k)
	v, err := vault.New(k)
	if err != nil {
		return nil, err
	}
	plain, err := v.Open(rest, bundleAD(gate))
	if err != nil {
		return nil, ErrBundleKey
	}
	defer vault.Zero(plain)
	var snap store.GateSnapshot
	if err := json.Unmarshal(plain, &snap); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if snap.Gate != gate {
		return nil, ErrBundleKey
	}
	return &snap, nil
}

func bundleAD(gate string) string { return "gate-bundle:" + gate }

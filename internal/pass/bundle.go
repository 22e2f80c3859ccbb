package pass

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
)

// Bundle is what a gate needs to verify passes offline: the operation's
// public keys (more than one during a key rotation) and the document key.
// Revocations and admissions change by the minute, so they are not in it:
// the gate passes them to Verify and Admit from its replica.
type Bundle struct {
	Keys   []ed25519.PublicKey
	DocKey []byte
}

type bundleJSON struct {
	Keys   []string `json:"keys"`
	DocKey string   `json:"doc_key"`
}

// MarshalJSON writes the keys in their text forms.
func (b Bundle) MarshalJSON() ([]byte, error) {
	j := bundleJSON{DocKey: MarshalDocKey(b.DocKey)}
	for _, k := range b.Keys {
		j.Keys = append(j.Keys, MarshalPublicKey(k))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads MarshalJSON's output.
func (b *Bundle) UnmarshalJSON(data []byte) error {
	var j bundleJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	var nb Bundle
	for _, s := range j.Keys {
		k, err := ParsePublicKey(s)
		if err != nil {
			return err
		}
		nb.Keys = append(nb.Keys, k)
	}
	dk, err := ParseDocKey(j.DocKey)
	if err != nil {
		return err
	}
	nb.DocKey = dk
	if len(nb.Keys) == 0 {
		return fmt.Errorf("pass: bundle has no public key")
	}
	*b = nb
	return nil
}

// Verify verifies token with whichever of the bundle's keys signed it.
func (b *Bundle) Verify(token string, chk Check) (Claims, error) {
	if len(b.Keys) == 1 {
		return Verify(b.Keys[0], token, chk)
	}
	c, err := Decode(token)
	if err != nil {
		return Claims{}, err
	}
	for _, k := range b.Keys {
		if KeyIDOf(k) == c.KeyID {
			return Verify(k, token, chk)
		}
	}
	return Claims{}, refuse(ReasonUnknownKey, "key %08x", c.KeyID)
}

// Admit is Admit with the bundle's document key.
func (b *Bundle) Admit(c Claims, docNumber string, used func(passID uint64, person int) bool) (int, error) {
	return Admit(b.DocKey, c, docNumber, used)
}

// Package pass issues and verifies call-forward passes: compact tokens,
// signed with the operation's Ed25519 key, that a gate verifies offline with
// only the public key, the document key and its revocation list.
//
// A pass carries no name and no document number. It binds each person in the
// case by a keyed hash of their document number (see HashDocument), so a
// forwarded QR image admits nobody who does not hold one of those documents,
// and each person is admitted once (the gate's used list), at one gate,
// within one window.
package pass

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Text forms of a token. Both carry the same bytes; Issue writes base45
// because it makes the smallest QR code, and Verify reads either, so a pass
// can also travel in a URL or a message as base64url.
const (
	Prefix45  = "MP1:"
	Prefix64  = "MP1."
	version   = 1
	HashLen   = 8  // bytes of each person's document hash kept in the pass
	MaxPeople = 64 // a case larger than this is split by the planner anyway
	MaxGate   = 64 // bytes of gate name
)

// Hash is the truncated keyed hash of one person's document number. The zero
// Hash means the person has no document on record; it never matches.
type Hash [HashLen]byte

// Claims is what a pass says.
type Claims struct {
	KeyID       uint32    // which operation key signed it; set by Issue
	PassID      uint64    // random; Issue picks one when zero
	CaseID      int64     // muster.Case.ID
	Gate        string    // the one gate it is valid at
	WindowStart time.Time // call-forward window, to the second
	WindowEnd   time.Time
	Expiry      time.Time // hard limit, whatever the grace
	People      []Hash    // one per person in the case, in case order
}

// Reason says why a pass was refused. The gate page shows it to the officer.
type Reason string

const (
	ReasonMalformed    Reason = "malformed"     // not a pass, truncated, or garbled by the scanner
	ReasonUnknownKey   Reason = "unknown_key"   // signed by a key this gate does not know: forged or another operation
	ReasonBadSignature Reason = "bad_signature" // signature does not match: altered or forged
	ReasonRevoked      Reason = "revoked"
	ReasonWrongGate    Reason = "wrong_gate"
	ReasonExpired      Reason = "expired"
	ReasonTooEarly     Reason = "too_early"
	ReasonTooLate      Reason = "too_late"
	ReasonUsed         Reason = "already_used"         // everyone on the pass has been admitted
	ReasonNotOnPass    Reason = "document_not_on_pass" // MatchDocument: this document is not bound to the pass
)

// Error is a refusal with its reason. Errors compare equal under errors.Is
// when their reasons are equal, so callers can test errors.Is(err, ErrRevoked).
type Error struct {
	Reason Reason
	Detail string // for the officer; never personal data
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "pass refused: " + string(e.Reason)
	}
	return "pass refused: " + string(e.Reason) + ": " + e.Detail
}

// Is makes errors.Is match on the reason alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// Sentinels for errors.Is.
var (
	ErrMalformed    = &Error{Reason: ReasonMalformed}
	ErrUnknownKey   = &Error{Reason: ReasonUnknownKey}
	ErrBadSignature = &Error{Reason: ReasonBadSignature}
	ErrRevoked      = &Error{Reason: ReasonRevoked}
	ErrWrongGate    = &Error{Reason: ReasonWrongGate}
	ErrExpired      = &Error{Reason: ReasonExpired}
	ErrTooEarly     = &Error{Reason: ReasonTooEarly}
	ErrTooLate      = &Error{Reason: ReasonTooLate}
	ErrUsed         = &Error{Reason: ReasonUsed}
	ErrNotOnPass    = &Error{Reason: ReasonNotOnPass}
)

// ReasonOf returns the reason of a refusal, or "" for nil or another error.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func refuse(r Reason, format string, args ...any) error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// KeyIDOf derives a key id from a public key: the first 4 bytes of its
// SHA-256. It lets a gate holding several keys (after a rotation) pick the
// right one, and tell "signed by a key I do not know" from "altered".
func KeyIDOf(pub ed25519.PublicKey) uint32 {
	h := sha256.Sum256(pub)
	return binary.BigEndian.Uint32(h[:4])
}

// NormalizeDocument reduces a document number to what the MRZ and the
// registration spreadsheets agree on: upper-case letters and digits, no
// spaces, dashes or MRZ fillers.
func NormalizeDocument(number string) string {
	var sb strings.Builder
	for _, r := range strings.ToUpper(number) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		}
	}
	return sb.String()
}

// HashDocument binds a document number to a pass.
//
// Why keyed: passport numbers have little entropy (a letter and 7 or 8
// digits is under 2^35), so a plain hash in a QR code that is forwarded
// around a city could be reversed in minutes, giving out the document numbers
// of everyone in the family. HMAC-SHA256 under the operation's document key
// (32 random bytes, held by the server and shipped to gates in the
// verification bundle, never printed) makes that impossible for anyone who
// only has the image. The pass id is part of the input so that the same
// person on two passes gets unrelated hashes (no linking across passes, no
// precomputed table). 8 bytes are kept: a wrong document matches with
// probability 2^-64, and the pass stays small enough for a robust QR code.
//
// A gate that holds the document key could brute-force numbers, but the gate
// replica already holds the case list; the key protects against the crowd,
// not against a stolen gate laptop.
func HashDocument(docKey []byte, passID uint64, number string) Hash {
	n := NormalizeDocument(number)
	var h Hash
	if n == "" {
		return h
	}
	mac := hmac.New(sha256.New, docKey)
	var id [8]byte
	binary.BigEndian.PutUint64(id[:], passID)
	mac.Write([]byte("muster pass document v1\x00"))
	mac.Write(id[:])
	mac.Write([]byte(n))
	copy(h[:], mac.Sum(nil))
	if h == (Hash{}) {
		h[0] = 1 // keep the zero hash meaning "no document"
	}
	return h
}

// BindDocuments sets c.People from the document numbers of the people in the
// case, in case order; an empty number (a child on a parent's passport)
// gives the zero hash, which the officer admits by ticking, not by scanning.
// c.PassID must be set first: Issue only picks one when it is zero, and the
// hashes depend on it.
func (c *Claims) BindDocuments(docKey []byte, numbers []string) {
	c.People = make([]Hash, len(numbers))
	for i, n := range numbers {
		c.People[i] = HashDocument(docKey, c.PassID, n)
	}
}

// NewPassID returns a random pass id.
func NewPassID() uint64 {
	var b [8]byte
	for {
		rand.Read(b[:])
		if id := binary.BigEndian.Uint64(b[:]); id != 0 {
			return id
		}
	}
}

// NewDocKey returns a random document key for an operation.
func NewDocKey() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// Issue signs c with priv and returns the token as base45 text (with
// Prefix45) ready for a QR code. It sets c.KeyID from the key, and picks a
// pass id when c.PassID is zero, which is only possible when no document is
// bound yet (set PassID with NewPassID, then BindDocuments, then Issue).
func Issue(priv ed25519.PrivateKey, c Claims) (string, error) {
	b, err := sign(priv, c)
	if err != nil {
		return "", err
	}
	return Prefix45 + encode45(b), nil
}

// IssueBase64 is Issue with base64url text (Prefix64), for links and messages.
func IssueBase64(priv ed25519.PrivateKey, c Claims) (string, error) {
	b, err := sign(priv, c)
	if err != nil {
		return "", err
	}
	return Prefix64 + base64.RawURLEncoding.EncodeToString(b), nil
}

func sign(priv ed25519.PrivateKey, c Claims) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, errors.New("pass: bad private key")
	}
	c.KeyID = KeyIDOf(priv.Public().(ed25519.PublicKey))
	if c.PassID == 0 {
		// Document hashes depend on the pass id, so they cannot have been
		// bound without one.
		for _, h := range c.People {
			if h != (Hash{}) {
				return nil, errors.New("pass: documents bound without a pass id")
			}
		}
		c.PassID = NewPassID()
	}
	body, err := c.marshal()
	if err != nil {
		return nil, err
	}
	return append(body, ed25519.Sign(priv, body)...), nil
}

// marshal writes the signed body:
//
//	version      1 byte
//	key id       4 bytes
//	pass id      8 bytes
//	case id      uvarint
//	gate         uvarint length, UTF-8 bytes
//	window start uvarint Unix seconds
//	window len   uvarint seconds
//	expiry       varint seconds from window start
//	people       uvarint count, then HashLen bytes each
//
// About 100 bytes for a family of five, 175 as base45 text.
func (c *Claims) marshal() ([]byte, error) {
	switch {
	case c.CaseID < 0:
		return nil, errors.New("pass: negative case id")
	case c.Gate == "" || len(c.Gate) > MaxGate || !utf8.ValidString(c.Gate):
		return nil, fmt.Errorf("pass: gate name must be 1 to %d bytes of UTF-8", MaxGate)
	case c.WindowStart.Unix() < 0 || c.WindowEnd.Before(c.WindowStart):
		return nil, errors.New("pass: window must start after 1970 and end after it starts")
	case len(c.People) == 0 || len(c.People) > MaxPeople:
		return nil, fmt.Errorf("pass: a pass holds 1 to %d people", MaxPeople)
	}
	b := make([]byte, 0, 48+len(c.Gate)+len(c.People)*HashLen+ed25519.SignatureSize)
	b = append(b, version)
	b = binary.BigEndian.AppendUint32(b, c.KeyID)
	b = binary.BigEndian.AppendUint64(b, c.PassID)
	b = binary.AppendUvarint(b, uint64(c.CaseID))
	b = binary.AppendUvarint(b, uint64(len(c.Gate)))
	b = append(b, c.Gate...)
	start := c.WindowStart.Unix()
	b = binary.AppendUvarint(b, uint64(start))
	b = binary.AppendUvarint(b, uint64(c.WindowEnd.Unix()-start))
	b = binary.AppendVarint(b, c.Expiry.Unix()-start)
	b = binary.AppendUvarint(b, uint64(len(c.People)))
	for _, h := range c.People {
		b = append(b, h[:]...)
	}
	return b, nil
}

// errShort is the internal cause; callers see ReasonMalformed.
var errShort = errors.New("truncated")

// unmarshal reads a body written by marshal and insists that it is exactly
// what marshal would write for the claims it holds, so that one pass has one
// byte form (no padding, no overlong varints to play with).
func unmarshal(b []byte) (Claims, error) {
	var c Claims
	r := reader{b: b}
	if v := r.byte(); v != version {
		if r.err != nil {
			return c, r.err
		}
		return c, fmt.Errorf("version %d", v)
	}
	c.KeyID = binary.BigEndian.Uint32(r.take(4))
	c.PassID = binary.BigEndian.Uint64(r.take(8))
	caseID := r.uvarint()
	if caseID > 1<<62 {
		return c, errors.New("case id out of range")
	}
	c.CaseID = int64(caseID)
	gl := r.uvarint()
	if gl > MaxGate {
		return c, errors.New("gate name too long")
	}
	c.Gate = string(r.take(int(gl)))
	start := r.uvarint()
	length := r.uvarint()
	exp := r.varint()
	if start > 1<<40 || length > 1<<32 || exp > 1<<40 || exp < -(1<<40) {
		return c, errors.New("time out of range")
	}
	c.WindowStart = time.Unix(int64(start), 0).UTC()
	c.WindowEnd = time.Unix(int64(start+length), 0).UTC()
	c.Expiry = time.Unix(int64(start)+exp, 0).UTC()
	n := r.uvarint()
	if n > MaxPeople {
		return c, errors.New("too many people")
	}
	c.People = make([]Hash, n)
	for i := range c.People {
		copy(c.People[i][:], r.take(HashLen))
	}
	if r.err != nil {
		return Claims{}, r.err
	}
	if r.off != len(b) {
		return Claims{}, errors.New("trailing bytes")
	}
	again, err := c.marshal()
	if err != nil {
		return Claims{}, err
	}
	if string(again) != string(b) {
		return Claims{}, errors.New("not in canonical form")
	}
	return c, nil
}

type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil || len(r.b)-r.off < n {
		r.err = errShort
		return make([]byte, n) // zeros, so callers need not check
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *reader) byte() byte {
	p := r.take(1)
	if len(p) == 0 {
		return 0
	}
	return p[0]
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.off += n
	return v
}

// Decode reads a token's claims and signature WITHOUT checking the
// signature: for display and diagnostics only. Use Verify to admit anyone.
func Decode(token string) (Claims, error) {
	c, _, _, err := decode(token)
	return c, err
}

func decode(token string) (c Claims, body, sig []byte, err error) {
	var raw []byte
	switch {
	case strings.HasPrefix(token, Prefix45):
		raw, err = decode45(token[len(Prefix45):])
	case strings.HasPrefix(token, Prefix64):
		raw, err = base64.RawURLEncoding.Strict().DecodeString(token[len(Prefix64):])
	default:
		return c, nil, nil, refuse(ReasonMalformed, "not a muster pass")
	}
	if err != nil {
		return c, nil, nil, refuse(ReasonMalformed, "bad text encoding")
	}
	if len(raw) < ed25519.SignatureSize+1 {
		return c, nil, nil, refuse(ReasonMalformed, "too short")
	}
	body, sig = raw[:len(raw)-ed25519.SignatureSize], raw[len(raw)-ed25519.SignatureSize:]
	if c, err = unmarshal(body); err != nil {
		return Claims{}, nil, nil, refuse(ReasonMalformed, "%v", err)
	}
	return c, body, sig, nil
}

// Check is what a gate knows when it verifies a pass.
type Check struct {
	// Gate is this gate; a pass for another gate is refused. An empty
	// Gate matches no pass: only AnyGate (for a coordinator's desk, never a
	// gate) skips the check, so a gate that forgot its name fails closed.
	Gate    string
	AnyGate bool
	Now     time.Time     // the gate's clock; the zero time fails every pass as too early
	Grace   time.Duration // accepted before the window opens and after it closes
	// Revoked reports whether the pass has been revoked (nil: none are).
	Revoked func(passID uint64) bool
	// Used reports whether person i of the pass has already been admitted
	// (nil: nobody has).
	Used func(passID uint64, person int) bool
}

// Verify checks token against the public key and the gate's situation and
// returns its claims. The error is an *Error with the reason to show. Once
// the signature holds, the claims are returned even with an error, so the
// officer can see which case a refused pass belongs to.
//
// Verify refuses with ReasonUsed only when every person on the pass has been
// admitted; use Admit to check the person in front of the officer.
func Verify(pub ed25519.PublicKey, token string, chk Check) (Claims, error) {
	if len(pub) != ed25519.PublicKeySize {
		return Claims{}, errors.New("pass: bad public key")
	}
	c, body, sig, err := decode(strings.TrimRight(token, "\r\n"))
	if err != nil {
		return Claims{}, err
	}
	if c.KeyID != KeyIDOf(pub) {
		return Claims{}, refuse(ReasonUnknownKey, "key %08x", c.KeyID)
	}
	if !ed25519.Verify(pub, body, sig) {
		return Claims{}, refuse(ReasonBadSignature, "")
	}
	switch {
	case chk.Revoked != nil && chk.Revoked(c.PassID):
		return c, refuse(ReasonRevoked, "")
	case !chk.AnyGate && c.Gate != chk.Gate:
		return c, refuse(ReasonWrongGate, "valid at %s", c.Gate)
	case chk.Now.After(c.Expiry):
		return c, refuse(ReasonExpired, "expired %s", c.Expiry.Format(time.RFC3339))
	case chk.Now.Before(c.WindowStart.Add(-chk.Grace)):
		return c, refuse(ReasonTooEarly, "window opens %s", c.WindowStart.Format(time.RFC3339))
	case chk.Now.After(c.WindowEnd.Add(chk.Grace)):
		return c, refuse(ReasonTooLate, "window closed %s", c.WindowEnd.Format(time.RFC3339))
	}
	if chk.Used != nil {
		left := 0
		for i := range c.People {
			if !chk.Used(c.PassID, i) {
				left++
			}
		}
		if left == 0 {
			return c, refuse(ReasonUsed, "all %d admitted", len(c.People))
		}
	}
	return c, nil
}

// MatchDocument finds the person on the pass whose document number this is.
// The comparison is constant-time per entry so a gate's timing says nothing.
func MatchDocument(docKey []byte, c Claims, docNumber string) (int, bool) {
	h := HashDocument(docKey, c.PassID, docNumber)
	if h == (Hash{}) {
		return -1, false
	}
	found := -1
	for i, p := range c.People {
		if hmac.Equal(h[:], p[:]) && found < 0 {
			found = i
		}
	}
	return found, found >= 0
}

// Admit decides on one person: it returns the index of the person whose
// document was scanned, ReasonNotOnPass if the document is not bound to this
// pass, or ReasonUsed if that person was already admitted. c must come from
// a successful Verify.
func Admit(docKey []byte, c Claims, docNumber string, used func(passID uint64, person int) bool) (int, error) {
	i, ok := MatchDocument(docKey, c, docNumber)
	if !ok {
		return -1, refuse(ReasonNotOnPass, "")
	}
	if used != nil && used(c.PassID, i) {
		return i, refuse(ReasonUsed, "person %d already admitted", i+1)
	}
	return i, nil
}

package pass

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	qrcode "github.com/skip2/go-qrcode"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Fixed keys so that tokens and QR codes are reproducible (Ed25519 signing
// is deterministic).
var (
	priv    = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub     = priv.Public().(ed25519.PublicKey)
	other   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	docKey  = bytes.Repeat([]byte{42}, 32)
	start   = time.Date(2021, 8, 25, 14, 0, 0, 0, time.UTC)
	docNums = []string{"L898902C3", "P1234567", "", "P7654321", "AB1234567"}
)

func testClaims() Claims {
	c := Claims{
		PassID:      0x1122334455667788,
		CaseID:      104233,
		Gate:        "NORTH",
		WindowStart: start,
		WindowEnd:   start.Add(30 * time.Minute),
		Expiry:      start.Add(3 * time.Hour),
	}
	c.BindDocuments(docKey, docNums)
	return c
}

func issue(t testing.TB, c Claims) string {
	t.Helper()
	tok, err := Issue(priv, c)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestPassRoundTrip(t *testing.T) {
	c := testClaims()
	want := c
	want.KeyID = KeyIDOf(pub)
	tok45 := issue(t, c)
	tok64, err := IssueBase64(priv, c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{tok45, tok64, tok45 + "\r\n"} {
		got, err := Verify(pub, tok, Check{Gate: "NORTH", Now: start.Add(time.Minute)})
		if err != nil {
			t.Fatalf("Verify(%.12s...): %v", tok, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("claims (-want +got):\n%s", diff)
		}
	}
	if !strings.HasPrefix(tok45, Prefix45) || strings.Trim(tok45[len(Prefix45):], alphabet45) != "" {
		t.Errorf("base45 token has characters outside the QR alphanumeric set: %q", tok45)
	}
	// A family of five must stay a small QR code.
	t.Logf("family of 5: %d characters base45, %d base64url", len(tok45), len(tok64))
	if len(tok45) > 260 {
		t.Errorf("token is %d characters", len(tok45))
	}
}

func TestPassIssuePicksPassID(t *testing.T) {
	c := Claims{CaseID: 1, Gate: "G", WindowStart: start, WindowEnd: start, Expiry: start, People: nil}
	if _, err := Issue(priv, c); err == nil {
		t.Error("a pass with nobody on it was issued")
	}
	c.People = []Hash{{1}}
	if _, err := Issue(priv, c); err == nil {
		t.Error("documents bound without a pass id were accepted")
	}
	for _, bad := range []Claims{
		{PassID: 1, CaseID: 1, Gate: "", WindowStart: start, WindowEnd: start, People: []Hash{{}}},
		{PassID: 1, CaseID: 1, Gate: strings.Repeat("G", MaxGate+1), WindowStart: start, WindowEnd: start, People: []Hash{{}}},
		{PassID: 1, CaseID: -1, Gate: "G", WindowStart: start, WindowEnd: start, People: []Hash{{}}},
		{PassID: 1, CaseID: 1, Gate: "G", WindowStart: start, WindowEnd: start.Add(-time.Second), People: []Hash{{}}},
		{PassID: 1, CaseID: 1, Gate: "G", WindowStart: start, WindowEnd: start, People: make([]Hash, MaxPeople+1)},
	} {
		if _, err := Issue(priv, bad); err == nil {
			t.Errorf("issued %+v", bad)
		}
	}
	// People without documents and no pass id: an id is picked.
	c = Claims{CaseID: 1, Gate: "G", WindowStart: start, WindowEnd: start, Expiry: start, People: []Hash{{}, {}}}
	tok, err := Issue(priv, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(pub, tok, Check{Gate: "G", Now: start})
	if err != nil || got.PassID == 0 || len(got.People) != 2 {
		t.Errorf("Verify = %+v, %v", got, err)
	}
}

// forge signs claims with another key but claims to be ours: the only kind
// of forgery that gets past the key id.
func forge(t *testing.T, c Claims) string {
	c.KeyID = KeyIDOf(pub)
	body, err := c.marshal()
	if err != nil {
		t.Fatal(err)
	}
	return Prefix45 + encode45(append(body, ed25519.Sign(other, body)...))
}

func TestPassVerifyRejects(t *testing.T) {
	c := testClaims()
	good := issue(t, c)
	at := start.Add(10 * time.Minute)
	otherKey, err := Issue(other, c)
	if err != nil {
		t.Fatal(err)
	}
	anotherGate := c
	anotherGate.Gate = "SOUTH"
	moreDocs := c
	moreDocs.People = append(append([]Hash(nil), c.People...), HashDocument(docKey, c.PassID, "X0000000"))
	usedAll := func(uint64, int) bool { return true }
	usedSome := func(_ uint64, i int) bool { return i < 4 }
	revoked := func(id uint64) bool { return id == c.PassID }

	tests := []struct {
		name  string
		token string
		chk   Check
		want  Reason
	}{
		{"valid", good, Check{Gate: "NORTH", Now: at}, ""},
		{"valid, some admitted", good, Check{Gate: "NORTH", Now: at, Used: usedSome}, ""},
		{"valid, other pass revoked", good, Check{Gate: "NORTH", Now: at, Revoked: func(id uint64) bool { return id == 1 }}, ""},
		{"forged with another key", otherKey, Check{Gate: "NORTH", Now: at}, ReasonUnknownKey},
		{"forged claiming our key id", forge(t, c), Check{Gate: "NORTH", Now: at}, ReasonBadSignature},
		{"altered gate", splice(t, good, issue(t, anotherGate)), Check{Gate: "SOUTH", Now: at}, ReasonBadSignature},
		{"person added", splice(t, good, issue(t, moreDocs)), Check{Gate: "NORTH", Now: at}, ReasonBadSignature},
		{"truncated", good[:len(good)-3], Check{Gate: "NORTH", Now: at}, ReasonMalformed},
		{"extended", good + "000", Check{Gate: "NORTH", Now: at}, ReasonMalformed},
		{"not a pass", "https://example.org/", Check{Gate: "NORTH", Now: at}, ReasonMalformed},
		{"lower-cased by a scanner", strings.ToLower(good), Check{Gate: "NORTH", Now: at}, ReasonMalformed},
		{"MRZ scanned into the pass box", "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", Check{Gate: "NORTH", Now: at}, ReasonMalformed},
		{"wrong gate", good, Check{Gate: "SOUTH", Now: at}, ReasonWrongGate},
		{"gate not set fails closed", good, Check{Now: at}, ReasonWrongGate},
		{"any gate (coordinator)", good, Check{AnyGate: true, Now: at}, ""},
		{"clock not set fails closed", good, Check{Gate: "NORTH"}, ReasonTooEarly},
		{"revoked", good, Check{Gate: "NORTH", Now: at, Revoked: revoked}, ReasonRevoked},
		{"replayed: everyone admitted", good, Check{Gate: "NORTH", Now: at, Used: usedAll}, ReasonUsed},
		{"expired", good, Check{Gate: "NORTH", Now: c.Expiry.Add(time.Second), Grace: 24 * time.Hour}, ReasonExpired},
		{"too early", good, Check{Gate: "NORTH", Now: start.Add(-time.Second)}, ReasonTooEarly},
		{"early within grace", good, Check{Gate: "NORTH", Now: start.Add(-15 * time.Minute), Grace: 15 * time.Minute}, ""},
		{"too early for grace", good, Check{Gate: "NORTH", Now: start.Add(-16 * time.Minute), Grace: 15 * time.Minute}, ReasonTooEarly},
		{"at window end", good, Check{Gate: "NORTH", Now: c.WindowEnd}, ""},
		{"too late", good, Check{Gate: "NORTH", Now: c.WindowEnd.Add(time.Second)}, ReasonTooLate},
		{"late within grace", good, Check{Gate: "NORTH", Now: c.WindowEnd.Add(30 * time.Minute), Grace: 30 * time.Minute}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Verify(pub, tt.token, tt.chk)
			if r := ReasonOf(err); r != tt.want {
				t.Fatalf("reason %q (%v), want %q", r, err, tt.want)
			}
			if err != nil && !errors.Is(err, &Error{Reason: tt.want}) {
				t.Errorf("errors.Is does not match the reason: %v", err)
			}
			signed := tt.want == "" || tt.want == ReasonWrongGate || tt.want == ReasonRevoked ||
				tt.want == ReasonUsed || tt.want == ReasonExpired || tt.want == ReasonTooEarly || tt.want == ReasonTooLate
			if signed != (got.CaseID == c.CaseID) {
				t.Errorf("claims returned = %+v; only signed passes may show their case", got)
			}
		})
	}
}

// splice returns a token whose body is taken from b and whose signature is
// taken from a: b's claims with a's (valid, but for other claims) signature.
func splice(t *testing.T, a, b string) string {
	ra, err := decode45(a[len(Prefix45):])
	if err != nil {
		t.Fatal(err)
	}
	rb, err := decode45(b[len(Prefix45):])
	if err != nil {
		t.Fatal(err)
	}
	body := rb[:len(rb)-ed25519.SignatureSize]
	sig := ra[len(ra)-ed25519.SignatureSize:]
	return Prefix45 + encode45(append(append([]byte(nil), body...), sig...))
}

// TestPassVerifyAnyAlteration changes every character of a token in turn:
// none may verify.
func TestPassVerifyAnyAlteration(t *testing.T) {
	good := issue(t, testClaims())
	chk := Check{Gate: "NORTH", Now: start}
	for i := len(Prefix45); i < len(good); i++ {
		for _, r := range []byte{'0', 'Z', ' ', ':'} {
			if good[i] == r {
				continue
			}
			tok := good[:i] + string(r) + good[i+1:]
			_, err := Verify(pub, tok, chk)
			switch ReasonOf(err) {
			case ReasonMalformed, ReasonBadSignature, ReasonUnknownKey:
			default:
				t.Fatalf("character %d set to %q: %v", i, r, err)
			}
		}
	}
	raw, _ := decode45(good[len(Prefix45):])
	for i := range raw {
		for bit := 0; bit < 8; bit++ {
			b := append([]byte(nil), raw...)
			b[i] ^= 1 << bit
			_, err := Verify(pub, Prefix64+base64.RawURLEncoding.EncodeToString(b), chk)
			switch ReasonOf(err) {
			case ReasonMalformed, ReasonBadSignature, ReasonUnknownKey:
			default:
				t.Fatalf("byte %d bit %d flipped: %v", i, bit, err)
			}
		}
	}
}

func TestPassAdmit(t *testing.T) {
	c := testClaims()
	claims, err := Verify(pub, issue(t, c), Check{Gate: "NORTH", Now: start})
	if err != nil {
		t.Fatal(err)
	}
	admitted := map[int]bool{}
	used := func(_ uint64, i int) bool { return admitted[i] }
	tests := []struct {
		doc  string
		want int
		err  Reason
	}{
		{"L898902C3", 0, ""},
		{"L898902C3", 0, ReasonUsed}, // the same passport twice
		{"p 765-4321", 3, ""},        // written differently at registration
		{"ab1234567<", 4, ""},
		{"L898902C4", -1, ReasonNotOnPass},
		{"", -1, ReasonNotOnPass}, // the person without a document is never matched by scan
		{"<<<", -1, ReasonNotOnPass},
	}
	for _, tt := range tests {
		i, err := Admit(docKey, claims, tt.doc, used)
		if i != tt.want || ReasonOf(err) != tt.err {
			t.Errorf("Admit(%q) = %d, %v; want %d, %q", tt.doc, i, err, tt.want, tt.err)
		}
		if err == nil {
			admitted[i] = true
		}
	}
	// The same document on another pass hashes differently: passes cannot
	// be linked by their hashes.
	if HashDocument(docKey, 1, "L898902C3") == HashDocument(docKey, 2, "L898902C3") {
		t.Error("hash does not depend on the pass id")
	}
	if HashDocument(docKey, 1, "L898902C3") == HashDocument(NewDocKey(), 1, "L898902C3") {
		t.Error("hash does not depend on the key")
	}
	// Without the document key nobody matches, even with the right number.
	if _, ok := MatchDocument(NewDocKey(), claims, "L898902C3"); ok {
		t.Error("matched under another document key")
	}
}

func TestPassBase45(t *testing.T) {
	// RFC 9285 section 4.
	vectors := map[string]string{"AB": "BB8", "Hello!!": "%69 VD92EX0", "base-45": "UJCLQE7W581", "ietf!": "QED8WEX0", "": ""}
	for in, want := range vectors {
		if got := encode45([]byte(in)); got != want {
			t.Errorf("encode45(%q) = %q, want %q", in, got, want)
		}
		got, err := decode45(want)
		if err != nil || string(got) != in {
			t.Errorf("decode45(%q) = %q, %v", want, got, err)
		}
	}
	for _, bad := range []string{"GGW", "A", "ABCD", "aaa", "ZZ", "::"} {
		if _, err := decode45(bad); err == nil {
			t.Errorf("decode45(%q) accepted", bad)
		}
	}
	// The last character is never a space, so a scanner or form that trims
	// trailing blanks cannot break a token.
	for n := 0; n < 512; n++ {
		b := []byte{byte(n), byte(n >> 1), byte(n * 7)}[:1+n%3]
		if s := encode45(b); strings.HasSuffix(s, " ") {
			t.Fatalf("encode45(%x) ends in a space", b)
		}
	}
}

func TestPassKeys(t *testing.T) {
	p, k, err := GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := ParsePublicKey(MarshalPublicKey(p))
	if err != nil || !p.Equal(p2) {
		t.Errorf("public key round trip: %v", err)
	}
	k2, err := ParsePrivateKey(MarshalPrivateKey(k) + "\n")
	if err != nil || !k.Equal(k2) {
		t.Errorf("private key round trip: %v", err)
	}
	d := NewDocKey()
	d2, err := ParseDocKey(MarshalDocKey(d))
	if err != nil || !bytes.Equal(d, d2) {
		t.Errorf("doc key round trip: %v", err)
	}
	for _, bad := range []string{"", MarshalPrivateKey(k), MarshalPublicKey(p)[:20], "muster-pass-pub-1:!!!"} {
		if _, err := ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%.24q) accepted", bad)
		}
	}
	if _, err := ParsePrivateKey(MarshalPublicKey(p)); err == nil {
		t.Error("public key parsed as private")
	}
	if strings.Contains(MarshalPublicKey(p), base64.RawURLEncoding.EncodeToString(k.Seed())) {
		t.Error("public text leaks the seed")
	}
	if _, err := Verify(p[:10], "x", Check{}); err == nil {
		t.Error("short public key accepted")
	}
}

func TestPassQR(t *testing.T) {
	tok := issue(t, testClaims())
	b, err := QRPNG(tok, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() < 256 {
		t.Errorf("PNG is %v", img.Bounds())
	}
	svg, err := QRSVG(tok, 256)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Path    struct {
			D string `xml:"d,attr"`
		} `xml:"path"`
	}
	if err := xml.Unmarshal([]byte(svg), &doc); err != nil || doc.XMLName.Local != "svg" {
		t.Fatalf("SVG does not parse: %v", err)
	}
	// Every dark module of the bitmap is covered by exactly one run.
	q, _ := qrcode.New(tok, defaultLevel)
	dark := 0
	for _, row := range q.Bitmap() {
		for _, m := range row {
			if m {
				dark++
			}
		}
	}
	covered := 0
	for _, run := range strings.Split(doc.Path.D, "M")[1:] {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(run, "%d %dh%dv1h-%dz", &x, &y, &w, &w2); err != nil || w != w2 {
			t.Fatalf("run %q: %v", run, err)
		}
		covered += w
	}
	if covered != dark {
		t.Errorf("SVG covers %d modules, bitmap has %d dark", covered, dark)
	}
	golden := filepath.Join("testdata", "pass.svg")
	if *update {
		os.WriteFile(golden, []byte(svg), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != svg {
		t.Error("SVG differs from testdata/pass.svg (run with -update if the change is meant)")
	}
}

func TestPassDecodeIgnoresSignature(t *testing.T) {
	c, err := Decode(forge(t, testClaims()))
	if err != nil || c.CaseID != 104233 {
		t.Errorf("Decode = %+v, %v", c, err)
	}
}

func BenchmarkPassVerify(b *testing.B) {
	c := testClaims()
	tok := issue(b, c)
	revoked := map[uint64]bool{1: true, 2: true}
	chk := Check{Gate: "NORTH", Now: start, Grace: time.Hour,
		Revoked: func(id uint64) bool { return revoked[id] },
		Used:    func(uint64, int) bool { return false }}
	for b.Loop() {
		got, err := Verify(pub, tok, chk)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := MatchDocument(docKey, got, "P7654321"); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkPassIssue(b *testing.B) {
	c := testClaims()
	for b.Loop() {
		if _, err := Issue(priv, c); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	c := testClaims()
	f.Add(issue(f, c))
	tok64, _ := IssueBase64(priv, c)
	f.Add(tok64)
	f.Add(forge(&testing.T{}, c))
	f.Add("MP1:")
	f.Add("MP1.AAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := Decode(tok)
		if err != nil {
			if ReasonOf(err) != ReasonMalformed {
				t.Fatalf("Decode error with reason %q: %v", ReasonOf(err), err)
			}
			return
		}
		// What decodes re-encodes to the same bytes (one byte form per pass).
		body, err := got.marshal()
		if err != nil {
			t.Fatalf("decoded claims do not marshal: %v", err)
		}
		_, rawBody, _, _ := decode(tok)
		if !bytes.Equal(body, rawBody) {
			t.Fatal("decoded claims marshal differently")
		}
		// Nothing the fuzzer makes verifies under the real key unless it
		// is one of the seeds (which it cannot alter and keep).
		if v, err := Verify(pub, tok, Check{AnyGate: true, Now: got.WindowStart}); err == nil {
			if v.CaseID != c.CaseID || v.PassID != c.PassID {
				t.Fatalf("fuzzed token verified: %+v", v)
			}
		}
	})
}

package pass

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPassBundle(t *testing.T) {
	newPub, newPriv, _ := GenerateKey(nil)
	b := Bundle{Keys: []ed25519.PublicKey{pub, newPub}, DocKey: docKey}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(MarshalPrivateKey(priv))) {
		t.Fatal("bundle holds a private key")
	}
	var got Bundle
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	// Passes signed by either key verify after a rotation.
	c := testClaims()
	for _, k := range []struct {
		name string
		tok  func() (string, error)
	}{
		{"old key", func() (string, error) { return Issue(priv, c) }},
		{"new key", func() (string, error) { return Issue(newPriv, c) }},
	} {
		tok, err := k.tok()
		if err != nil {
			t.Fatal(err)
		}
		claims, err := got.Verify(tok, Check{Gate: "NORTH", Now: start})
		if err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		if i, err := got.Admit(claims, "P1234567", nil); err != nil || i != 1 {
			t.Errorf("%s: Admit = %d, %v", k.name, i, err)
		}
	}
	tok, _ := Issue(other, c)
	if _, err := got.Verify(tok, Check{Now: start}); ReasonOf(err) != ReasonUnknownKey {
		t.Errorf("unknown key: %v", err)
	}
	for _, bad := range []string{`{}`, `{"keys":[],"doc_key":"` + MarshalDocKey(docKey) + `"}`, `{"keys":["x"],"doc_key":""}`, `[`} {
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("bundle %s accepted", bad)
		}
	}
}

func TestPassPage(t *testing.T) {
	tok := issue(t, testClaims())
	var buf bytes.Buffer
	err := WritePage(&buf, tok, PageData{CaseRef: "C-104233", Gate: "NORTH <b>", Start: start, End: start.Add(30 * time.Minute), People: 5,
		Loc: time.FixedZone("AFT", 4*3600+1800)})
	if err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"<svg", "C-104233", "NORTH &lt;b&gt;", "18:30 to 19:00 (AFT)", "Wed 25 Aug 2021"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	golden := filepath.Join("testdata", "page.html")
	if *update {
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != page {
		t.Error("page differs from testdata/page.html (run with -update if the change is meant)")
	}
}

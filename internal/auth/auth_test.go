package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fast keeps the tests quick; the encoding and comparison are what is tested.
var fast = Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func TestPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash %q: want PHC argon2id encoding", h)
	}
	h2, _ := HashPassword("correct horse battery", fast)
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	tests := []struct {
		pw   string
		hash string
		want error
	}{
		{"correct horse battery", h, nil},
		{"correct horse batterY", h, ErrMismatch},
		{"", h, ErrMismatch},
		{"correct horse battery", h2, nil},
	}
	for _, tt := range tests {
		if err := VerifyPassword(tt.pw, tt.hash); !errors.Is(err, tt.want) {
			t.Errorf("VerifyPassword(%q) = %v, want %v", tt.pw, err, tt.want)
		}
	}
	if _, err := HashPassword("short", fast); err == nil {
		t.Error("short password accepted")
	}
}

func TestVerifyPasswordBadHash(t *testing.T) {
	good, _ := HashPassword("correct horse battery", fast)
	parts := strings.Split(good, "$")
	for _, bad := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=1024,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=18$m=1024,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5], // memory bomb
		"$argon2id$v=19$m=1024,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=1024,t=1,p=1$" + parts[4] + "$short",
	} {
		err := VerifyPassword("correct horse battery", bad)
		if err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("VerifyPassword(hash %q) = %v, want a decoding error", bad, err)
		}
	}
}

func TestDefaultParamsDecode(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB hash")
	}
	h, err := HashPassword("correct horse battery", DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	p, _, _, err := decodeHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultParams, p); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
}

// TestTOTPRFC6238 checks against the SHA-1 test vectors of RFC 6238
// appendix B (secret "12345678901234567890"), truncated to 6 digits.
func TestTOTPRFC6238(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of 12345678901234567890
	tests := []struct {
		unix int64
		code string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
	}
	for _, tt := range tests {
		now := time.Unix(tt.unix, 0)
		got, err := TOTPCode(secret, now)
		if err != nil || got != tt.code {
			t.Errorf("TOTPCode(%d) = %q, %v; want %q", tt.unix, got, err, tt.code)
		}
		step, ok := VerifyTOTP(secret, tt.code, now)
		if !ok || step != tt.unix/30 {
			t.Errorf("VerifyTOTP(%d) = %d, %v; want %d, true", tt.unix, step, ok, tt.unix/30)
		}
	}
}

func TestTOTPWindow(t *testing.T) {
	secret, uri, err := NewTOTP("muster", "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "otpauth://totp/muster:alice?") || !strings.Contains(uri, "secret="+secret) {
		t.Errorf("uri %q", uri)
	}
	t0 := time.Unix(1_800_000_000, 0) // on a step boundary
	code, _ := TOTPCode(secret, t0)
	tests := []struct {
		at   time.Duration
		want bool
	}{
		{0, true},
		{29 * time.Second, true},
		{30 * time.Second, true},  // next step: previous code still accepted
		{-30 * time.Second, true}, // phone ahead of the server
		{60 * time.Second, false},
		{-31 * time.Second, false},
	}
	for _, tt := range tests {
		if _, ok := VerifyTOTP(secret, code, t0.Add(tt.at)); ok != tt.want {
			t.Errorf("code of t0 at t0%+v: ok = %v, want %v", tt.at, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := VerifyTOTP(secret, bad, t0); ok {
			t.Errorf("VerifyTOTP(%q) accepted", bad)
		}
	}
	if _, ok := VerifyTOTP(secret, code[:3]+" "+code[3:], t0); !ok {
		t.Error("code with a space rejected")
	}
}

func TestPermissionTable(t *testing.T) {
	for _, p := range AllPermissions() {
		for _, r := range table[p] {
			if !ValidRole(r) {
				t.Errorf("permission %s names unknown role %q", p, r)
			}
		}
	}
	// The guarantees the rest of muster relies on, stated once more so that
	// an edit of the table that breaks them fails here.
	tests := []struct {
		role string
		p    Permission
		want bool
	}{
		{RoleAdmin, Purge, true},
		{RoleCoordinator, Purge, false},
		{RoleAdmin, ManageUsers, true},
		{RoleCaseworker, ManageUsers, false},
		{RolePartner, SetStage, false},
		{RolePartner, Export, false},
		{RolePartner, Import, true},
		{RoleGate, ViewPerson, false},
		{RoleGate, Search, false},
		{RoleGate, ViewDashboard, false},
		{RoleGate, GateCheckIn, true},
		{RoleScreener, ScreenDecide, true},
		{RoleScreener, SetStage, false},
		{"", SignedIn, false},
		{"root", ViewDashboard, false},
		{RoleAdmin, "no_such_permission", false},
		{RoleAdmin, GateDevice, false}, // devices only, never a session
		{RoleGate, GateDevice, false},
	}
	for _, tt := range tests {
		if got := Allowed(tt.role, tt.p); got != tt.want {
			t.Errorf("Allowed(%q, %s) = %v, want %v", tt.role, tt.p, got, tt.want)
		}
	}
	// Admin holds everything accounts can hold.
	var all []Permission
	for _, p := range AllPermissions() {
		if AccountPermission(p) {
			all = append(all, p)
		}
	}
	if diff := cmp.Diff(all, PermissionsOf(RoleAdmin)); diff != "" {
		t.Errorf("admin permissions (-all +admin):\n%s", diff)
	}
}

func TestCheckAccount(t *testing.T) {
	tests := []struct {
		role, partner, gate string
		ok                  bool
	}{
		{RoleAdmin, "", "", true},
		{RolePartner, "ngo-a", "", true},
		{RolePartner, "", "", false}, // would see every partner's people
		{RoleCaseworker, "ngo-a", "", false},
		{RoleGate, "", "north", true},
		{RoleGate, "", "", false},
		{RoleAdmin, "", "north", false},
		{"superuser", "", "", false},
	}
	for _, tt := range tests {
		if err := CheckAccount(tt.role, tt.partner, tt.gate); (err == nil) != tt.ok {
			t.Errorf("CheckAccount(%q, %q, %q) = %v, want ok=%v", tt.role, tt.partner, tt.gate, err, tt.ok)
		}
	}
}

func TestToken(t *testing.T) {
	a, b := Token(32), Token(32)
	if a == b || len(a) != 43 {
		t.Errorf("Token: %q %q", a, b)
	}
}

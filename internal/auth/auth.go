// Package auth owns who may do what in muster: the roles, the one table
// that maps permissions to roles, password hashing (argon2id), the TOTP
// second factor (RFC 6238) and random tokens. It has no I/O; internal/web
// and cmd/muster apply it.
package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
)

// Role names, as stored in the users table.
const (
	RoleAdmin       = "admin"
	RoleCoordinator = "coordinator"
	RoleCaseworker  = "caseworker"
	RoleScreener    = "screener"
	RoleGate        = "gate" // a gate officer or gate device
	RolePartner     = "partner"
)

// Roles lists every role, most powerful first.
var Roles = []string{RoleAdmin, RoleCoordinator, RoleCaseworker, RoleScreener, RoleGate, RolePartner}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return slices.Contains(Roles, r) }

// Permission is one thing a route or command may require.
type Permission string

// Permissions. Public needs no account at all; SignedIn needs any account.
// Every other permission is granted to roles by the table below and nowhere
// else.
const (
	Public        Permission = "public"
	SignedIn      Permission = "signed_in"
	ViewDashboard Permission = "view_dashboard" // counts, charts, /api/status (scoped for partners)
	Search        Permission = "search"         // search people and cases
	ViewPerson    Permission = "view_person"    // a person's full record and history
	ViewCase      Permission = "view_case"      // a case's members, source refs and history
	Import        Permission = "import"         // upload registration files
	SetStage      Permission = "set_stage"      // move people between stages
	ScreenDecide  Permission = "screen_decide"  // decide on watchlist hits
	ReviewDecide  Permission = "review_decide"  // decide doubtful record-linkage pairs (same person or not), undo merges
	Export        Permission = "export"         // exports of personal data
	ExportCounts  Permission = "export_counts"  // aggregate-only exports
	GateCheckIn   Permission = "gate_checkin"   // check people in at a gate
	ManageUsers   Permission = "manage_users"   // create and disable accounts
	ViewAudit     Permission = "view_audit"     // read and verify the audit chain
	Purge         Permission = "purge"          // destroy the data key
	// GateDevice is held by no account: routes that need it authenticate
	// a gate device's own token (store.GateOfToken), scoped to one gate
	// and revocable, and a browser session opens none of them.
	GateDevice Permission = "gate_device"

	// ViewCallForward: current calls to gate windows and their notices
	// (scoped for partners).
	ViewCallForward Permission = "view_callforward"
)

// table is THE permission table: every permission and the roles that hold
// it. Access is granted nowhere else; a test enumerates every HTTP route
// against it.
//
// Why these choices: partners see only their own organisation's people
// (the store scopes every query), may upload their own lists but not move
// people along; screeners decide hits but do not move people; gate officers
// get only check-in (gate pages show a document match, not categories or
// screening details); only admins manage accounts and purge.
var table = map[Permission][]string{
	Public:        Roles,
	SignedIn:      Roles,
	ViewDashboard: {RoleAdmin, RoleCoordinator, RoleCaseworker, RoleScreener, RolePartner},
	Search:        {RoleAdmin, RoleCoordinator, RoleCaseworker, RoleScreener, RolePartner},
	ViewPerson:    {RoleAdmin, RoleCoordinator, RoleCaseworker, RoleScreener, RolePartner},
	ViewCase:      {RoleAdmin, RoleCoordinator, RoleCaseworker, RoleScreener, RolePartner},
	Import:        {RoleAdmin, RoleCoordinator, RoleCaseworker, RolePartner},
	SetStage:      {RoleAdmin, RoleCoordinator, RoleCaseworker},
	ScreenDecide:  {RoleAdmin, RoleScreener},
	ReviewDecide:  {RoleAdmin, RoleCoordinator, RoleCaseworker},
	Export:        {RoleAdmin, RoleCoordinator},
	ExportCounts:  {RoleAdmin, RoleCoordinator, RolePartner},
	GateCheckIn:   {RoleAdmin, RoleGate},
	ManageUsers:   {RoleAdmin},
	ViewAudit:     {RoleAdmin},
	Purge:         {RoleAdmin},
	GateDevice:    {},

	// Partners relay notices to the families they referred; gate officers
	// work from their gate's passes; screeners need no calls.
	ViewCallForward: {RoleAdmin, RoleCoordinator, RoleCaseworker, RolePartner},
}

// Allowed reports whether role holds permission p. An unknown permission or
// role is never allowed.
func Allowed(role string, p Permission) bool {
	return slices.Contains(table[p], role)
}

// Known reports whether p is in the permission table.
func Known(p Permission) bool {
	_, ok := table[p]
	return ok
}

// AccountPermission reports whether p is granted to accounts (sessions),
// as opposed to GateDevice, which only device tokens carry.
func AccountPermission(p Permission) bool { return p != GateDevice }

// PermissionsOf returns the permissions a role holds, sorted.
func PermissionsOf(role string) []Permission {
	var out []Permission
	for p, roles := range table {
		if slices.Contains(roles, role) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// AllPermissions returns every permission in the table, sorted.
func AllPermissions() []Permission {
	out := make([]Permission, 0, len(table))
	for p := range table {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// NeedsSecondFactor reports whether accounts of role must enrol TOTP before
// production use. Gate devices authenticate with revocable device tokens
// instead (issue 6), so the factor is not required of them.
func NeedsSecondFactor(role string) bool { return role != RoleGate }

// CheckAccount validates the shape of an account before it is created: a
// known role, a partner organisation exactly for partners (a partner without
// one would see everything), a gate for gate accounts.
func CheckAccount(role, partner, gate string) error {
	switch {
	case !ValidRole(role):
		return fmt.Errorf("unknown role %q (one of %v)", role, Roles)
	case role == RolePartner && partner == "":
		return fmt.Errorf("a partner account needs --partner ORG: it sees only what ORG submitted")
	case role != RolePartner && partner != "":
		return fmt.Errorf("--partner is only for partner accounts")
	case role == RoleGate && gate == "":
		return fmt.Errorf("a gate account needs --gate NAME")
	case role != RoleGate && gate != "":
		return fmt.Errorf("--gate is only for gate accounts")
	}
	return nil
}

// Token returns n random bytes encoded as unpadded base64url, for session,
// CSRF and device tokens.
func Token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms; if it did, a
		// predictable token would be worse than stopping.
		panic("auth: crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

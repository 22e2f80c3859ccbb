package auth

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP parameters: RFC 6238 defaults, which every authenticator app reads.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
)

// NewTOTP creates a second-factor secret for account and returns the base32
// secret to store and the otpauth:// URI an authenticator app enrols from.
func NewTOTP(issuer, account string) (secret, uri string, err error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return "", "", err
	}
	return key.Secret(), key.URL(), nil
}

// TOTPCode returns the code for secret at t (for tests and enrolment checks).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// VerifyTOTP checks code against secret at now, accepting the previous,
// current and next 30-second step (clock drift of a phone). It returns the
// step that matched so that the caller can refuse a code already used
// (RFC 6238 section 5.2): a later login must present a step greater than the
// last one accepted.
func VerifyTOTP(secret, code string, now time.Time) (step int64, ok bool) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != 6 || secret == "" {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	matched := int64(0)
	found := 0
	// Every candidate is computed and compared so the time taken does not
	// say which step matched.
	for _, d := range []int64{-1, 0, 1} {
		s := cur + d
		want, err := TOTPCode(secret, time.Unix(s*totpPeriod, 0))
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found == 0 {
			matched, found = s, 1
		}
	}
	return matched, found == 1
}

package intake

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrPhoneUnverified is returned with an E.164 number that has the right
// length for its country but lies outside the ranges libphonenumber knows
// to be in use: kept (the data may lag), but worth a look.
var ErrPhoneUnverified = errors.New("number outside the ranges known to be in use")

// DefaultRegion is the phone region of numbers written without a country
// code when neither the options nor the mapping name one.
const DefaultRegion = "AF"

// NormalizePhone returns s as an E.164 number ("+93799123456"). Numbers
// without a country code are read in defaultRegion (DefaultRegion when
// empty): Afghan numbers written 0799 123 456, 0093 799 123 456,
// +93 799 123 456 or 93 799 123 456 all give +93799123456. Persian and
// Arabic-Indic digits are accepted. A number that cannot be one returns
// an error; a possible but unverified number returns it with
// ErrPhoneUnverified.
func NormalizePhone(s string, defaultRegion string) (string, error) {
	s = strings.TrimSpace(foldDigits(s))
	if s == "" {
		return "", errors.New("empty")
	}
	if defaultRegion == "" {
		defaultRegion = DefaultRegion
	}
	defaultRegion = strings.ToUpper(defaultRegion)
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits < 5 {
		return "", errors.New("too few digits")
	}
	if len(s) > 64 {
		return "", errors.New("too long")
	}
	n, err := phonenumbers.Parse(s, defaultRegion)
	if err != nil {
		return "", fmt.Errorf("not a phone number: %v", err)
	}
	if !phonenumbers.IsValidNumber(n) {
		// "93 799 123 456" without the plus: the country code written
		// with no prefix. libphonenumber strips it only in some regions.
		if cc := phonenumbers.GetCountryCodeForRegion(defaultRegion); cc != 0 && !strings.HasPrefix(strings.TrimSpace(s), "+") {
			if n2, err := phonenumbers.Parse("+"+strings.TrimLeft(s, " 0"), defaultRegion); err == nil && phonenumbers.IsValidNumber(n2) && int(n2.GetCountryCode()) == cc {
				return phonenumbers.Format(n2, phonenumbers.E164), nil
			}
		}
		if phonenumbers.IsPossibleNumber(n) {
			return phonenumbers.Format(n, phonenumbers.E164), ErrPhoneUnverified
		}
		return "", errors.New("not a possible phone number (wrong length for its country)")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

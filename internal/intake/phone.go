package intake

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

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
	digits, letters := 0, false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
		letters = letters || unicode.IsLetter(r)
	}
	if digits < 5 {
		return "", errors.New("too few digits")
	}
	if letters {
		// libphonenumber would read letters as a keypad's digits
		// (vanity numbers); in a registration they are a typo or a
		// note in the wrong column.
		return "", errors.New("letters in a phone number")
	}
	if len(s) > 64 {
		return "", errors.New("too long")
	}
	if e, ok := afghanMobile(s, defaultRegion); ok {
		return e, nil
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
			e := phonenumbers.Format(n, phonenumbers.E164)
			// An unverified number must read back as itself, or two
			// registrations of one phone would not meet.
			if n2, err := phonenumbers.Parse(e, defaultRegion); err != nil || phonenumbers.Format(n2, phonenumbers.E164) != e {
				return "", errors.New("not a possible phone number (it does not read back the same)")
			}
			return e, ErrPhoneUnverified
		}
		return "", errors.New("not a possible phone number (wrong length for its country)")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// afghanMobile recognises the Afghan mobile numbers that make up nearly
// every phone in a registration file, in the forms people write them, and
// returns their E.164 form without libphonenumber's regular expressions
// (ten times faster on a 100,000-row import). Every Afghan 7xxxxxxxx
// number is valid for libphonenumber; TestAfghanMobileAgrees holds the two
// to the same answers. Anything else goes to libphonenumber.
func afghanMobile(s, region string) (string, bool) {
	var buf [24]byte
	d := buf[:0]
	plus := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if len(d) == len(buf) {
				return "", false
			}
			d = append(d, c)
		case c == '+' && len(d) == 0 && !plus:
			plus = true
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	var rest []byte
	switch {
	case plus:
		if len(d) < 2 || d[0] != '9' || d[1] != '3' {
			return "", false
		}
		rest = d[2:]
		if len(rest) == 10 && rest[0] == '0' { // +93 (0) 799 ...
			rest = rest[1:]
		}
	case region != "AF":
		return "", false
	case len(d) == 13 && string(d[:4]) == "0093":
		rest = d[4:]
	case len(d) == 11 && d[0] == '9' && d[1] == '3':
		rest = d[2:]
	case len(d) == 10 && d[0] == '0':
		rest = d[1:]
	case len(d) == 9:
		rest = d
	default:
		return "", false
	}
	if len(rest) != 9 || rest[0] != '7' {
		return "", false
	}
	return "+93" + string(rest), true
}

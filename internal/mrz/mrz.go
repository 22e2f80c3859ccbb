// Package mrz parses the machine readable zone of travel documents as laid
// down in ICAO Doc 9303 (8th edition): TD3 passports (2 x 44), TD1 identity
// cards (3 x 30), TD2 cards (2 x 36) and the MRV-A / MRV-B visas. It checks
// every check digit and the composite, and says which ones failed.
//
// The gate uses it to match the person in front of the officer to the
// document number bound into their pass, so the parser is strict where a
// wrong answer would admit the wrong person (check digits, field layout) and
// lenient only where Doc 9303 readers are expected to be: surrounding
// whitespace, a trailing carriage return from a keyboard-wedge scanner and
// lower case letters.
package mrz

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"muster"
)

// Formats.
const (
	TD1  = "TD1"  // identity card, 3 lines of 30
	TD2  = "TD2"  // identity card, 2 lines of 36
	TD3  = "TD3"  // passport, 2 lines of 44
	MRVA = "MRVA" // visa, 2 lines of 44, no composite check digit
	MRVB = "MRVB" // visa, 2 lines of 36, no composite check digit
)

// Error codes listed in MRZ.Errors. Each check digit has its own, so that a
// gate officer (and the logs, which carry no document data) can tell which
// field was misread.
const (
	ErrDocumentNumberCheck = "document_number_check"
	ErrDateOfBirthCheck    = "date_of_birth_check"
	ErrExpiryDateCheck     = "expiry_date_check"
	ErrOptionalDataCheck   = "optional_data_check" // TD3 personal number
	ErrCompositeCheck      = "composite_check"
	ErrDateOfBirthInvalid  = "date_of_birth_invalid"
	ErrExpiryDateInvalid   = "expiry_date_invalid"
	ErrSexInvalid          = "sex_invalid"
	ErrCharacter           = "invalid_character"
)

// Warnings that do not make an MRZ invalid.
const (
	WarnNameTruncated = "name_truncated" // the name fills its field: Doc 9303 truncation may have happened
)

// ErrFormat is returned (wrapped) when the lines cannot be an MRZ at all: wrong
// number of lines or wrong lengths.
var ErrFormat = errors.New("not a machine readable zone")

// MRZ is a parsed machine readable zone. Dates are ISO 8601 (YYYY-MM-DD), or
// shorter when Doc 9303 fillers mark a part as unknown (1974, 1974-08), or
// empty when unknown or invalid.
type MRZ struct {
	Format         string   `json:"format"`
	DocumentType   string   `json:"document_type"` // P, I, ID, AC, V... fillers removed
	IssuingState   string   `json:"issuing_state"` // ICAO alpha-3 (D for Germany, UTO for the specimen)
	DocumentNumber string   `json:"document_number"`
	Surname        string   `json:"surname"`
	GivenNames     string   `json:"given_names"`
	Nationality    string   `json:"nationality"`
	DateOfBirth    string   `json:"date_of_birth"`
	Sex            string   `json:"sex"` // M, F, X, or "" when unspecified ('<')
	ExpiryDate     string   `json:"expiry_date"`
	OptionalData   string   `json:"optional_data,omitempty"`   // TD3 personal number; TD1 line 1
	OptionalData2  string   `json:"optional_data_2,omitempty"` // TD1 line 2
	Expired        bool     `json:"expired"`
	Valid          bool     `json:"valid"`
	Errors         []string `json:"errors"`
	Warnings       []string `json:"warnings,omitempty"`
	Lines          []string `json:"-"` // the normalised lines, for re-display; never logged
}

// Parse parses the lines of an MRZ, dating births and expiries against the
// current time. See ParseAt.
func Parse(lines ...string) (*MRZ, error) { return ParseAt(time.Now(), lines...) }

// ParseText parses an MRZ given as one text: lines separated by newlines (as
// a scanner emits them) or run together without separator.
func ParseText(now time.Time, text string) (*MRZ, error) {
	var lines []string
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 1 {
		l := lines[0]
		switch len(l) {
		case 88:
			lines = []string{l[:44], l[44:]}
		case 72:
			lines = []string{l[:36], l[36:]}
		case 90:
			lines = []string{l[:30], l[30:60], l[60:]}
		}
	}
	return ParseAt(now, lines...)
}

// ParseAt parses the lines of an MRZ. now decides the century of two-digit
// years: a birth date is never in the future, an expiry date is in the 2000s
// unless that would put it more than 50 years ahead.
//
// The error is non-nil only when the lines cannot be laid out as an MRZ (it
// wraps ErrFormat); check digit failures and impossible dates are reported in
// the result's Errors with Valid false, so that the gate can still show what
// was read.
func ParseAt(now time.Time, lines ...string) (*MRZ, error) {
	norm := make([]string, len(lines))
	for i, l := range lines {
		norm[i] = strings.ToUpper(strings.TrimSpace(l))
	}
	m := &MRZ{Lines: norm, Errors: []string{}}
	switch {
	case len(norm) == 3 && allLen(norm, 30):
		m.Format = TD1
	case len(norm) == 2 && allLen(norm, 44):
		m.Format = TD3
		if norm[0][0] == 'V' {
			m.Format = MRVA
		}
	case len(norm) == 2 && allLen(norm, 36):
		m.Format = TD2
		if norm[0][0] == 'V' {
			m.Format = MRVB
		}
	default:
		ls := make([]string, len(norm))
		for i, l := range norm {
			ls[i] = fmt.Sprint(len(l))
		}
		return nil, fmt.Errorf("%w: want 2 lines of 44 (passport), 3 of 30 or 2 of 36 (ID card); got %d line(s) of length %s",
			ErrFormat, len(norm), strings.Join(ls, ", "))
	}
	for _, l := range norm {
		if !validChars(l) {
			m.fail(ErrCharacter)
			break
		}
	}
	if m.Format == TD1 {
		m.parseTD1(now)
	} else {
		m.parseTwoLine(now)
	}
	m.Valid = len(m.Errors) == 0
	return m, nil
}

func allLen(ls []string, n int) bool {
	for _, l := range ls {
		if len(l) != n {
			return false
		}
	}
	return true
}

func validChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c == '<') {
			return false
		}
	}
	return true
}

func (m *MRZ) fail(code string) {
	for _, e := range m.Errors {
		if e == code {
			return
		}
	}
	m.Errors = append(m.Errors, code)
}

// parseTwoLine handles TD3, TD2 and the visas, which share line 2's layout
// up to the expiry date's check digit.
func (m *MRZ) parseTwoLine(now time.Time) {
	l1, l2 := m.Lines[0], m.Lines[1]
	n := len(l1)
	m.DocumentType = trimFill(l1[0:2])
	m.IssuingState = trimFill(l1[2:5])
	m.parseName(l1[5:n])

	// TD2 and MRV-B may carry a long document number on into the optional
	// data like TD1 (Doc 9303 Part 6, 4.2.4); TD3 has no such rule.
	opt := l2[28 : n-1]
	if m.Format == TD3 || m.Format == MRVA {
		m.DocumentNumber = m.docNumber(l2[0:9], l2[9])
	} else {
		var rest string
		m.DocumentNumber, rest = m.docNumberLong(l2[0:9], l2[9], opt)
		if l2[9] == '<' && rest != opt {
			opt = rest
		}
	}
	m.Nationality = trimFill(l2[10:13])
	m.DateOfBirth = m.date(l2[13:19], l2[19], now, true)
	m.sex(l2[20])
	m.ExpiryDate = m.date(l2[21:27], l2[27], now, false)
	switch m.Format {
	case TD3:
		// The personal number has its own check digit, which may be a filler
		// when the field is empty.
		pn := l2[28:42]
		if !checkOK(pn, l2[42], true) {
			m.fail(ErrOptionalDataCheck)
		}
		m.OptionalData = trimFill(pn)
		comp := l2[0:10] + l2[13:20] + l2[21:43]
		if !checkOK(comp, l2[43], false) {
			m.fail(ErrCompositeCheck)
		}
	case TD2:
		m.OptionalData = trimFill(opt)
		comp := l2[0:10] + l2[13:20] + l2[21:35]
		if !checkOK(comp, l2[35], false) {
			m.fail(ErrCompositeCheck)
		}
	case MRVA, MRVB:
		m.OptionalData = trimFill(l2[28:n])
	}
}

func (m *MRZ) parseTD1(now time.Time) {
	l1, l2, l3 := m.Lines[0], m.Lines[1], m.Lines[2]
	m.DocumentType = trimFill(l1[0:2])
	m.IssuingState = trimFill(l1[2:5])
	var opt string
	m.DocumentNumber, opt = m.docNumberLong(l1[5:14], l1[14], l1[15:30])
	m.OptionalData = trimFill(opt)
	m.DateOfBirth = m.date(l2[0:6], l2[6], now, true)
	m.sex(l2[7])
	m.ExpiryDate = m.date(l2[8:14], l2[14], now, false)
	m.Nationality = trimFill(l2[15:18])
	m.OptionalData2 = trimFill(l2[18:29])
	comp := l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
	if !checkOK(comp, l2[29], false) {
		m.fail(ErrCompositeCheck)
	}
	m.parseName(l3)
}

// docNumber checks a document number of at most 9 characters.
func (m *MRZ) docNumber(field string, check byte) string {
	if !checkOK(field, check, false) {
		m.fail(ErrDocumentNumberCheck)
	}
	return trimFill(field)
}

// docNumberLong reads a document number that may be longer than its 9
// character field: Doc 9303 Part 5, 4.2.2 note j: the check digit position
// then holds a filler, and the rest of the number followed by its check digit
// and a filler open the optional data field. It returns the number and what
// remains of the optional data.
func (m *MRZ) docNumberLong(field string, check byte, opt string) (string, string) {
	if check != '<' || strings.HasSuffix(field, "<") || opt == "" || opt[0] == '<' {
		return m.docNumber(field, check), opt
	}
	end := strings.IndexByte(opt, '<')
	if end < 0 {
		end = len(opt) // no terminating filler: the whole field is number
	}
	if end < 2 {
		// A single character: only a check digit, no continuation. Treat
		// it as the check digit of the 9 characters, which Doc 9303 does
		// not allow, so it fails.
		m.fail(ErrDocumentNumberCheck)
		return trimFill(field), opt
	}
	num := field + opt[:end-1]
	if !checkOK(num, opt[end-1], false) {
		m.fail(ErrDocumentNumberCheck)
	}
	rest := ""
	if end+1 < len(opt) {
		rest = opt[end+1:]
	}
	return num, rest
}

func (m *MRZ) sex(c byte) {
	switch c {
	case 'M', 'F', 'X':
		m.Sex = string(c)
	case '<':
		m.Sex = ""
	default:
		m.Sex = ""
		m.fail(ErrSexInvalid)
	}
}

// parseName splits the name field: primary identifier (surname), two fillers,
// secondary identifier (given names); single fillers separate words.
func (m *MRZ) parseName(f string) {
	if f != "" && f[len(f)-1] != '<' {
		m.Warnings = append(m.Warnings, WarnNameTruncated)
	}
	sur, given, _ := strings.Cut(f, "<<")
	m.Surname = words(sur)
	m.GivenNames = words(given)
}

func words(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '<' }), " ")
}

func trimFill(s string) string { return strings.TrimRight(s, "<") }

// date parses YYMMDD. Doc 9303 writes an unknown day or month as fillers, so
// "7408<<" is August 1974; the check digit still covers the fillers. A
// malformed date adds the field's invalid error and returns "".
func (m *MRZ) date(f string, check byte, now time.Time, birth bool) string {
	checkErr, invalidErr := ErrExpiryDateCheck, ErrExpiryDateInvalid
	if birth {
		checkErr, invalidErr = ErrDateOfBirthCheck, ErrDateOfBirthInvalid
	}
	if !checkOK(f, check, false) {
		m.fail(checkErr)
	}
	s, ok := parseDate(f, now, birth)
	if !ok {
		m.fail(invalidErr)
		return ""
	}
	if !birth && len(s) == len(time.DateOnly) {
		// ISO dates compare as strings; the document is valid through
		// its expiry day.
		m.Expired = s < now.UTC().Format(time.DateOnly)
	}
	return s
}

func parseDate(f string, now time.Time, birth bool) (string, bool) {
	if f == "<<<<<<" {
		return "", true // unknown (birth) or no expiry: allowed
	}
	yy, ok := num2(f[0:2])
	if !ok {
		return "", false
	}
	month, day := 0, 0
	switch mm := f[2:4]; {
	case mm == "<<":
		if f[4:6] != "<<" {
			return "", false // a day without a month
		}
	default:
		if month, ok = num2(mm); !ok || month < 1 || month > 12 {
			return "", false
		}
		if dd := f[4:6]; dd != "<<" {
			if day, ok = num2(dd); !ok || day < 1 {
				return "", false
			}
		}
	}
	today := now.UTC()
	year := 2000 + yy
	if birth {
		// The earliest day the written date can mean must not be after
		// today; otherwise it is last century.
		m, d := max(month, 1), max(day, 1)
		if time.Date(year, time.Month(m), d, 0, 0, 0, 0, time.UTC).After(today) {
			year -= 100
		}
	} else if year > today.Year()+50 {
		year -= 100
	}
	if day > daysIn(year, month) {
		return "", false
	}
	switch {
	case month == 0:
		return fmt.Sprintf("%04d", year), true
	case day == 0:
		return fmt.Sprintf("%04d-%02d", year, month), true
	}
	return fmt.Sprintf("%04d-%02d-%02d", year, month, day), true
}

func num2(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// CheckDigit computes the Doc 9303 Part 3 check digit of s: digits count as
// themselves, A-Z as 10-35, the filler as 0, weighted 7, 3, 1 repeating,
// modulo 10. It returns -1 if s holds any other character.
func CheckDigit(s string) int {
	sum := 0
	weights := [3]int{7, 3, 1}
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		case c == '<':
			v = 0
		default:
			return -1
		}
		sum += v * weights[i%3]
	}
	return sum % 10
}

// checkOK reports whether check is the check digit of field. A filler in the
// check digit position is accepted only where Doc 9303 allows it (the TD3
// personal number when that field is empty) and only then.
func checkOK(field string, check byte, fillerOK bool) bool {
	if check == '<' {
		return fillerOK && strings.Trim(field, "<") == ""
	}
	if check < '0' || check > '9' {
		return false
	}
	return CheckDigit(field) == int(check-'0')
}

// BirthDate returns the date of birth as a muster.Date with the precision
// the document gives, Written holding the six MRZ characters, for matching
// against the registered person.
func (m *MRZ) BirthDate() muster.Date {
	if m.DateOfBirth == "" {
		return muster.Date{}
	}
	d := muster.Date{Calendar: "gregorian", Precision: muster.PrecisionYear}
	parts := strings.Split(m.DateOfBirth, "-")
	d.Year, _ = strconv.Atoi(parts[0])
	if len(parts) > 1 {
		d.Month, _ = strconv.Atoi(parts[1])
		d.Precision = muster.PrecisionMonth
	}
	if len(parts) > 2 {
		d.Day, _ = strconv.Atoi(parts[2])
		d.Precision = muster.PrecisionDay
	}
	switch m.Format {
	case TD1:
		d.Written = m.Lines[1][0:6]
	case TD2, TD3, MRVA, MRVB:
		d.Written = m.Lines[1][13:19]
	}
	return d
}

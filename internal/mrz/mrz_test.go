package mrz

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"muster"
)

// now is fixed so that century and expiry decisions are reproducible.
var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// Specimens from ICAO Doc 9303 (8th edition) Part 4 (TD3), Part 5 (TD1,
// including the long document number example), Part 6 (TD2) and Part 7
// (MRV-A, MRV-B); the German specimens are those printed by the
// Bundesdruckerei on its sample passport and identity card.
var (
	td3Specimen = []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}
	td1Specimen = []string{
		"I<UTOD231458907<<<<<<<<<<<<<<<",
		"7408122F1204159UTO<<<<<<<<<<<6",
		"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
	}
	td1Long = []string{
		"I<UTOD23145890<7349<<<<<<<<<<<",
		"3407127M9507122UTO<<<<<<<<<<<2",
		"STEVENSON<<PETER<JOHN<<<<<<<<<",
	}
	td2Specimen = []string{
		"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"D231458907UTO7408122F1204159<<<<<<<6",
	}
	mrvaSpecimen = []string{
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
	}
	mrvbSpecimen = []string{
		"V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
		"L8988901C4XXX4009078F9612109<<<<<<<<",
	}
	dePassport = []string{
		"P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<",
		"C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4",
	}
	deIDCard = []string{
		"IDD<<T220001293<<<<<<<<<<<<<<<",
		"6408125<2010315D<<<<<<<<<<<<<4",
		"MUSTERMANN<<ERIKA<<<<<<<<<<<<<",
	}
)

var ignoreLines = cmpopts.IgnoreFields(MRZ{}, "Lines")

func TestGateMRZSpecimens(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  MRZ
	}{
		{"TD3", td3Specimen, MRZ{
			Format: TD3, DocumentType: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO",
			DateOfBirth: "1974-08-12", Sex: "F", ExpiryDate: "2012-04-15", OptionalData: "ZE184226B",
			Expired: true, Valid: true, Errors: []string{},
		}},
		{"TD1", td1Specimen, MRZ{
			Format: TD1, DocumentType: "I", IssuingState: "UTO", DocumentNumber: "D23145890",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO",
			DateOfBirth: "1974-08-12", Sex: "F", ExpiryDate: "2012-04-15",
			Expired: true, Valid: true, Errors: []string{},
		}},
		{"TD1 long document number", td1Long, MRZ{
			Format: TD1, DocumentType: "I", IssuingState: "UTO", DocumentNumber: "D23145890734",
			Surname: "STEVENSON", GivenNames: "PETER JOHN", Nationality: "UTO",
			DateOfBirth: "1934-07-12", Sex: "M", ExpiryDate: "1995-07-12",
			Expired: true, Valid: true, Errors: []string{},
		}},
		{"TD2", td2Specimen, MRZ{
			Format: TD2, DocumentType: "I", IssuingState: "UTO", DocumentNumber: "D23145890",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "UTO",
			DateOfBirth: "1974-08-12", Sex: "F", ExpiryDate: "2012-04-15",
			Expired: true, Valid: true, Errors: []string{},
		}},
		{"MRV-A", mrvaSpecimen, MRZ{
			Format: MRVA, DocumentType: "V", IssuingState: "UTO", DocumentNumber: "L8988901C",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "XXX",
			DateOfBirth: "1940-09-07", Sex: "F", ExpiryDate: "1996-12-10", OptionalData: "6ZE184226B",
			Expired: true, Valid: true, Errors: []string{},
		}},
		{"MRV-B", mrvbSpecimen, MRZ{
			Format: MRVB, DocumentType: "V", IssuingState: "UTO", DocumentNumber: "L8988901C",
			Surname: "ERIKSSON", GivenNames: "ANNA MARIA", Nationality: "XXX",
			DateOfBirth: "1940-09-07", Sex: "F", ExpiryDate: "1996-12-10",
			Expired: true, Valid: true, Errors: []string{},
		}},
		{"German passport", dePassport, MRZ{
			Format: TD3, DocumentType: "P", IssuingState: "D", DocumentNumber: "C01X00T47",
			Surname: "MUSTERMANN", GivenNames: "ERIKA", Nationality: "D",
			DateOfBirth: "1964-08-12", Sex: "F", ExpiryDate: "2027-02-28",
			Valid: true, Errors: []string{},
		}},
		{"German ID card, sex unspecified", deIDCard, MRZ{
			Format: TD1, DocumentType: "ID", IssuingState: "D", DocumentNumber: "T22000129",
			Surname: "MUSTERMANN", GivenNames: "ERIKA", Nationality: "D",
			DateOfBirth: "1964-08-12", Sex: "", ExpiryDate: "2020-10-31",
			Expired: true, Valid: true, Errors: []string{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAt(now, tt.lines...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, ignoreLines); diff != "" {
				t.Errorf("ParseAt mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// replace returns lines with line i's byte at pos set to c.
func replace(lines []string, i, pos int, c byte) []string {
	out := append([]string(nil), lines...)
	b := []byte(out[i])
	b[pos] = c
	out[i] = string(b)
	return out
}

// fixCheck recomputes the check digit at pos over line i's [from, to).
func fixCheck(lines []string, i, from, to, pos int) []string {
	return replace(lines, i, pos, byte('0'+CheckDigit(lines[i][from:to])))
}

// fixTD3 recomputes every TD3 check digit, to build documents whose only
// fault is the one a test means to exercise.
func fixTD3(l []string) []string {
	l = fixCheck(l, 1, 0, 9, 9)
	l = fixCheck(l, 1, 13, 19, 19)
	l = fixCheck(l, 1, 21, 27, 27)
	l = fixCheck(l, 1, 28, 42, 42)
	comp := l[1][0:10] + l[1][13:20] + l[1][21:43]
	return replace(l, 1, 43, byte('0'+CheckDigit(comp)))
}

func TestGateMRZCorrupted(t *testing.T) {
	tests := []struct {
		name       string
		lines      []string
		wantErrors []string
		check      func(*MRZ) string
	}{
		{"document number misread", replace(td3Specimen, 1, 3, '1'),
			[]string{ErrDocumentNumberCheck, ErrCompositeCheck}, nil},
		{"O read for 0", replace(td3Specimen, 1, 0, '0'),
			[]string{ErrDocumentNumberCheck, ErrCompositeCheck}, nil},
		{"document number check digit", replace(td3Specimen, 1, 9, '7'),
			[]string{ErrDocumentNumberCheck, ErrCompositeCheck}, nil},
		{"birth date digit", replace(td3Specimen, 1, 18, '3'),
			[]string{ErrDateOfBirthCheck, ErrCompositeCheck}, nil},
		{"expiry digit", replace(td3Specimen, 1, 22, '3'),
			[]string{ErrExpiryDateCheck, ErrCompositeCheck}, nil},
		{"personal number", replace(td3Specimen, 1, 30, '9'),
			[]string{ErrOptionalDataCheck, ErrCompositeCheck}, nil},
		{"composite only", replace(td3Specimen, 1, 43, '1'),
			[]string{ErrCompositeCheck}, nil},
		{"nationality is outside every check digit", replace(td3Specimen, 1, 10, 'X'),
			nil, nil},
		{"filler as composite", replace(td3Specimen, 1, 43, '<'),
			[]string{ErrCompositeCheck}, nil},
		{"letter as check digit", replace(td3Specimen, 1, 9, 'A'),
			[]string{ErrDocumentNumberCheck, ErrCompositeCheck}, nil},
		{"sex", replace(td3Specimen, 1, 20, 'Q'), []string{ErrSexInvalid}, nil},
		{"impossible month, check digits right", fixTD3(replace(td3Specimen, 1, 15, '3')),
			[]string{ErrDateOfBirthInvalid}, nil},
		{"30 February", fixTD3(replace(replace(replace(td3Specimen, 1, 15, '0'), 1, 16, '2'), 1, 17, '3')),
			[]string{ErrDateOfBirthInvalid}, nil},
		{"29 February 1974", fixTD3(replace(replace(replace(replace(td3Specimen, 1, 15, '0'), 1, 16, '2'), 1, 17, '2'), 1, 18, '9')),
			[]string{ErrDateOfBirthInvalid}, nil},
		{"29 February 1972", fixTD3(replace(replace(replace(replace(replace(td3Specimen, 1, 14, '2'), 1, 15, '0'), 1, 16, '2'), 1, 17, '2'), 1, 18, '9')),
			nil, func(m *MRZ) string {
				if m.DateOfBirth == "1972-02-29" {
					return ""
				}
				return "DateOfBirth = " + m.DateOfBirth
			}},
		{"punctuation", replace(td3Specimen, 0, 20, '-'), []string{ErrCharacter}, nil},
		{"TD1 document number", replace(td1Specimen, 0, 7, '1'),
			[]string{ErrDocumentNumberCheck, ErrCompositeCheck}, nil},
		{"TD1 composite", replace(td1Specimen, 1, 29, '5'), []string{ErrCompositeCheck}, nil},
		{"TD1 optional data 2 is under the composite", replace(td1Specimen, 1, 20, 'B'),
			[]string{ErrCompositeCheck}, nil},
		{"TD1 long number continuation", replace(td1Long, 0, 16, '5'),
			[]string{ErrDocumentNumberCheck, ErrCompositeCheck}, nil},
		{"TD1 filler check digit without continuation", replace(td1Specimen, 0, 14, '<'),
			[]string{ErrDocumentNumberCheck, ErrCompositeCheck}, nil},
		{"TD2 composite", replace(td2Specimen, 1, 35, '0'), []string{ErrCompositeCheck}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAt(now, tt.lines...)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantErrors
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got.Errors); diff != "" {
				t.Errorf("Errors (-want +got):\n%s", diff)
			}
			if got.Valid != (len(want) == 0) {
				t.Errorf("Valid = %v with errors %v", got.Valid, got.Errors)
			}
			if tt.check != nil {
				if msg := tt.check(got); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

func TestGateMRZLenient(t *testing.T) {
	want, err := ParseAt(now, td3Specimen...)
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string][]string{
		"lower case":      {strings.ToLower(td3Specimen[0]), strings.ToLower(td3Specimen[1])},
		"trailing spaces": {td3Specimen[0] + "  ", td3Specimen[1] + " \t"},
		"carriage return": {td3Specimen[0] + "\r", td3Specimen[1] + "\r"},
	}
	for name, lines := range variants {
		got, err := ParseAt(now, lines...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	texts := map[string]string{
		"newlines":      strings.Join(td3Specimen, "\n") + "\n",
		"CRLF":          strings.Join(td3Specimen, "\r\n"),
		"run together":  strings.Join(td3Specimen, ""),
		"blank lines":   "\n\n" + strings.Join(td3Specimen, "\n\n"),
		"indented text": "  " + td3Specimen[0] + "\n  " + td3Specimen[1],
	}
	for name, text := range texts {
		got, err := ParseText(now, text)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	td1, err := ParseText(now, strings.Join(td1Specimen, ""))
	if err != nil || !td1.Valid || td1.DocumentNumber != "D23145890" {
		t.Errorf("TD1 run together: %+v, %v", td1, err)
	}
}

func TestGateMRZFormatErrors(t *testing.T) {
	tests := map[string][]string{
		"no lines":          nil,
		"one line":          td3Specimen[:1],
		"short line 2":      {td3Specimen[0], td3Specimen[1][:43]},
		"mixed lengths":     {td3Specimen[0], td1Specimen[1]},
		"TD1 with 2 lines":  td1Specimen[:2],
		"inner space":       {td3Specimen[0], td3Specimen[1][:20] + " " + td3Specimen[1][21:] + "<"},
		"four lines of 30":  append(append([]string(nil), td1Specimen...), td1Specimen[0]),
		"empty strings":     {"", ""},
		"non-ASCII letters": {strings.Repeat("É", 22), strings.Repeat("É", 22)},
	}
	for name, lines := range tests {
		got, err := ParseAt(now, lines...)
		if name == "non-ASCII letters" {
			// 44 bytes each: laid out, but every byte is outside the
			// MRZ character set.
			if err != nil || got.Valid || !contains(got.Errors, ErrCharacter) {
				t.Errorf("%s: %+v, %v", name, got, err)
			}
			continue
		}
		if !errors.Is(err, ErrFormat) || got != nil {
			t.Errorf("%s: got %+v, %v; want ErrFormat", name, got, err)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestGateMRZDates(t *testing.T) {
	tests := []struct {
		field string
		birth bool
		want  string
		ok    bool
	}{
		{"740812", true, "1974-08-12", true},
		{"261127", true, "2026-11-27", true}, // born today
		{"261128", true, "1926-11-28", true}, // tomorrow would be the future
		{"250101", true, "2025-01-01", true},
		{"000229", true, "2000-02-29", true},
		{"7408<<", true, "1974-08", true},
		{"74<<<<", true, "1974", true},
		{"<<<<<<", true, "", true},
		{"74<<12", true, "", false},
		{"741301", true, "", false},
		{"740800", true, "", false},
		{"740832", true, "", false},
		{"7A0812", true, "", false},
		{"120415", false, "2012-04-15", true},
		{"351231", false, "2035-12-31", true},
		{"760101", false, "2076-01-01", true}, // 50 years ahead: still this century
		{"991231", false, "1999-12-31", true},
		{"<<<<<<", false, "", true}, // no expiry
	}
	for _, tt := range tests {
		got, ok := parseDate(tt.field, now, tt.birth)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDate(%q, birth=%v) = %q, %v; want %q, %v", tt.field, tt.birth, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGateMRZExpiry(t *testing.T) {
	l := fixTD3(replace(replace(replace(replace(replace(replace(td3Specimen,
		1, 21, '2'), 1, 22, '6'), 1, 23, '1'), 1, 24, '1'), 1, 25, '2'), 1, 26, '7')) // 261127: today
	m, err := ParseAt(now, l...)
	if err != nil || !m.Valid || m.ExpiryDate != "2026-11-27" || m.Expired {
		t.Errorf("expiring today: %+v, %v", m, err)
	}
	m, _ = ParseAt(now.AddDate(0, 0, 1), l...)
	if !m.Expired {
		t.Errorf("a day later should be expired: %+v", m)
	}
}

func TestGateMRZPersonalNumberFiller(t *testing.T) {
	// An empty personal number may have a filler or 0 as its check digit.
	l := replace(replace(fixTD3(replace(td3Specimen, 1, 28, '<')), 1, 29, '<'), 1, 29, '<')
	for i := 28; i < 42; i++ {
		l = replace(l, 1, i, '<')
	}
	for _, c := range []byte{'<', '0'} {
		l := replace(l, 1, 42, c)
		comp := l[1][0:10] + l[1][13:20] + l[1][21:43]
		l = replace(l, 1, 43, byte('0'+CheckDigit(comp)))
		m, err := ParseAt(now, l...)
		if err != nil || !m.Valid || m.OptionalData != "" {
			t.Errorf("check digit %q: %+v, %v", c, m, err)
		}
	}
	// A filler check digit over a non-empty personal number is an error.
	m, _ := ParseAt(now, replace(td3Specimen, 1, 42, '<')...)
	if !contains(m.Errors, ErrOptionalDataCheck) {
		t.Errorf("filler check over ZE184226B accepted: %v", m.Errors)
	}
}

func TestGateMRZNames(t *testing.T) {
	tests := []struct {
		field, surname, given string
		truncated             bool
	}{
		{"ERIKSSON<<ANNA<MARIA<<<<<<<<<<", "ERIKSSON", "ANNA MARIA", false},
		{"VAN<DER<BERG<<JAN<<<<<<<<<<<<<", "VAN DER BERG", "JAN", false},
		{"AHMADZAI<<<<<<<<<<<<<<<<<<<<<<", "AHMADZAI", "", false},
		{"<<MOHAMMAD<<<<<<<<<<<<<<<<<<<<", "", "MOHAMMAD", false},
		{"HASHIMI<<MOHAMMAD<NAJIB<ULLAHK", "HASHIMI", "MOHAMMAD NAJIB ULLAHK", true},
	}
	for _, tt := range tests {
		m := &MRZ{}
		m.parseName(tt.field)
		if m.Surname != tt.surname || m.GivenNames != tt.given || (len(m.Warnings) > 0) != tt.truncated {
			t.Errorf("parseName(%q) = %q, %q, %v", tt.field, m.Surname, m.GivenNames, m.Warnings)
		}
	}
}

func TestGateMRZTD2LongNumber(t *testing.T) {
	// Doc 9303 Part 6 allows the TD2 document number to run on into the
	// optional data as in TD1.
	l2 := "D23145890<UTO3407127M9507122" + "7349<<<" + "0"
	l2 = l2[:35] + string(rune('0'+CheckDigit(l2[0:10]+l2[13:20]+l2[21:35])))
	m, err := ParseAt(now, td2Specimen[0], l2)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Valid || m.DocumentNumber != "D23145890734" || m.OptionalData != "" || m.DateOfBirth != "1934-07-12" {
		t.Errorf("%+v", m)
	}
	// A misread digit in the continuation fails the number's check digit
	// (computed over all 12 characters) and the composite.
	bad := l2[:29] + "5" + l2[30:]
	m, _ = ParseAt(now, td2Specimen[0], bad)
	if diff := cmp.Diff([]string{ErrDocumentNumberCheck, ErrCompositeCheck}, m.Errors); diff != "" {
		t.Errorf("altered continuation (-want +got):\n%s", diff)
	}
}

func TestGateMRZBirthDate(t *testing.T) {
	for field, want := range map[string]muster.Date{
		"1974-08-12": {Year: 1974, Month: 8, Day: 12, Precision: muster.PrecisionDay, Calendar: "gregorian", Written: "740812"},
		"1974-08":    {Year: 1974, Month: 8, Precision: muster.PrecisionMonth, Calendar: "gregorian", Written: "7408<<"},
		"1974":       {Year: 1974, Precision: muster.PrecisionYear, Calendar: "gregorian", Written: "74<<<<"},
		"":           {},
	} {
		m := &MRZ{DateOfBirth: field}
		if field != "" {
			m.Lines = []string{"", "<<<<<<<<<<<<<" + want.Written + strings.Repeat("<", 25)}
			m.Format = TD3
		}
		if diff := cmp.Diff(want, m.BirthDate()); diff != "" {
			t.Errorf("BirthDate(%q) (-want +got):\n%s", field, diff)
		}
	}
}

func TestGateMRZCheckDigit(t *testing.T) {
	tests := map[string]int{
		"L898902C3": 6, "740812": 2, "120415": 9, "ZE184226B<<<<<": 1,
		"D23145890734": 9, "": 0, "<<<<": 0, "a": -1,
	}
	for s, want := range tests {
		if got := CheckDigit(s); got != want {
			t.Errorf("CheckDigit(%q) = %d, want %d", s, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range [][]string{td3Specimen, td1Specimen, td1Long, td2Specimen, mrvaSpecimen, mrvbSpecimen, dePassport, deIDCard} {
		f.Add(strings.Join(l, "\n"))
	}
	f.Add("I<UTOD23145890<7<<<<<<<<<<<<<<\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<")
	f.Add("I<UTOD23145890<73491234567890\n3407127M9507122UTO<<<<<<<<<<<2\nSTEVENSON<<PETER<JOHN<<<<<<<<<")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseText(now, text)
		if err != nil {
			if m != nil || !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v with result %+v", err, m)
			}
			return
		}
		if m.Valid != (len(m.Errors) == 0) {
			t.Fatalf("Valid %v with errors %v", m.Valid, m.Errors)
		}
		// Parsing the normalised lines again must give the same answer.
		again, err := ParseAt(now, m.Lines...)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, again); diff != "" {
			t.Fatalf("reparse differs:\n%s", diff)
		}
		if m.Valid {
			for _, d := range []string{m.DateOfBirth, m.ExpiryDate} {
				if d != "" && len(d) != 4 && len(d) != 7 && len(d) != 10 {
					t.Fatalf("date %q", d)
				}
			}
			if strings.HasSuffix(m.DocumentNumber, "<") {
				t.Fatalf("trailing filler in document number %q", m.DocumentNumber)
			}
		}
	})
}

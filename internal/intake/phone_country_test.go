package intake

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
)

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		in, region, want string
		err              string // substring; "unverified" for ErrPhoneUnverified
	}{
		{in: "0799 123 456", want: "+93799123456"},
		{in: "0799123456", want: "+93799123456"},
		{in: "799123456", want: "+93799123456"}, // Excel drops the leading zero
		{in: "0093 799 123 456", want: "+93799123456"},
		{in: "0093799123456", want: "+93799123456"},
		{in: "+93 799 123 456", want: "+93799123456"},
		{in: "+93 (0) 799 123 456", want: "+93799123456"},
		{in: "93 799 123 456", want: "+93799123456"},
		{in: "93799123456", want: "+93799123456"},
		{in: "+93-70-011-1222", want: "+93700111222"},
		{in: "۰۷۹۹۱۲۳۴۵۶", want: "+93799123456"},
		{in: "٠٧٩٩١٢٣٤٥٦", want: "+93799123456"},
		{in: "020 2101234", want: "+93202101234"}, // Kabul landline
		{in: "+1 (202) 555-0123", want: "+12025550123"},
		{in: "001 202 555 0123", want: "+12025550123"},
		{in: "+44 20 7946 0958", want: "+442079460958"},
		{in: "+92 300 1234567", want: "+923001234567"},
		{in: "(202) 555-0123", region: "US", want: "+12025550123"},
		{in: "", err: "empty"},
		{in: "n/a", err: "too few digits"},
		{in: "123", err: "too few digits"},
		{in: "0799 12", err: "not a possible phone number"},
		{in: "+93 799 123 456 789 12", err: "not"},
		{in: "phone: 12345678901234567890", err: "letters"},
		{in: "12345678901234567890", err: "not"},
		{in: "0799 ABC 456", err: "letters"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := NormalizePhone(tc.in, tc.region)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("NormalizePhone(%q) = %q, %v; want error %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("NormalizePhone(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNormalizePhoneUnverified(t *testing.T) {
	// Right length, but outside the ranges libphonenumber knows: kept, with
	// ErrPhoneUnverified, so that the caller keeps and flags it.
	for in, want := range map[string]string{"+93 800 123 456": "+93800123456", "0800 123 456": "+93800123456", "+1 202 000 0000": "+12020000000"} {
		got, err := NormalizePhone(in, "")
		if !errors.Is(err, ErrPhoneUnverified) || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, ErrPhoneUnverified", in, got, err, want)
		}
	}
}

func TestCountry(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AF", "AF"}, {"af", "AF"}, {"AFG", "AF"}, {"Afghanistan", "AF"}, {"afghan", "AF"}, {"Afghani", "AF"},
		{"AFGHAN", "AF"}, {"Islamic Republic of Afghanistan", "AF"}, {"Afghanistan, Islamic Republic of", "AF"},
		{"افغان", "AF"}, {"افغانستان", "AF"}, {"Afghan citizen", "AF"}, {"citizen of Afghanistan", "AF"},
		{"US", "US"}, {"USA", "US"}, {"U.S.A.", "US"}, {"U.S.", "US"}, {"American", "US"}, {"United States of America", "US"},
		{"United States", "US"}, {"امریکا", "US"}, {"آمریکایی", "US"}, {"US citizen", "US"},
		{"British", "GB"}, {"UK", "GB"}, {"GBR", "GB"}, {"United Kingdom", "GB"}, {"English", "GB"}, {"Great Britain", "GB"},
		{"Pakistani", "PK"}, {"پاکستانی", "PK"}, {"Iranian", "IR"}, {"Iran", "IR"}, {"Iran, Islamic Republic of", "IR"}, {"ایرانی", "IR"},
		{"Palestinian", "PS"}, {"Palestine", "PS"}, {"Palestine, State of", "PS"},
		{"Tajik", "TJ"}, {"Uzbek", "UZ"}, {"Turkmen", "TM"}, {"Indian", "IN"}, {"IND", "IN"},
		{"German", "DE"}, {"Deutschland", "DE"}, {"D", "DE"}, {"Canadian", "CA"}, {"Dutch", "NL"}, {"Netherlands", "NL"},
		{"Turkish", "TR"}, {"Türkiye", "TR"}, {"Turkey", "TR"}, {"Qatari", "QA"}, {"Emirati", "AE"}, {"UAE", "AE"},
		{"Côte d'Ivoire", "CI"}, {"Cote d'Ivoire", "CI"}, {"Ivorian", "CI"}, {"Korea, Republic of", "KR"}, {"Republic of Korea", "KR"},
		{"South Korean", "KR"}, {"North Korean", "KP"}, {"Bosnia and Herzegovina", "BA"}, {"Viet Nam", "VN"}, {"Vietnam", "VN"},
		{"Syria", "SY"}, {"Syrian Arab Republic", "SY"}, {"Russian Federation", "RU"}, {"Russian", "RU"}, {"Åland Islands", "AX"},
		{"Kosovo", "XK"}, {"Kosovar", "XK"}, {"XK", "XK"}, {"NO", "NO"}, {"Norwegian", "NO"}, {"Swiss", "CH"}, {"Filipino", "PH"},
		{"  the Netherlands ", "NL"}, {"The Gambia", "GM"}, {"Bangladeshi", "BD"}, {"Iraqi", "IQ"}, {"Saudi", "SA"},
		// Not countries, or ambiguous on purpose.
		{"", ""}, {"no", ""}, {"n/a", ""}, {"none", ""}, {"unknown", ""}, {"Congolese", ""}, {"Korean", ""}, {"Martian", ""},
		{"stateless", ""}, {"XX", ""}, {"Afghan American", ""},
	} {
		got, ok := Country(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Country(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

// TestCountryTable checks the generated table: every country is found by
// both codes and its name, and no form names two countries.
func TestCountryTable(t *testing.T) {
	if len(countryTable) < 249 {
		t.Errorf("%d countries; ISO 3166-1 has 249", len(countryTable))
	}
	if len(countryCollisions) > 0 {
		t.Errorf("forms naming two countries: %v", countryCollisions)
	}
	for _, c := range countryTable {
		for _, s := range append([]string{c.Alpha2, c.Alpha3, c.Name, strings.ToUpper(c.Name), strings.ToLower(c.Alpha3)}, c.Forms...) {
			if got, ok := Country(s); !ok || got != c.Alpha2 {
				t.Errorf("Country(%q) = %q, %v; want %s", s, got, ok, c.Alpha2)
			}
		}
	}
}

func TestParseNationalities(t *testing.T) {
	for _, tc := range []struct {
		in        string
		want      []string
		unknown   int
		stateless bool
	}{
		{in: "Afghan", want: []string{"AF"}},
		{in: "Afghan; American", want: []string{"AF", "US"}},
		{in: "AF/US", want: []string{"AF", "US"}},
		{in: "Afghan and British", want: []string{"AF", "GB"}},
		{in: "Afghan & Pakistani", want: []string{"AF", "PK"}},
		{in: "Afghan, Iranian", want: []string{"AF", "IR"}},
		{in: "Bosnia and Herzegovina", want: []string{"BA"}},
		{in: "Afghan; Bosnia and Herzegovina", want: []string{"AF", "BA"}},
		{in: "Korea, Republic of; Afghanistan", want: []string{"KR", "AF"}},
		{in: "Trinidad and Tobago and Canada", want: []string{"TT", "CA"}},
		{in: "Afghan; Afghanistan; AF", want: []string{"AF"}},
		{in: "Afghan; Martian", want: []string{"AF"}, unknown: 1},
		{in: "stateless", stateless: true},
		{in: "Palestinian / stateless", want: []string{"PS"}, stateless: true},
		{in: "n/a", want: nil},
		{in: "افغان و امریکا", want: []string{"AF", "US"}},
		{in: "Afghan-American", want: []string{"AF", "US"}},
		{in: "Guinea-Bissau", want: []string{"GW"}},
		{in: "Afghan; Guinea-Bissau; Timor-Leste", want: []string{"AF", "GW", "TL"}},
	} {
		codes, unknown, stateless := ParseNationalities(tc.in)
		if !cmp.Equal(tc.want, codes) || unknown != tc.unknown || stateless != tc.stateless {
			t.Errorf("ParseNationalities(%q) = %v, %d, %v; want %v, %d, %v", tc.in, codes, unknown, stateless, tc.want, tc.unknown, tc.stateless)
		}
	}
}

// TestAfghanMobileAgrees holds the fast path for Afghan mobiles to
// libphonenumber's answers, on every form it accepts.
func TestAfghanMobileAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	forms := []string{"0%d", "+93%d", "+93 %d", "0093%d", "93%d", "%d", "+93 (0)%d", "0%d "}
	for range 3000 {
		n := 700000000 + rng.IntN(100000000)
		for _, region := range []string{"AF", "US"} {
			s := fmt.Sprintf(forms[rng.IntN(len(forms))], n)
			fast, ok := afghanMobile(strings.TrimSpace(s), region)
			num, err := phonenumbers.Parse(s, region)
			libOK := err == nil && phonenumbers.IsValidNumber(num)
			if ok && (!libOK || phonenumbers.Format(num, phonenumbers.E164) != fast) {
				t.Fatalf("afghanMobile(%q, %s) = %q; libphonenumber: valid %v %v", s, region, fast, libOK, err)
			}
		}
	}
	// Numbers the fast path leaves alone.
	for _, s := range []string{"0202101234", "+1 202 555 0123", "0799 12", "07991234567", "+93 6991234567", "0799x123456"} {
		if got, ok := afghanMobile(s, "AF"); ok {
			t.Errorf("afghanMobile(%q) = %q", s, got)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0799 123 456", "0093 799 123 456", "+93 (0) 799 123 456", "93 799 123 456", "+1 (202) 555-0123", "۰۷۹۹۱۲۳۴۵۶", "0799 12", "+93 800 123 456"} {
		f.Add(s, "AF")
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		e, err := NormalizePhone(s, region)
		if err != nil && !errors.Is(err, ErrPhoneUnverified) {
			if e != "" {
				t.Fatalf("error %v with %q", err, e)
			}
			return
		}
		if len(e) < 4 || e[0] != '+' || strings.Trim(e[1:], "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", s, e)
		}
		// Normalising the result changes nothing.
		if e2, err2 := NormalizePhone(e, region); e2 != e || (err2 == nil) != (err == nil) {
			t.Fatalf("not idempotent: %q -> %q (%v) -> %q (%v)", s, e, err, e2, err2)
		}
	})
}

func FuzzCountry(f *testing.F) {
	for _, s := range []string{"Afghan", "AF/US", "Korea, Republic of", "Bosnia and Herzegovina; Afghan", "افغان و امریکا", "n/a", "stateless"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, ok := Country(s); ok {
			if len(c) != 2 || countryByCode[c] != c {
				t.Fatalf("Country(%q) = %q", s, c)
			}
		}
		codes, unknown, _ := ParseNationalities(s)
		if unknown < 0 || len(codes) > len(s) {
			t.Fatalf("ParseNationalities(%q) = %v, %d", s, codes, unknown)
		}
		for _, c := range codes {
			if countryByCode[c] != c {
				t.Fatalf("ParseNationalities(%q): %q", s, c)
			}
		}
	})
}

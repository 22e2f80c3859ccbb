package intake

import (
	"strconv"
	"strings"
	"testing"

	"muster"
)

func TestParseSex(t *testing.T) {
	for in, want := range map[string]muster.Sex{
		"M": "M", "m": "M", "Male": "M", " MALE ": "M", "man": "M", "boy": "M", "مرد": "M", "نارینه": "M", "مذكر": "M",
		"F": "F", "f": "F", "female": "F", "Woman": "F", "girl": "F", "زن": "F", "ښځه": "F", "مونث": "F",
		"X": "X", "other": "X", "non-binary": "X",
		"": "", "unknown": "", "U": "",
	} {
		got, err := ParseSex(in)
		if err != nil || got != want {
			t.Errorf("ParseSex(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"Q", "?", "yes", "1", "mf"} {
		if got, err := ParseSex(in); err == nil {
			t.Errorf("ParseSex(%q) = %q, want error", in, got)
		}
	}
}

func TestParseCategory(t *testing.T) {
	for in, want := range map[string]muster.Category{
		"siv_applicant": muster.CategorySIVApplicant, "SIV applicant": muster.CategorySIVApplicant, "SIV": muster.CategorySIVApplicant,
		"siv-applicant": muster.CategorySIVApplicant, "dual national": muster.CategoryDualNational, "Dual_National": muster.CategoryDualNational,
		"citizen": muster.CategoryCitizen, "US citizen": muster.CategoryCitizen, "LPR": muster.CategoryPermanentResident,
		"green card holder": muster.CategoryPermanentResident, "P-1": muster.CategoryRefugeeReferral, "refugee referral": muster.CategoryRefugeeReferral,
		"other at-risk": muster.CategoryOtherAtRisk, "TCN": muster.CategoryThirdCountryNational, "third country national": muster.CategoryThirdCountryNational,
		"": "",
	} {
		got, err := ParseCategory(in, nil)
		if err != nil || got != want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseCategory("VIP", nil); err == nil || !strings.Contains(err.Error(), "siv_applicant") {
		t.Errorf("VIP: %v", err)
	}
	// An operation's own list: its names work, aliases only of categories it has.
	ops := []muster.Category{"journalist", muster.CategorySIVApplicant}
	if got, err := ParseCategory("Journalist", ops); err != nil || got != "journalist" {
		t.Errorf("journalist: %q %v", got, err)
	}
	if got, err := ParseCategory("citizen", ops); err == nil {
		t.Errorf("citizen not configured, got %q", got)
	}
	if got, err := ParseCategory("SIV", ops); err != nil || got != muster.CategorySIVApplicant {
		t.Errorf("SIV: %q %v", got, err)
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"a@example.org": "a@example.org", "A.Rahimi@Example.ORG": "A.Rahimi@example.org", "<a@b.af>": "a@b.af",
		"mailto:x@y.com": "x@y.com", "a@b": "", "a@@b.com": "", "@b.com": "", "a b@c.com": "", "a@b.c": "", "a@b..com": "", "not-an-email": "",
	} {
		got, ok := normalizeEmail(in)
		if got != want || ok != (want != "") {
			t.Errorf("normalizeEmail(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestOptions(t *testing.T) {
	var calls []int
	in := hdr
	for i := range ProgressEvery + 10 {
		in += "s,x" + strconv.Itoa(i) + ",,,,,,,,,,,,,,,,journalist\n"
	}
	res := readString(t, in, Options{Progress: func(n int) { calls = append(calls, n) }, Categories: []muster.Category{"journalist"}})
	if len(res.Records) != ProgressEvery+10 || len(res.Rejected) != 0 {
		t.Fatalf("%d records, rejects %v", len(res.Records), res.Rejected[:min(2, len(res.Rejected))])
	}
	if len(calls) != 2 || calls[0] != ProgressEvery || calls[1] != ProgressEvery+10 {
		t.Errorf("progress calls %v", calls)
	}
	// Region and date order.
	res = readString(t, "source,source_id,phone,date_of_birth\ns,1,(202) 555-0123,03/04/1990\n", Options{Region: "US", DateOrder: OrderMDY})
	r := res.Records[0]
	if len(r.Phones) != 1 || r.Phones[0] != "+12025550123" || r.DOB.String() != "1990-03-04" {
		t.Errorf("phones %v dob %v", r.Phones, r.DOB)
	}
}

package web

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster"
)

// TestPartnerView: a person merged from two partners' registrations shows
// partner A only what A sent.
func TestPartnerView(t *testing.T) {
	merged := &muster.Person{ID: 7, CaseID: 3, Given: "Abdul Rahman", Family: "Rahimi", Father: "Karim", Phones: []string{"+93799123456", "+93700111222"},
		Documents: []muster.Document{{Type: "passport", Number: "P0123456"}, {Type: "national_id", Number: "1399-0101-12345", Country: "AF"}},
		Category:  muster.CategorySIVApplicant, Stage: muster.StageApproved}
	regs := []muster.Registration{
		{ID: 2, Record: muster.Record{Source: "ngo-b", SourceID: "b1", Given: "Abdulrahman", Family: "Rahimi", Father: "Karim", NationalID: "1399-0101-12345", Phones: []string{"+93700111222"}}},
		{ID: 1, Record: muster.Record{Source: "ngo-a", SourceID: "a1", Given: "Abdul Rahman", Family: "Rahimi", Passport: "P0123456", Phones: []string{"+93799123456"},
			DOB: muster.Date{Year: 1986, Precision: muster.PrecisionYear}}},
	}
	got, own := partnerView(merged, regs, "ngo-a")
	want := &muster.Person{ID: 7, CaseID: 3, Given: "Abdul Rahman", Family: "Rahimi", Phones: []string{"+93799123456"},
		Documents: []muster.Document{{Type: "passport", Number: "P0123456"}}, DOB: muster.Date{Year: 1986, Precision: muster.PrecisionYear},
		Category: muster.CategorySIVApplicant, Stage: muster.StageApproved}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("partner view (-want +got):\n%s", diff)
	}
	if len(own) != 1 || own[0].ID != 1 {
		t.Errorf("own registrations %+v", own)
	}
	if _, own := partnerView(merged, regs, "ngo-c"); len(own) != 0 {
		t.Errorf("ngo-c sees %+v", own)
	}
}

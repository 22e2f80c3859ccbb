package intake

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseNeeds(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"none", nil},
		{"N/A", nil},
		{"-", nil},
		{"Medical", []string{NeedMedical}},
		{"wheelchair; pregnant", []string{NeedDisability, NeedPregnant}},
		{"Medical condition, medical", []string{NeedMedical}},
		{"needs insulin", []string{NeedOther}},
		{"needs insulin / disabled", []string{NeedOther, NeedDisability}},
		{"Reduced_Mobility", []string{NeedDisability}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ParseNeeds(tt.in)); diff != "" {
			t.Errorf("ParseNeeds(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestNeedsColumn: the optional needs column is read under its own name or
// an alias, a mapping may name it, and a file without it is unchanged.
func TestNeedsColumn(t *testing.T) {
	res := readString(t, "source,source_id,given_name,needs\nngo-a,1,Amina,Pregnant; wheelchair\nngo-a,2,Omar,\n", Options{})
	if len(res.Records) != 2 || len(res.Rejected) != 0 {
		t.Fatalf("records %d, rejects %v", len(res.Records), res.Rejected)
	}
	if diff := cmp.Diff([]string{NeedPregnant, NeedDisability}, res.Records[0].Needs); diff != "" {
		t.Errorf("needs (-want +got):\n%s", diff)
	}
	if res.Records[1].Needs != nil {
		t.Errorf("empty needs read as %v", res.Records[1].Needs)
	}
	if diff := cmp.Diff([]string{"needs"}, res.Columns[FieldNeeds]); diff != "" {
		t.Errorf("columns: %s", diff)
	}
	res = readString(t, "ID,Partner,Special Needs\n7,ngo-b,medical\n", Options{})
	if len(res.Records) != 1 || !cmp.Equal(res.Records[0].Needs, []string{NeedMedical}) {
		t.Errorf("alias: %+v rejects %v", res.Records, res.Rejected)
	}
	m, err := ParseMapping(strings.NewReader("needs = Condition\n"), "m.map")
	if err != nil {
		t.Fatal(err)
	}
	res = readString(t, "source,source_id,Condition\nngo-a,1,disabled\n", Options{Mapping: m})
	if len(res.Records) != 1 || !cmp.Equal(res.Records[0].Needs, []string{NeedDisability}) {
		t.Errorf("mapped: %+v rejects %v", res.Records, res.Rejected)
	}
	if !strings.Contains(m.String(), "needs = Condition") {
		t.Errorf("mapping does not round-trip: %q", m.String())
	}
	if strings.Contains(strings.Join(Header, ","), FieldNeeds) {
		t.Error("the template grew a needs column: partner files would change")
	}
}

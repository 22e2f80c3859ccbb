package intake

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMapping(t *testing.T) {
	in := "\uFEFF# comment\n" +
		"source = ngo-x   # trailing comment\n" +
		"sheet = Applicants\n" +
		"header_row = 3\n" +
		"phone_region = pk\n" +
		"date_order = DMY\n" +
		"calendar = shamsi\n" +
		"given_name = Name of Applicant\n" +
		"national_id = Tazkira #\n" +
		"passport_no = Passport \\# (if any)\n" +
		"date_of_birth = DOB (Shamsi) [solar_hijri]\n" +
		"phone = Mobile + WhatsApp\n" +
		"source_column = Partner\n" +
		"sex: Male=M, Female=F, مرد=M, زن=F\n" +
		"sex: نارینه = M\n" +
		"category: SIV=siv_applicant\n"
	m, err := ParseMapping(strings.NewReader(in), "x.map")
	if err != nil {
		t.Fatal(err)
	}
	want := &Mapping{
		Name: "x.map", Source: "ngo-x", Sheet: "Applicants", HeaderRow: 3, Region: "PK", DateOrder: OrderDMY, Calendar: SolarHijri,
		Columns: map[string]ColumnSpec{
			FieldGiven:      {Headers: []string{"Name of Applicant"}, Line: 8},
			FieldNationalID: {Headers: []string{"Tazkira #"}, Line: 9},
			FieldPassport:   {Headers: []string{"Passport # (if any)"}, Line: 10},
			FieldDOB:        {Headers: []string{"DOB (Shamsi)"}, Calendar: SolarHijri, Line: 11},
			FieldPhone:      {Headers: []string{"Mobile", "WhatsApp"}, Line: 12},
			FieldSource:     {Headers: []string{"Partner"}, Line: 13},
		},
		Values: map[string]map[string]string{
			FieldSex:      {"male": "M", "female": "F", "مرد": "M", "زن": "F", "نارینه": "M"},
			FieldCategory: {"siv": "siv_applicant"},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("mapping (-want +got):\n%s", diff)
	}
	// String renders the same mapping back.
	m2, err := ParseMapping(strings.NewReader(m.String()), "x.map")
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, m.String())
	}
	if diff := cmp.Diff(m, m2, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Line" }, cmp.Ignore())); diff != "" {
		t.Errorf("round trip (-first +second):\n%s", diff)
	}
}

func TestParseMappingErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"given = Name", `x.map:1: unknown field or directive "given"`},
		{"gender: Male=M", `x.map:1: unknown field "gender"`},
		{"just words", "x.map:1: expected FIELD = HEADER"},
		{"given_name =", "x.map:1: given_name: no value"},
		{"given_name = A\ngiven_name = B", "x.map:2: given_name given twice (first on line 1)"},
		{"header_row = zero", "header_row"},
		{"phone_region = Afghanistan", "phone_region"},
		{"date_order = ymd", "unknown date order"},
		{"calendar = lunar", "unknown calendar"},
		{"date_of_birth = DOB [lunar]", "option [lunar]"},
		{"given_name = Name [solar_hijri]", "a calendar only applies to date_of_birth"},
		{"phone = Mobile +  + X", "empty header"},
		{"sex: Male", `sex: "Male" is not written=value`},
		{"sex: Male=M, male=F", `"male" mapped twice`},
		{"source = \xff", "invalid UTF-8"},
	} {
		_, err := ParseMapping(strings.NewReader(tc.in), "x.map")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseMapping(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestMappingReadsOtherHeaders(t *testing.T) {
	m, err := ParseMapping(strings.NewReader(`
source = ngo-y
source_id = ID
full_name = Name of Applicant
date_of_birth = DOB (Shamsi) [solar_hijri]
sex = Gender
phone = Mobile + WhatsApp
sex: Mard=M, Zan=F
category: VIP=other_at_risk
`), "y.map")
	if err != nil {
		t.Fatal(err)
	}
	in := "id,NAME OF  APPLICANT,DOB (Shamsi),Gender,Mobile,WhatsApp,category,email\n" +
		"7,Gul Ahmad,12/05/1365,zan,0799123456,0700111222,VIP,g@example.org\n" +
		"8,Gul Ahmad,1365,Mard,,,,\n"
	res := readString(t, in, Options{Mapping: m})
	if len(res.Rejected) > 0 {
		t.Fatal(res.Rejected)
	}
	r := res.Records[0]
	got := []string{r.Source, r.SourceID, r.FullName, string(r.Sex), r.DOB.String(), strings.Join(r.Phones, " "), string(r.Category), strings.Join(r.Emails, " ")}
	want := []string{"ngo-y", "7", "Gul Ahmad", "F", "1986", "+93799123456 +93700111222", "other_at_risk", "g@example.org"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
	if r.DOB.YearTo != 1987 || len(r.Flags) != 1 || r.Flags[0].Code != FlagDateAmbiguous {
		t.Errorf("dob %+v flags %v", r.DOB, r.Flags)
	}
	if res.Records[1].Sex != "M" {
		t.Errorf("sex %q", res.Records[1].Sex)
	}
	// A mapped column missing from the file is a file error naming the mapping line.
	_, err = Read(strings.NewReader("id,Name\n1,x\n"), "f.csv", FormatCSV, Options{Mapping: m})
	if err == nil || !strings.Contains(err.Error(), `mapping y.map line 4: no column "Name of Applicant" in the file (it has "id", "Name")`) {
		t.Errorf("err %v", err)
	}
}

func FuzzParseMapping(f *testing.F) {
	f.Add("source = ngo-x\nsheet = S\nheader_row = 2\ngiven_name = Name of Applicant\ndate_of_birth = DOB (Shamsi) [solar_hijri]\nphone = A + B\nsex: Male=M, مرد=M\n")
	f.Add("# c\nnational_id = Tazkira #\npassport_no = P \\# x # comment\ncategory: SIV=siv_applicant\n")
	f.Add("date_order = dmy\ncalendar = auto\nphone_region = AF\nsource_column = Org\n")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMapping(strings.NewReader(s), "f.map")
		if err != nil {
			return
		}
		for f, spec := range m.Columns {
			if !isField(f) || len(spec.Headers) == 0 {
				t.Fatalf("field %q spec %+v", f, spec)
			}
			for _, h := range spec.Headers {
				if h == "" || strings.TrimSpace(h) != h {
					t.Fatalf("header %q", h)
				}
			}
		}
		// Whatever parsed renders to text that parses to the same mapping,
		// unless a value holds the characters the format uses as syntax.
		if strings.ContainsAny(s, "#\\,=:") {
			return
		}
		m2, err := ParseMapping(strings.NewReader(m.String()), "f.map")
		if err != nil {
			t.Fatalf("re-parse of %q: %v", m.String(), err)
		}
		if !cmp.Equal(m, m2, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Line" }, cmp.Ignore())) {
			t.Fatalf("round trip differs:\n%s", cmp.Diff(m, m2, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Line" }, cmp.Ignore())))
		}
	})
}

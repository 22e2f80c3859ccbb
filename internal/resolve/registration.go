package resolve

import (
	"strings"

	"muster"
	"muster/internal/names"
)

// Registration fields, in Data order.
const (
	regGiven = iota
	regFamily
	regFather
	regDOB
	regPlace
	regSex
	regPassport
	regNationalID
	regPhone
	regEmail
	regFields
)

// NewRegistrations returns an empty data set with the fields of a muster
// registration. Names are compared in muster's Latin key space, so a name
// written in Arabic script meets its romanisations.
func NewRegistrations() *Data {
	return NewData([]Field{
		regGiven:      {Name: "given", Cmp: NewNameCmp(), TF: true},
		regFamily:     {Name: "family", Cmp: NewNameCmp(), TF: true},
		regFather:     {Name: "father", Cmp: NewNameCmp(), TF: true},
		regDOB:        {Name: "date_of_birth", Cmp: &DateCmp{}, TF: true, Veto: 6},
		regPlace:      {Name: "place_of_birth", Cmp: NewStringCmp(), TF: true},
		regSex:        {Name: "sex", Cmp: &ExactCmp{}},
		regPassport:   {Name: "passport", Cmp: &CodeCmp{}, Veto: 2},
		regNationalID: {Name: "national_id", Cmp: &CodeCmp{}},
		regPhone:      {Name: "phone", Cmp: &ExactCmp{}, TF: true},
		regEmail:      {Name: "email", Cmp: &ExactCmp{}, TF: true},
	})
}

// AddRecord appends a registration. Members of one case from one source are
// known to be different people.
func AddRecord(d *Data, r *muster.Record) error {
	given, family := nameKey(r.Given), nameKey(r.Family)
	if given == "" && family == "" {
		// Only a full name: its last word is the family name when there is
		// more than one; Afghan names often have no family name at all.
		full := nameKey(r.FullName)
		if full == "" {
			full = nameKey(r.NativeName)
		}
		if w := strings.Fields(full); len(w) > 1 {
			given, family = strings.Join(w[:len(w)-1], " "), w[len(w)-1]
		} else {
			given = full
		}
	}
	group := ""
	if r.CaseRef != "" {
		group = r.Source + "\x00" + r.CaseRef
	}
	v := make([]string, regFields)
	v[regGiven], v[regFamily], v[regFather] = given, family, nameKey(r.Father)
	v[regDOB] = dateKey(r.DOB)
	v[regPlace] = nameKey(r.PlaceOfBirth)
	v[regSex] = string(r.Sex)
	v[regPassport] = docKey(r.Passport)
	v[regNationalID] = docKey(r.NationalID)
	v[regPhone] = strings.Join(r.Phones, "|")
	v[regEmail] = strings.ToLower(strings.Join(r.Emails, "|"))
	return d.Add(r.Key(), group, v)
}

func nameKey(s string) string { return names.ToLatin(s) }

// docKey keeps letters and digits only, upper-cased: "P 123-456" is P123456.
func docKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dateKey writes a date in the form DateCmp reads; a Solar Hijri year alone
// becomes the range of the two Gregorian years it spans.
func dateKey(t muster.Date) string {
	switch t.Precision {
	case muster.PrecisionYear:
		if t.YearTo != 0 && t.YearTo != t.Year {
			lo, hi := min(t.Year, t.YearTo), max(t.Year, t.YearTo)
			return itoa(lo) + "~" + itoa(hi)
		}
		return itoa(t.Year)
	case muster.PrecisionMonth, muster.PrecisionDay:
		return t.String()
	}
	return ""
}

// RegistrationOptions returns the blocking rules and family guard for
// registrations.
func RegistrationOptions(d *Data) Options {
	first := func(s string) []string {
		w := strings.Fields(s)
		if len(w) == 0 {
			return nil
		}
		return []string{Soundex(w[0])}
	}
	last := func(s string) []string {
		w := strings.Fields(s)
		if len(w) == 0 {
			return nil
		}
		return []string{Soundex(w[len(w)-1])}
	}
	return Options{
		Rules: []Rule{
			On("given+family", Part{regGiven, first}, Part{regFamily, last}),
			On("given+birth-year", Part{regGiven, first}, Part{regDOB, YearKey}),
			On("given+father", Part{regGiven, first}, Part{regFather, first}),
			On("father+family", Part{regFather, first}, Part{regFamily, last}),
			On("family+birth-year", Part{regFamily, last}, Part{regDOB, YearKey}),
			On("passport", Part{regPassport, nil}),
			On("national_id", Part{regNationalID, nil}),
			On("phone", Part{regPhone, SplitKey}),
			On("email", Part{regEmail, SplitKey}),
		},
		SortKey: func(i int) string {
			return d.Value(regFamily, i) + " " + d.Value(regFather, i) + " " + d.Value(regGiven, i) + " " + d.Value(regDOB, i)
		},
		Veto: familyVeto,
	}
}

// familyVeto keeps siblings apart: the same father but clearly different
// given names are two children of one family, however much else agrees.
func familyVeto(d *Data, i, j int32, g uint64) bool {
	fa, gi := level(g, regFather), level(g, regGiven)
	return fa <= 2 && gi == len(d.Fields[regGiven].Cmp.Levels())-1
}

// NameCmp grades names in muster's Latin key space word by word, so word
// order, a dropped middle name and transliteration variants (Mohammad,
// Muhammad, محمد) cost little: exact, close (>= 0.92), near (>= 0.85),
// partial (>= 0.7), else.
type NameCmp struct {
	Sim  func(a, b string) float64
	toks [][]string
}

// NewNameCmp compares words with the name engine's transliteration-aware
// similarity.
func NewNameCmp() *NameCmp { return &NameCmp{Sim: names.TokenSim} }

func (c *NameCmp) Levels() []string {
	return []string{"exact", "close", "near", "partial", "else"}
}
func (c *NameCmp) Prepare(v []string) {
	c.toks = make([][]string, len(v))
	for i, s := range v {
		c.toks[i] = strings.Fields(s)
	}
}
func (c *NameCmp) Level(a, b int32) int {
	s := c.similarity(c.toks[a], c.toks[b])
	switch {
	case s >= 0.999:
		return 0
	case s >= 0.92:
		return 1
	case s >= 0.85:
		return 2
	case s >= 0.7:
		return 3
	}
	return 4
}

// similarity aligns each word of the shorter name with its best match in
// the longer one; words left over cost a little each.
func (c *NameCmp) similarity(x, y []string) float64 {
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	if len(x) > len(y) {
		x, y = y, x
	}
	total := 0.0
	for _, a := range x {
		best := 0.0
		for _, b := range y {
			best = max(best, c.Sim(a, b))
		}
		total += best
	}
	s := total / float64(len(x))
	return s * (1 - 0.05*float64(len(y)-len(x)))
}

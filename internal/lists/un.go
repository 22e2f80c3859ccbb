package lists

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"muster"
)

// The UN Security Council Consolidated List, XML as published at
// scsanctions.un.org (schema sc-sanctions.xsd). Only the elements muster
// uses are declared; encoding/xml skips the rest.
type unList struct {
	Individuals []unIndividual `xml:"INDIVIDUALS>INDIVIDUAL"`
	Entities    []unEntity     `xml:"ENTITIES>ENTITY"`
}

type unValues struct {
	Values []string `xml:"VALUE"`
}

type unIndividual struct {
	First          string       `xml:"FIRST_NAME"`
	Second         string       `xml:"SECOND_NAME"`
	Third          string       `xml:"THIRD_NAME"`
	Fourth         string       `xml:"FOURTH_NAME"`
	ListType       string       `xml:"UN_LIST_TYPE"`
	Ref            string       `xml:"REFERENCE_NUMBER"`
	Gender         string       `xml:"GENDER"`
	OriginalScript string       `xml:"NAME_ORIGINAL_SCRIPT"`
	Comments       string       `xml:"COMMENTS1"`
	Nationality    unValues     `xml:"NATIONALITY"`
	Aliases        []unAlias    `xml:"INDIVIDUAL_ALIAS"`
	Addresses      []unAddress  `xml:"INDIVIDUAL_ADDRESS"`
	DOBs           []unDOB      `xml:"INDIVIDUAL_DATE_OF_BIRTH"`
	POBs           []unAddress  `xml:"INDIVIDUAL_PLACE_OF_BIRTH"`
	Documents      []unDocument `xml:"INDIVIDUAL_DOCUMENT"`
}

type unEntity struct {
	First          string      `xml:"FIRST_NAME"`
	OriginalScript string      `xml:"NAME_ORIGINAL_SCRIPT"`
	ListType       string      `xml:"UN_LIST_TYPE"`
	Ref            string      `xml:"REFERENCE_NUMBER"`
	Comments       string      `xml:"COMMENTS1"`
	Aliases        []unAlias   `xml:"ENTITY_ALIAS"`
	Addresses      []unAddress `xml:"ENTITY_ADDRESS"`
}

type unAlias struct {
	Quality string `xml:"QUALITY"`
	Name    string `xml:"ALIAS_NAME"`
}

type unAddress struct {
	Street  string `xml:"STREET"`
	City    string `xml:"CITY"`
	State   string `xml:"STATE_PROVINCE"`
	Country string `xml:"COUNTRY"`
}

type unDOB struct {
	Type     string `xml:"TYPE_OF_DATE"`
	Date     string `xml:"DATE"`
	Year     string `xml:"YEAR"`
	FromYear string `xml:"FROM_YEAR"`
	ToYear   string `xml:"TO_YEAR"`
	Note     string `xml:"NOTE"`
}

type unDocument struct {
	Type           string `xml:"TYPE_OF_DOCUMENT"`
	Number         string `xml:"NUMBER"`
	IssuingCountry string `xml:"ISSUING_COUNTRY"`
	CountryOfIssue string `xml:"COUNTRY_OF_ISSUE"`
}

// ParseUN reads the UN Security Council Consolidated List XML. Individuals'
// names are FIRST to FOURTH_NAME in the list's order; NAME_ORIGINAL_SCRIPT
// (Arabic for most Taliban and ISIL/al-Qaida entries) is another primary
// name; aliases keep their quality (Good, Low; entities' a.k.a./f.k.a. become
// the kind). REFERENCE_NUMBER is the id and UN_LIST_TYPE the programme.
func ParseUN(r io.Reader) ([]Entry, error) {
	var l unList
	d := xml.NewDecoder(r)
	if err := d.Decode(&l); err != nil {
		return nil, muster.Errorf(muster.EINVALID, "UN consolidated list: %v", err)
	}
	out := make([]Entry, 0, len(l.Individuals)+len(l.Entities))
	seen := make(map[string]bool, cap(out))
	check := func(ref, kind string, i int) (string, error) {
		ref = cleanSpace(ref)
		if ref == "" {
			return "", muster.Errorf(muster.EINVALID, "UN consolidated list: %s %d has no REFERENCE_NUMBER", kind, i+1)
		}
		if seen[ref] {
			return "", muster.Errorf(muster.EINVALID, "UN consolidated list: %s listed twice", ref)
		}
		seen[ref] = true
		return ref, nil
	}
	for i, in := range l.Individuals {
		ref, err := check(in.Ref, "individual", i)
		if err != nil {
			return nil, err
		}
		e := Entry{List: UNSC, ID: ref, Type: TypeIndividual, Remarks: cleanSpace(in.Comments)}
		e.Programs = appendUniq(nil, cleanSpace(in.ListType))
		var parts []string
		for _, p := range []string{in.First, in.Second, in.Third, in.Fourth} {
			if p = cleanSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		e.addName(EntryName{Name: strings.Join(parts, " "), Kind: KindPrimary})
		if in.OriginalScript != "" {
			e.addName(EntryName{Name: in.OriginalScript, Kind: KindPrimary})
		}
		for _, a := range in.Aliases {
			e.addName(unAliasName(a, TypeIndividual))
		}
		if len(e.Names) == 0 {
			return nil, muster.Errorf(muster.EINVALID, "UN consolidated list: %s has no name", ref)
		}
		switch strings.ToLower(cleanSpace(in.Gender)) {
		case "male":
			e.Sex = muster.SexMale
		case "female":
			e.Sex = muster.SexFemale
		}
		for _, n := range in.Nationality.Values {
			if c := CountryCode(n); c != "" {
				e.Nationalities = appendUniq(e.Nationalities, c)
			}
		}
		for _, d := range in.DOBs {
			if r, ok := unDateRange(d); ok {
				e.DOBs = append(e.DOBs, r)
			}
		}
		for _, p := range in.POBs {
			if a, ok := unAddr(p); ok {
				e.POBs = appendUniq(e.POBs, a.Text)
			}
		}
		for _, a := range in.Addresses {
			if a, ok := unAddr(a); ok {
				e.Addresses = append(e.Addresses, a)
			}
		}
		for _, doc := range in.Documents {
			num := cleanSpace(doc.Number)
			if num == "" {
				continue
			}
			c := CountryCode(doc.IssuingCountry)
			if c == "" {
				c = CountryCode(doc.CountryOfIssue)
			}
			e.Documents = append(e.Documents, muster.Document{Type: unDocType(doc.Type), Number: num, Country: c})
		}
		out = append(out, e)
	}
	for i, en := range l.Entities {
		ref, err := check(en.Ref, "entity", i)
		if err != nil {
			return nil, err
		}
		e := Entry{List: UNSC, ID: ref, Type: TypeEntity, Remarks: cleanSpace(en.Comments)}
		e.Programs = appendUniq(nil, cleanSpace(en.ListType))
		e.addName(EntryName{Name: en.First, Kind: KindPrimary})
		// "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL) ; GREAT LAKES
		// BUSINESS COMPANY (GLBC)": each part is a name of its own.
		if parts := strings.Split(en.First, ";"); len(parts) > 1 {
			for _, p := range parts {
				e.addName(EntryName{Name: p, Kind: KindAKA})
			}
		}
		if en.OriginalScript != "" {
			e.addName(EntryName{Name: en.OriginalScript, Kind: KindPrimary})
		}
		for _, a := range en.Aliases {
			e.addName(unAliasName(a, TypeEntity))
		}
		if len(e.Names) == 0 {
			return nil, muster.Errorf(muster.EINVALID, "UN consolidated list: %s has no name", ref)
		}
		for _, a := range en.Addresses {
			if a, ok := unAddr(a); ok {
				e.Addresses = append(e.Addresses, a)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func unAliasName(a unAlias, typ string) EntryName {
	n := EntryName{Name: cleanSpace(a.Name), Kind: KindAKA}
	switch strings.ToLower(cleanSpace(a.Quality)) {
	case "good":
		n.Quality = QualityGood
	case "low":
		n.Quality = QualityLow
	case "f.k.a.", "fka":
		n.Kind = KindFKA
	case "n.k.a.", "nka":
		n.Kind = KindNKA
	}
	// The UN writes some individuals' aliases "Al-Haq, Amin".
	if typ == TypeIndividual {
		if i := strings.Index(n.Name, ", "); i > 0 && !strings.Contains(n.Name[i+2:], ",") {
			n.Family, n.Given = n.Name[:i], n.Name[i+2:]
			n.Name = n.Given + " " + n.Family
		}
	}
	return n
}

func unAddr(a unAddress) (Address, bool) {
	var parts []string
	for _, p := range []string{a.Street, a.City, a.State, a.Country} {
		if p = cleanSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return Address{}, false
	}
	return Address{Text: strings.Join(parts, ", "), Country: CountryCode(a.Country)}, true
}

func unDocType(t string) string {
	t = strings.ToLower(t)
	switch {
	case strings.Contains(t, "pass"): // Passport, Numéro de passeport, Número de pasaporte
		return "passport"
	case strings.Contains(t, "national") || strings.Contains(t, "identi"):
		return "national_id"
	}
	return "other"
}

// unDateRange reads one INDIVIDUAL_DATE_OF_BIRTH: EXACT with DATE
// (YYYY-MM-DD) or YEAR, APPROXIMATELY with either, BETWEEN with FROM_YEAR and
// TO_YEAR. An empty element (TYPE_OF_DATE with nothing else) is no date.
func unDateRange(d unDOB) (DateRange, bool) {
	var r DateRange
	typ := strings.ToUpper(cleanSpace(d.Type))
	r.Approx = typ == "APPROXIMATELY" || strings.EqualFold(cleanSpace(d.Note), "approximately")
	if typ == "BETWEEN" || (d.FromYear != "" && d.ToYear != "") {
		f, ok1 := unYear(d.FromYear)
		t, ok2 := unYear(d.ToYear)
		if !ok1 || !ok2 {
			return DateRange{}, false
		}
		r.From, r.To = f, t
		return r, true
	}
	if s := cleanSpace(d.Date); s != "" {
		date, ok := unDate(s)
		if !ok {
			return DateRange{}, false
		}
		r.From = date
		return r, true
	}
	if y, ok := unYear(d.Year); ok {
		r.From = y
		return r, true
	}
	return DateRange{}, false
}

func unYear(s string) (muster.Date, bool) {
	s = cleanSpace(s)
	y, err := strconv.Atoi(s)
	if err != nil || y < 1800 || y > 2100 {
		return muster.Date{}, false
	}
	return muster.Date{Year: y, Precision: muster.PrecisionYear, Calendar: "gregorian", Written: s}, true
}

// unDate reads YYYY-MM-DD, tolerating a time suffix.
func unDate(s string) (muster.Date, bool) {
	if len(s) > 10 {
		s = s[:10]
	}
	var y, m, day int
	if n, err := fmt.Sscanf(s, "%4d-%2d-%2d", &y, &m, &day); err != nil || n != 3 {
		return unYear(s)
	}
	if y < 1800 || y > 2100 || m < 1 || m > 12 || day < 1 || day > 31 {
		return muster.Date{}, false
	}
	return muster.Date{Year: y, Month: m, Day: day, Precision: muster.PrecisionDay, Calendar: "gregorian", Written: s}, true
}

package lists

import (
	"sort"
	"strconv"
	"strings"

	"muster"
)

// OFAC packs what it knows about an entry into one remark of
// semicolon-separated items: "DOB 10 Dec 1948; alt. DOB 1950; POB Kabul,
// Afghanistan; nationality Afghanistan; Passport OR801168 (Afghanistan)
// expires 27 Feb 2014; Gender Male; a.k.a. 'ABU HAFS'; Linked To: ...".
// parseOFACRemarks lifts the items screening and the screener need into the
// entry and leaves the rest in Remarks.
func parseOFACRemarks(e *Entry, remarks string) {
	e.Remarks = cleanSpace(remarks)
	if e.Remarks == "" {
		return
	}
	for _, item := range splitRemarks(e.Remarks) {
		p := strings.TrimSpace(item)
		p = strings.TrimSpace(strings.TrimPrefix(p, "alt."))
		if p == "" {
			continue
		}
		low := strings.ToLower(p)
		switch {
		case strings.HasPrefix(low, "dob ") || strings.HasPrefix(low, "dob:"):
			if d, ok := parseOFACDOB(strings.TrimLeft(p[3:], ": ")); ok {
				e.DOBs = append(e.DOBs, d)
			}
		case strings.HasPrefix(low, "pob "):
			e.POBs = appendUniq(e.POBs, strings.TrimSuffix(strings.TrimSpace(p[4:]), "."))
		case strings.HasPrefix(low, "nationality "), strings.HasPrefix(low, "citizen "):
			rest := strings.TrimSuffix(p[strings.IndexByte(p, ' ')+1:], ".")
			if c := remarkCountry(rest); c != "" {
				e.Nationalities = appendUniq(e.Nationalities, c)
			}
		case strings.HasPrefix(low, "gender "):
			switch strings.TrimSuffix(strings.TrimSpace(low[7:]), ".") {
			case "male":
				e.Sex = muster.SexMale
			case "female":
				e.Sex = muster.SexFemale
			}
		case strings.HasPrefix(low, "a.k.a. '"), strings.HasPrefix(low, "f.k.a. '"), strings.HasPrefix(low, "n.k.a. '"):
			// OFAC's "weak" aliases: too broad to block on alone, so
			// screening weighs them lower.
			name := strings.TrimSuffix(strings.TrimSpace(p[7:]), ".")
			name = strings.Trim(name, "'")
			kind := KindAKA
			switch low[0] {
			case 'f':
				kind = KindFKA
			case 'n':
				kind = KindNKA
			}
			n := ofacName(name, e.Type, kind)
			n.Quality = QualityLow
			e.addName(n)
		default:
			if d, ok := parseOFACDocument(p); ok {
				e.Documents = append(e.Documents, d)
			}
		}
	}
}

// splitRemarks splits on ';' outside single-quoted aliases.
func splitRemarks(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			// An apostrophe inside a word (NU'MAN) does not open a quote.
			if !quoted && i > 0 && s[i-1] != ' ' {
				continue
			}
			if quoted && i+1 < len(s) && s[i+1] != ';' && s[i+1] != '.' && s[i+1] != ' ' {
				continue
			}
			quoted = !quoted
		case ';':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if quoted {
		// An opening quote never closed: the quote guess was wrong, so
		// split plainly rather than swallow the rest of the remark.
		return strings.Split(s, ";")
	}
	return append(out, s[start:])
}

// remarkCountry resolves "Afghanistan", "Korea, North", "Khan Younis,
// Gaza" (the last part), "North Macedonia, The Republic of" (the first) and
// "possibly Palestinian" to a code.
func remarkCountry(s string) string {
	s = strings.TrimSpace(s)
	for _, p := range []string{"possibly ", "Region: ", "region "} {
		s = strings.TrimPrefix(s, p)
	}
	if c := CountryCode(s); c != "" {
		return c
	}
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		if c := CountryCode(s[i+1:]); c != "" {
			return c
		}
		return CountryCode(s[:strings.IndexByte(s, ',')])
	}
	return ""
}

// parseOFACDOB reads the forms OFAC writes after "DOB": "10 Dec 1948",
// "Dec 1948", "1948", "circa 1951", "circa 1970-1972", "1960 to 1962",
// "01 Jan 1960 to 31 Dec 1962".
func parseOFACDOB(s string) (DateRange, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
	var r DateRange
	if rest, ok := cutPrefixFold(s, "circa "); ok {
		r.Approx = true
		s = strings.TrimSpace(rest)
	}
	if from, to, ok := strings.Cut(s, " to "); ok {
		f, ok1 := parseOFACDate(from)
		t, ok2 := parseOFACDate(to)
		if !ok1 || !ok2 {
			return DateRange{}, false
		}
		r.From, r.To = f, t
		return r, true
	}
	if from, to, ok := strings.Cut(s, "-"); ok && len(from) == 4 && len(to) == 4 {
		f, ok1 := parseOFACDate(from)
		t, ok2 := parseOFACDate(to)
		if !ok1 || !ok2 {
			return DateRange{}, false
		}
		r.From, r.To = f, t
		return r, true
	}
	d, ok := parseOFACDate(s)
	if !ok {
		return DateRange{}, false
	}
	r.From = d
	return r, true
}

var monthNames = []string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// monthNumber reads "Dec", "December" or "Sept"; 0 when it is none.
func monthNumber(s string) int {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if len(s) < 3 {
		return 0
	}
	for i, m := range monthNames {
		if strings.HasPrefix(m, s) {
			return i + 1
		}
	}
	return 0
}

// parseOFACDate reads "10 Dec 1948", "Dec 1948" or "1948".
func parseOFACDate(s string) (muster.Date, bool) {
	s = strings.TrimSpace(s)
	f := strings.Fields(s)
	d := muster.Date{Calendar: "gregorian", Written: s}
	year := func(t string) bool {
		y, err := strconv.Atoi(t)
		if err != nil || len(t) != 4 || y < 1800 || y > 2100 {
			return false
		}
		d.Year = y
		return true
	}
	switch len(f) {
	case 1:
		if !year(f[0]) {
			return muster.Date{}, false
		}
		d.Precision = muster.PrecisionYear
	case 2:
		d.Month = monthNumber(f[0])
		if d.Month == 0 || !year(f[1]) {
			return muster.Date{}, false
		}
		d.Precision = muster.PrecisionMonth
	case 3:
		day, err := strconv.Atoi(f[0])
		d.Month = monthNumber(f[1])
		if err != nil || day < 1 || day > 31 || d.Month == 0 || !year(f[2]) {
			return muster.Date{}, false
		}
		d.Day = day
		d.Precision = muster.PrecisionDay
	default:
		return muster.Date{}, false
	}
	return d, true
}

// ofacIDLabels are the remark labels of identifying numbers, with the
// document type muster files them under. Labels of numbers that identify a
// company or a vessel are "other": they still let a screener confirm a hit.
var ofacIDLabels = map[string]string{
	"Passport":                           "passport",
	"Passport No.":                       "passport",
	"Diplomatic Passport":                "passport",
	"National ID No.":                    "national_id",
	"National ID Number":                 "national_id",
	"National Identification Number":     "national_id",
	"Cedula No.":                         "national_id",
	"D.N.I.":                             "national_id",
	"Identification Number":              "national_id",
	"Personal ID Card":                   "national_id",
	"Citizen's Card Number":              "national_id",
	"Kenyan ID No.":                      "national_id",
	"Tazkira":                            "national_id",
	"Tazkira No.":                        "national_id",
	"C.U.R.P.":                           "national_id",
	"Tax ID No.":                         "other",
	"R.F.C.":                             "other",
	"SSN":                                "other",
	"Driver's License No.":               "other",
	"NIT #":                              "other",
	"Residency Number":                   "other",
	"Birth Certificate Number":           "other",
	"Registration Number":                "other",
	"Registration ID":                    "other",
	"Business Registration Number":       "other",
	"Company Number":                     "other",
	"Commercial Registry Number":         "other",
	"Legal Entity Number":                "other",
	"Vessel Registration Identification": "other",
	"MMSI":                               "other",
	"Aircraft Tail Number":               "other",
	"SWIFT/BIC":                          "other",
	"Trade License No.":                  "other",
	"Matricula Mercantil No":             "other",
	"Folio Mercantil No.":                "other",
	"Government Gazette Number":          "other",
	"Unified Social Credit Code (USCC)":  "other",
	"Economic Register Number (CBLS)":    "other",
	"Stateless Person ID Card":           "national_id",
	"Refugee ID Card":                    "national_id",
	"Electoral Registry No.":             "national_id",
	"Identity Card":                      "national_id",
	"Identification Card Number":         "national_id",
}

// ofacLabelsByLength tries the longest label first, so that "Passport No."
// wins over "Passport".
var ofacLabelsByLength = func() []string {
	ls := make([]string, 0, len(ofacIDLabels))
	for l := range ofacIDLabels {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool {
		if len(ls[i]) != len(ls[j]) {
			return len(ls[i]) > len(ls[j])
		}
		return ls[i] < ls[j]
	})
	return ls
}()

// parseOFACDocument reads "Passport OR801168 (Afghanistan) expires 27 Feb
// 2014" and the like: the number runs to the bracketed country or to
// "issued"/"expires".
func parseOFACDocument(p string) (muster.Document, bool) {
	for _, l := range ofacLabelsByLength {
		rest, ok := strings.CutPrefix(p, l+" ")
		if !ok {
			continue
		}
		var country string
		if i := strings.IndexByte(rest, '('); i >= 0 {
			if j := strings.IndexByte(rest[i:], ')'); j > 0 {
				country = CountryCode(rest[i+1 : i+j])
			}
			rest = rest[:i]
		}
		for _, stop := range []string{" issued", " expires", " Issued", " Expires"} {
			if i := strings.Index(rest, stop); i >= 0 {
				rest = rest[:i]
			}
		}
		num := strings.TrimSuffix(strings.TrimSpace(rest), ".")
		if num == "" || !strings.ContainsAny(num, "0123456789") {
			return muster.Document{}, false
		}
		return muster.Document{Type: ofacIDLabels[l], Number: num, Country: country}, true
	}
	return muster.Document{}, false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

package intake

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"muster"
)

// Calendar is the calendar a date is written in.
type Calendar int

const (
	// Auto takes years 1300-1420 as Solar Hijri (born 1921-2042 CE) and
	// the rest as Gregorian: no Gregorian date of birth of a living person
	// falls in 1300-1420, and every Solar Hijri one does.
	Auto Calendar = iota
	Gregorian
	SolarHijri
)

func (c Calendar) String() string {
	switch c {
	case Gregorian:
		return "gregorian"
	case SolarHijri:
		return "solar_hijri"
	}
	return "auto"
}

func parseCalendar(s string) (Calendar, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return Auto, nil
	case "gregorian", "g":
		return Gregorian, nil
	case "solar_hijri", "solar hijri", "shamsi", "jalali", "persian", "sh":
		return SolarHijri, nil
	}
	return Auto, fmt.Errorf("unknown calendar %q (auto, gregorian or solar_hijri)", s)
}

// DateOrder is the order of day and month in a numeric date with the year
// last.
type DateOrder int

const (
	OrderUnknown DateOrder = iota // decide per value; flag when both readings work
	OrderDMY
	OrderMDY
)

func (o DateOrder) String() string {
	switch o {
	case OrderDMY:
		return "dmy"
	case OrderMDY:
		return "mdy"
	}
	return "unknown"
}

func parseDateOrder(s string) (DateOrder, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "dmy", "dd/mm/yyyy", "day first":
		return OrderDMY, nil
	case "mdy", "mm/dd/yyyy", "month first":
		return OrderMDY, nil
	case "unknown", "auto", "":
		return OrderUnknown, nil
	}
	return OrderUnknown, fmt.Errorf("unknown date order %q (dmy or mdy)", s)
}

// Flag codes set on dates.
const (
	FlagDateAmbiguous   = "date_ambiguous"   // 03/04/1990: day and month may be swapped; only the year is kept
	FlagDateInvalid     = "date_invalid"     // not a date, or an impossible one; kept as written
	FlagDatePlaceholder = "date_placeholder" // 1 January (or 1 Hamal): often stands for "unknown"
	FlagDateFuture      = "date_future"
	FlagDateOld         = "date_old" // more than 120 years ago
	FlagCalendar        = "calendar_mismatch"
	FlagDateApproximate = "date_approximate" // "ca. 1980", "~1980"
)

// ParseDate parses a date of birth as partners write it: ISO 1986-08-03,
// 03/08/1986 (and with . or -), 5 Feb 1970, Feb 5, 1970, 1970-02, 1970,
// Solar Hijri 1365/05/12, 12 Asad 1365 or 1365, with Latin, Persian or
// Arabic-Indic digits. The result is Gregorian with its precision, and
// Written keeps s. A date whose day and month could be either way round
// keeps only its year and is flagged. An impossible or unreadable date
// returns an error and a Date holding only Written. Future dates, ages over
// 120 and 1 January are flagged. Empty s gives a zero Date and no error.
func ParseDate(s string, cal Calendar) (muster.Date, []muster.Flag, error) {
	return parseDate(s, cal, OrderUnknown, time.Now())
}

type dateToken struct {
	num    int
	digits int    // 0 for a word
	word   string // lower case
}

var errNotDate = errors.New("not a date")

func parseDate(s string, cal Calendar, order DateOrder, now time.Time) (muster.Date, []muster.Flag, error) {
	written := strings.TrimSpace(s)
	if written == "" {
		return muster.Date{}, nil, nil
	}
	bad := muster.Date{Written: written}
	toks, err := tokenizeDate(written)
	if err != nil {
		return bad, nil, err
	}
	var nums []dateToken
	month, monthCal := 0, Auto
	approx := strings.HasPrefix(written, "~")
	for _, t := range toks {
		if t.digits > 0 {
			nums = append(nums, t)
			continue
		}
		switch t.word {
		case "st", "nd", "rd", "th", "of", "the":
			continue
		case "ca", "c", "circa", "approx", "approximately", "about", "around", "est", "estimated", "حدود", "تقریبا", "تقريبا":
			approx = true
			continue
		case "ه", "h":
			// "هـ ش", "1365 H.S.": the ش (shamsi) decides; a lunar ق is refused below.
			continue
		case "ق", "قمری", "هق", "ah", "hq":
			return bad, nil, errors.New("lunar Hijri dates are not supported; convert to Gregorian or Solar Hijri")
		case "sh", "hs", "s", "ش", "هش", "shamsi", "solar":
			if cal == Gregorian {
				return bad, nil, fmt.Errorf("marked Solar Hijri in a Gregorian column")
			}
			cal = SolarHijri
			continue
		case "ad", "ce", "م", "ميلادي", "میلادی":
			cal = Gregorian
			continue
		}
		m, mc, ok := monthName(t.word)
		if !ok {
			return bad, nil, fmt.Errorf("%q is not a month name", t.word)
		}
		if month != 0 {
			return bad, nil, errors.New("two month names")
		}
		month, monthCal = m, mc
	}
	if monthCal != Auto {
		if cal != Auto && cal != monthCal {
			return bad, nil, fmt.Errorf("a %s month name in a %s column", monthCal, cal)
		}
		cal = monthCal
	}

	var y, m, d int
	prec := muster.PrecisionUnknown
	ambiguous := false
	var flags []muster.Flag
	switch {
	case month != 0:
		m = month
		switch {
		case len(nums) == 1 && nums[0].digits == 4: // Feb 1970
			y, prec = nums[0].num, muster.PrecisionMonth
		case len(nums) == 2 && nums[0].digits <= 2 && nums[1].digits == 4: // 5 Feb 1970, Feb 5, 1970
			d, y, prec = nums[0].num, nums[1].num, muster.PrecisionDay
		case len(nums) == 2 && nums[0].digits == 4 && nums[1].digits <= 2: // 1970 Feb 5
			y, d, prec = nums[0].num, nums[1].num, muster.PrecisionDay
		default:
			return bad, nil, errNotDate
		}
	case len(nums) == 1 && nums[0].digits == 4:
		y, prec = nums[0].num, muster.PrecisionYear
	case len(nums) == 1 && nums[0].digits == 8: // 19860803
		n := nums[0].num
		y, m, d, prec = n/10000, n/100%100, n%100, muster.PrecisionDay
	case len(nums) == 2 && nums[0].digits == 4 && nums[1].digits <= 2: // 1986-08
		y, m, prec = nums[0].num, nums[1].num, muster.PrecisionMonth
	case len(nums) == 2 && nums[0].digits <= 2 && nums[1].digits == 4: // 08/1986
		m, y, prec = nums[0].num, nums[1].num, muster.PrecisionMonth
	case len(nums) == 3 && nums[0].digits == 4 && nums[1].digits <= 2 && nums[2].digits <= 2: // 1986-08-03
		y, m, d, prec = nums[0].num, nums[1].num, nums[2].num, muster.PrecisionDay
	case len(nums) == 3 && nums[0].digits <= 2 && nums[1].digits <= 2 && nums[2].digits == 4:
		a, b := nums[0].num, nums[1].num
		y, prec = nums[2].num, muster.PrecisionDay
		cal = yearCalendar(y, cal)
		if a == 0 || b == 0 {
			// 00/00/1980, 00/05/1980: the zero is the unknown day.
			switch {
			case a == 0 && b == 0:
				prec = muster.PrecisionYear
			case a == 0 && b <= 12:
				m, prec = b, muster.PrecisionMonth
			case b == 0 && a <= 12:
				m, prec = a, muster.PrecisionMonth
			default:
				return bad, nil, fmt.Errorf("no month %d", max(a, b))
			}
			break
		}
		dmyOK := validYMD(y, b, a, cal)
		mdyOK := validYMD(y, a, b, cal)
		switch {
		case order == OrderDMY && dmyOK, order == OrderUnknown && dmyOK && (!mdyOK || a == b):
			d, m = a, b
		case order == OrderMDY && mdyOK, order == OrderUnknown && mdyOK && !dmyOK:
			m, d = a, b
		case order == OrderUnknown && dmyOK && mdyOK:
			ambiguous = true
			flags = append(flags, muster.Flag{Field: FieldDOB, Code: FlagDateAmbiguous, Detail: "day and month could be either way round; only the year is kept"})
		case dmyOK || mdyOK:
			ambiguous = true
			flags = append(flags, muster.Flag{Field: FieldDOB, Code: FlagDateAmbiguous, Detail: "valid only with day and month the other way round from the declared " + order.String() + " order; only the year is kept"})
		default:
			return bad, nil, fmt.Errorf("no such date, whichever of %d and %d is the day", a, b)
		}
	case len(nums) == 3 && (nums[2].digits == 2 || nums[0].digits == 2 && nums[1].digits == 2):
		return bad, nil, errors.New("two-digit year: the century is unknown")
	default:
		return bad, nil, errNotDate
	}

	// 00/00/1980 and 1980-05-00 say outright that the day (and month)
	// are unknown.
	if prec == muster.PrecisionDay && d == 0 {
		prec = muster.PrecisionMonth
		if m == 0 {
			prec = muster.PrecisionYear
		}
	}
	if prec == muster.PrecisionMonth && m == 0 {
		prec = muster.PrecisionYear
	}
	cal = yearCalendar(y, cal)
	if cal == SolarHijri && y >= 1800 {
		// A Gregorian date in a Solar Hijri column: 1800 SH is 2421 CE.
		cal = Gregorian
		flags = append(flags, muster.Flag{Field: FieldDOB, Code: FlagCalendar, Detail: "Gregorian year in a Solar Hijri column"})
	}
	if ambiguous {
		prec, m, d = muster.PrecisionYear, 0, 0
	}
	out := muster.Date{Written: written, Precision: prec, Calendar: cal.String()}
	switch {
	case cal == SolarHijri:
		if y < minSolarHijriYear || y > maxSolarHijriYear {
			return bad, nil, fmt.Errorf("Solar Hijri year %d out of range", y)
		}
		switch prec {
		case muster.PrecisionYear:
			// 1 Farvardin to 10 Dey fall in the first Gregorian year: most of it.
			out.Year, out.YearTo = y+621, y+622
		case muster.PrecisionMonth:
			if m < 1 || m > 12 {
				return bad, nil, fmt.Errorf("no month %d", m)
			}
			// A Solar Hijri month straddles two Gregorian months; take the
			// one holding its middle day.
			gy, gm, _, _ := SolarHijriToGregorian(y, m, 15)
			out.Year, out.Month = gy, gm
		case muster.PrecisionDay:
			gy, gm, gd, err := SolarHijriToGregorian(y, m, d)
			if err != nil {
				return bad, nil, err
			}
			out.Year, out.Month, out.Day = gy, gm, gd
		}
	default:
		if y < 1 {
			return bad, nil, errNotDate
		}
		switch prec {
		case muster.PrecisionMonth:
			if m < 1 || m > 12 {
				return bad, nil, fmt.Errorf("no month %d", m)
			}
		case muster.PrecisionDay:
			if !validYMD(y, m, d, Gregorian) {
				return bad, nil, fmt.Errorf("no day %d in month %d of %d", d, m, y)
			}
		}
		out.Year, out.Month, out.Day = y, m, d
	}
	if prec == muster.PrecisionDay && m == 1 && d == 1 {
		detail := "1 January often stands for an unknown date"
		if cal == SolarHijri {
			detail = "1 Hamal (Farvardin) often stands for an unknown date"
		}
		flags = append(flags, muster.Flag{Field: FieldDOB, Code: FlagDatePlaceholder, Detail: detail})
	}
	if approx {
		flags = append(flags, muster.Flag{Field: FieldDOB, Code: FlagDateApproximate})
	}
	flags = append(flags, ageFlags(out, now)...)
	return out, flags, nil
}

// ageFlags flags a date of birth in the future or more than 120 years ago.
func ageFlags(d muster.Date, now time.Time) []muster.Flag {
	if !d.Known() {
		return nil
	}
	first, last := d.Year, d.Year // the earliest and latest years the date may mean
	if d.YearTo != 0 {
		last = d.YearTo
	}
	ny, nm, nd := now.Date()
	switch {
	case first > ny,
		first == ny && d.Precision >= muster.PrecisionMonth && d.Month > int(nm),
		first == ny && d.Precision == muster.PrecisionDay && d.Month == int(nm) && d.Day > nd:
		return []muster.Flag{{Field: FieldDOB, Code: FlagDateFuture}}
	case ny-last > 120:
		return []muster.Flag{{Field: FieldDOB, Code: FlagDateOld, Detail: "more than 120 years ago"}}
	}
	return nil
}

func yearCalendar(y int, cal Calendar) Calendar {
	if cal == Auto {
		if y >= 1300 && y <= 1420 {
			return SolarHijri
		}
		return Gregorian
	}
	return cal
}

func validYMD(y, m, d int, cal Calendar) bool {
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	if cal == SolarHijri {
		return d <= shMonthLength(y, m)
	}
	return d <= daysIn(y, m)
}

// tokenizeDate splits a date into numbers and words. Separators are
// spaces, / . - , and the Arabic comma; a time of day after the date (as
// spreadsheets export "1986-08-03 00:00:00") is dropped.
func tokenizeDate(s string) ([]dateToken, error) {
	s = stripTime(foldDigits(s))
	toks := make([]dateToken, 0, 4)
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) || r == '\u0640' }
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= '0' && r <= '9':
			j := i
			n := 0
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				if j-i == 8 {
					return nil, errNotDate
				}
				n = n*10 + int(s[j]-'0')
				j++
			}
			toks = append(toks, dateToken{num: n, digits: j - i})
			i = j
		case isWord(r):
			j := i
			for j < len(s) {
				r2, sz := utf8.DecodeRuneInString(s[j:])
				if !isWord(r2) && r2 != '\u200c' {
					break
				}
				j += sz
			}
			w := s[i:j]
			if strings.ContainsAny(w, "\u0640\u200c") {
				w = strings.NewReplacer("\u0640", "", "\u200c", "").Replace(w)
			}
			toks = append(toks, dateToken{word: strings.ToLower(w)})
			i = j
		case r == ' ' || r == '/' || r == '.' || r == '-' || r == ',' || r == '،' || r == '\t' || r == '\u00a0' || r == '\\' || r == '~' && i == 0:
			i += size
		default:
			return nil, fmt.Errorf("unexpected character %q", r)
		}
		if len(toks) > 6 {
			return nil, errNotDate
		}
	}
	if len(toks) == 0 {
		return nil, errNotDate
	}
	return toks, nil
}

// timeRE matches a time of day after a date, as spreadsheets export
// them: "1986-08-03T00:00:00Z", "8/3/1986 12:00:00 AM", "03.08.1986 00:00".
var timeRE = regexp.MustCompile(`(?i)(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:am|pm|z|[+-]\d{2}:?\d{2})?$`)

// stripTime drops a time of day after a date.
func stripTime(s string) string {
	if strings.IndexByte(s, ':') < 0 {
		return s
	}
	if loc := timeRE.FindStringIndex(s); loc != nil && loc[0] >= 4 {
		return s[:loc[0]]
	}
	return s
}

// foldDigits turns Persian (U+06F0-06F9) and Arabic-Indic (U+0660-0669)
// digits into ASCII ones.
func foldDigits(s string) string {
	if !strings.ContainsFunc(s, isIndicDigit) {
		return s
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '\u06F0' && r <= '\u06F9':
			return '0' + r - '\u06F0'
		case r >= '\u0660' && r <= '\u0669':
			return '0' + r - '\u0660'
		}
		return r
	}, s)
}

func isIndicDigit(r rune) bool {
	return r >= '\u06F0' && r <= '\u06F9' || r >= '\u0660' && r <= '\u0669'
}

// monthName resolves an English (full or three-letter) or Solar Hijri
// month name (Afghan Dari and Iranian names, in Latin or Persian script).
func monthName(w string) (int, Calendar, bool) {
	if m, ok := gregorianMonths[w]; ok {
		return m, Gregorian, true
	}
	if m, ok := solarHijriMonths[w]; ok {
		return m, SolarHijri, true
	}
	return 0, Auto, false
}

var gregorianMonths = map[string]int{}

var solarHijriMonths = map[string]int{}

func init() {
	for i, names := range [][]string{
		{"january", "jan"}, {"february", "feb"}, {"march", "mar"}, {"april", "apr"},
		{"may"}, {"june", "jun"}, {"july", "jul"}, {"august", "aug"},
		{"september", "sep", "sept"}, {"october", "oct"}, {"november", "nov"}, {"december", "dec"},
	} {
		for _, n := range names {
			gregorianMonths[n] = i + 1
		}
	}
	for i, names := range [][]string{
		{"hamal", "farvardin", "حمل", "فروردین", "فروردين"},
		{"sawr", "saur", "thawr", "ordibehesht", "ثور", "اردیبهشت"},
		{"jawza", "jauza", "jawzā", "khordad", "جوزا", "جوزاء", "خرداد"},
		{"saratan", "tir", "سرطان", "تیر", "تير"},
		{"asad", "mordad", "amordad", "اسد", "مرداد", "امرداد"},
		{"sunbula", "sonbola", "sumbula", "shahrivar", "سنبله", "شهریور", "شهريور"},
		{"mizan", "mehr", "ميزان", "میزان", "مهر"},
		{"aqrab", "akrab", "aban", "عقرب", "آبان", "ابان"},
		{"qaws", "qaus", "azar", "قوس", "آذر", "اذر"},
		{"jadi", "jaddi", "dey", "dei", "جدی", "جدي", "دی", "دي"},
		{"dalw", "dalv", "bahman", "دلو", "بهمن"},
		{"hut", "hoot", "esfand", "حوت", "اسفند"},
	} {
		for _, n := range names {
			solarHijriMonths[n] = i + 1
		}
	}
}

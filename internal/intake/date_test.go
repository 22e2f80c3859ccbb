package intake

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
)

func TestSolarHijriKnownDates(t *testing.T) {
	for _, tc := range []struct{ y, m, d, gy, gm, gd int }{
		{1400, 1, 1, 2021, 3, 21},
		{1399, 1, 1, 2020, 3, 20},
		{1365, 5, 12, 1986, 8, 3}, // the example
		{1395, 1, 23, 2016, 4, 11},
		{1400, 4, 30, 2021, 7, 21},
		{1403, 5, 23, 2024, 8, 13},
		{1360, 5, 26, 1981, 8, 17},
		{1391, 10, 21, 2013, 1, 10},
		{1393, 5, 13, 2014, 8, 4},
		{1399, 12, 30, 2021, 3, 20}, // leap Esfand
		{1357, 11, 22, 1979, 2, 11}, // 22 Bahman, the revolution
		{1300, 1, 1, 1921, 3, 21},
		{1379, 10, 12, 2001, 1, 1},
	} {
		gy, gm, gd, err := SolarHijriToGregorian(tc.y, tc.m, tc.d)
		if err != nil || gy != tc.gy || gm != tc.gm || gd != tc.gd {
			t.Errorf("SolarHijriToGregorian(%d,%d,%d) = %d-%02d-%02d, %v; want %d-%02d-%02d", tc.y, tc.m, tc.d, gy, gm, gd, err, tc.gy, tc.gm, tc.gd)
		}
		y, m, d, err := GregorianToSolarHijri(tc.gy, tc.gm, tc.gd)
		if err != nil || y != tc.y || m != tc.m || d != tc.d {
			t.Errorf("GregorianToSolarHijri(%d,%d,%d) = %d/%d/%d, %v", tc.gy, tc.gm, tc.gd, y, m, d, err)
		}
	}
}

func TestSolarHijriInvalid(t *testing.T) {
	for _, tc := range [][3]int{{1400, 12, 30}, {1400, 13, 1}, {1400, 7, 31}, {1400, 0, 1}, {1400, 1, 0}, {900, 1, 1}, {3000, 1, 1}} {
		if _, _, _, err := SolarHijriToGregorian(tc[0], tc[1], tc[2]); err == nil {
			t.Errorf("SolarHijriToGregorian(%v): no error", tc)
		}
	}
	if _, _, _, err := GregorianToSolarHijri(2021, 2, 29); err == nil {
		t.Error("GregorianToSolarHijri(2021-02-29): no error")
	}
}

// nowruzOracle is the day of March on which Solar Hijri year jy begins,
// by Borkowski's algorithm ("The Persian calendar for 3000 years", the one
// jalaali-js uses), which tracks the astronomical calendar through a table
// of the years where the 33-year pattern breaks. It is an independent
// check of the plain 33-year rule the package uses.
func nowruzOracle(jy int) int {
	breaks := []int{-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178}
	div := func(a, b int) int { return a / b } // truncating, as in the original
	gy := jy + 621
	leapJ, jp, jump := -14, breaks[0], 0
	for _, jm := range breaks[1:] {
		jump = jm - jp
		if jy < jm {
			break
		}
		leapJ += div(jump, 33)*8 + div(jump%33, 4)
		jp = jm
	}
	n := jy - jp
	leapJ += div(n, 33)*8 + div(n%33+3, 4)
	if jump%33 == 4 && jump-n == 4 {
		leapJ++
	}
	leapG := div(gy, 4) - div((div(gy, 100)+1)*3, 4) - 150
	return 20 + leapJ - leapG
}

func TestNowruzAgainstOracle(t *testing.T) {
	// Published values first, so that the oracle is checked too.
	for jy, march := range map[int]int{1390: 21, 1391: 20, 1392: 21, 1393: 21, 1394: 21, 1395: 20, 1399: 20, 1400: 21} {
		if got := nowruzOracle(jy); got != march {
			t.Fatalf("oracle: Nowruz %d on March %d, want %d", jy, got, march)
		}
	}
	for jy := minSolarHijriYear; jy <= maxSolarHijriYear; jy++ {
		gy, gm, gd, err := SolarHijriToGregorian(jy, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if want := nowruzOracle(jy); gy != jy+621 || gm != 3 || gd != want {
			t.Errorf("1 Farvardin %d = %d-%02d-%02d, oracle says %d-03-%02d", jy, gy, gm, gd, jy+621, want)
		}
	}
}

// TestSolarHijriRoundTrip converts every day of two centuries both ways.
func TestSolarHijriRoundTrip(t *testing.T) {
	start := time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)
	prevY, prevM, _, err := GregorianToSolarHijri(1849, 12, 31)
	if err != nil {
		t.Fatal(err)
	}
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		y, m, dd, err := GregorianToSolarHijri(d.Year(), int(d.Month()), d.Day())
		if err != nil {
			t.Fatalf("%v: %v", d, err)
		}
		gy, gm, gd, err := SolarHijriToGregorian(y, m, dd)
		if err != nil || gy != d.Year() || gm != int(d.Month()) || gd != d.Day() {
			t.Fatalf("%v -> %d/%d/%d -> %d-%d-%d %v", d.Format(time.DateOnly), y, m, dd, gy, gm, gd, err)
		}
		// Consecutive days are consecutive Solar Hijri days.
		switch {
		case dd > 1:
			if y != prevY || m != prevM {
				t.Fatalf("%v: %d/%d/%d after %d/%d", d, y, m, dd, prevY, prevM)
			}
		case m > 1:
			if y != prevY || m != prevM+1 {
				t.Fatalf("%v: %d/%d/%d after %d/%d", d, y, m, dd, prevY, prevM)
			}
		default:
			if y != prevY+1 || prevM != 12 {
				t.Fatalf("%v: %d/%d/%d after %d/%d", d, y, m, dd, prevY, prevM)
			}
		}
		prevY, prevM = y, m
	}
}

func day(y, m, d int, cal, w string) muster.Date {
	return muster.Date{Year: y, Month: m, Day: d, Precision: muster.PrecisionDay, Calendar: cal, Written: w}
}

func TestParseDate(t *testing.T) {
	const g, sh = "gregorian", "solar_hijri"
	amb := muster.Flag{Field: FieldDOB, Code: FlagDateAmbiguous, Detail: "day and month could be either way round; only the year is kept"}
	ph := muster.Flag{Field: FieldDOB, Code: FlagDatePlaceholder, Detail: "1 January often stands for an unknown date"}
	for _, tc := range []struct {
		in    string
		cal   Calendar
		order DateOrder
		want  muster.Date
		flags []muster.Flag
		err   string
	}{
		{in: "", want: muster.Date{}},
		{in: "1986-08-03", want: day(1986, 8, 3, g, "1986-08-03")},
		{in: " 1986-8-3 ", want: day(1986, 8, 3, g, "1986-8-3")},
		{in: "1986/08/03", want: day(1986, 8, 3, g, "1986/08/03")},
		{in: "1986-08-03 00:00:00", want: day(1986, 8, 3, g, "1986-08-03 00:00:00")},
		{in: "1986-08-03T00:00:00Z", want: day(1986, 8, 3, g, "1986-08-03T00:00:00Z")},
		{in: "19860803", want: day(1986, 8, 3, g, "19860803")},
		{in: "25/12/1990", want: day(1990, 12, 25, g, "25/12/1990")},
		{in: "25.12.1990", want: day(1990, 12, 25, g, "25.12.1990")},
		{in: "25-12-1990", want: day(1990, 12, 25, g, "25-12-1990")},
		{in: "12/25/1990", want: day(1990, 12, 25, g, "12/25/1990")}, // only mm/dd works
		{in: "03/03/1990", want: day(1990, 3, 3, g, "03/03/1990")},   // either way the same
		{in: "03/04/1990", want: muster.Date{Year: 1990, Precision: muster.PrecisionYear, Calendar: g, Written: "03/04/1990"}, flags: []muster.Flag{amb}},
		{in: "03/04/1990", order: OrderDMY, want: day(1990, 4, 3, g, "03/04/1990")},
		{in: "03/04/1990", order: OrderMDY, want: day(1990, 3, 4, g, "03/04/1990")},
		{in: "12/25/1990", order: OrderDMY, want: muster.Date{Year: 1990, Precision: muster.PrecisionYear, Calendar: g, Written: "12/25/1990"},
			flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateAmbiguous, Detail: "valid only with day and month the other way round from the declared dmy order; only the year is kept"}}},
		{in: "31/02/1990", err: "no such date, whichever of 31 and 2 is the day"},
		{in: "1990-02-30", err: "no day 30 in month 2"},
		{in: "1990-13", err: "no month 13"},
		{in: "5 Feb 1970", want: day(1970, 2, 5, g, "5 Feb 1970")},
		{in: "05-FEB-1970", want: day(1970, 2, 5, g, "05-FEB-1970")},
		{in: "5th February 1970", want: day(1970, 2, 5, g, "5th February 1970")},
		{in: "Feb 5, 1970", want: day(1970, 2, 5, g, "Feb 5, 1970")},
		{in: "Sept 5 1970", want: day(1970, 9, 5, g, "Sept 5 1970")},
		{in: "February 1970", want: muster.Date{Year: 1970, Month: 2, Precision: muster.PrecisionMonth, Calendar: g, Written: "February 1970"}},
		{in: "1970-02", want: muster.Date{Year: 1970, Month: 2, Precision: muster.PrecisionMonth, Calendar: g, Written: "1970-02"}},
		{in: "02/1970", want: muster.Date{Year: 1970, Month: 2, Precision: muster.PrecisionMonth, Calendar: g, Written: "02/1970"}},
		{in: "1970", want: muster.Date{Year: 1970, Precision: muster.PrecisionYear, Calendar: g, Written: "1970"}},
		{in: "01/01/1980", want: day(1980, 1, 1, g, "01/01/1980"), flags: []muster.Flag{ph}},
		{in: "1 Jan 1980", want: day(1980, 1, 1, g, "1 Jan 1980"), flags: []muster.Flag{ph}},
		// Solar Hijri.
		{in: "1365/05/12", want: day(1986, 8, 3, sh, "1365/05/12")},
		{in: "1365-5-12", want: day(1986, 8, 3, sh, "1365-5-12")},
		{in: "12/05/1365", want: muster.Date{Year: 1986, YearTo: 1987, Precision: muster.PrecisionYear, Calendar: sh, Written: "12/05/1365"}, flags: []muster.Flag{amb}}, // 12 Asad or 5 Hut
		{in: "25/05/1365", want: day(1986, 8, 16, sh, "25/05/1365")},
		{in: "۱۳۶۵/۰۵/۱۲", want: day(1986, 8, 3, sh, "۱۳۶۵/۰۵/۱۲")},
		{in: "١٣٦٥/٠٥/١٢", want: day(1986, 8, 3, sh, "١٣٦٥/٠٥/١٢")},
		{in: "12 Asad 1365", want: day(1986, 8, 3, sh, "12 Asad 1365")},
		{in: "12 اسد 1365", want: day(1986, 8, 3, sh, "12 اسد 1365")},
		{in: "۱۲ مرداد ۱۳۶۵", want: day(1986, 8, 3, sh, "۱۲ مرداد ۱۳۶۵")},
		{in: "1365", want: muster.Date{Year: 1986, YearTo: 1987, Precision: muster.PrecisionYear, Calendar: sh, Written: "1365"}},
		{in: "۱۳۶۵", want: muster.Date{Year: 1986, YearTo: 1987, Precision: muster.PrecisionYear, Calendar: sh, Written: "۱۳۶۵"}},
		{in: "1365 هـ ش", want: muster.Date{Year: 1986, YearTo: 1987, Precision: muster.PrecisionYear, Calendar: sh, Written: "1365 هـ ش"}},
		{in: "1365/05", want: muster.Date{Year: 1986, Month: 8, Precision: muster.PrecisionMonth, Calendar: sh, Written: "1365/05"}},
		{in: "1365/10", want: muster.Date{Year: 1987, Month: 1, Precision: muster.PrecisionMonth, Calendar: sh, Written: "1365/10"}}, // Jadi: 22 Dec - 20 Jan
		{in: "1365/12/30", err: "day 30 out of range"},                                                                               // 1365 is not leap
		{in: "1366/01/01", want: day(1987, 3, 21, sh, "1366/01/01"), flags: []muster.Flag{{Field: FieldDOB, Code: FlagDatePlaceholder, Detail: "1 Hamal (Farvardin) often stands for an unknown date"}}},
		{in: "1986-08-03", cal: SolarHijri, want: day(1986, 8, 3, g, "1986-08-03"), flags: []muster.Flag{{Field: FieldDOB, Code: FlagCalendar, Detail: "Gregorian year in a Solar Hijri column"}}},
		{in: "1250/01/02", cal: SolarHijri, want: day(1871, 3, 22, sh, "1250/01/02"), flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateOld, Detail: "more than 120 years ago"}}},
		{in: "1365", cal: Gregorian, want: muster.Date{Year: 1365, Precision: muster.PrecisionYear, Calendar: g, Written: "1365"}, flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateOld, Detail: "more than 120 years ago"}}},
		{in: "Feb 1970", cal: SolarHijri, err: "a gregorian month name in a solar_hijri column"},
		{in: "8/3/1986 12:00:00 AM", order: OrderMDY, want: day(1986, 8, 3, g, "8/3/1986 12:00:00 AM")},
		{in: "03.08.1986 00:00", order: OrderDMY, want: day(1986, 8, 3, g, "03.08.1986 00:00")},
		{in: "00/00/1980", want: muster.Date{Year: 1980, Precision: muster.PrecisionYear, Calendar: g, Written: "00/00/1980"}},
		{in: "00/05/1980", want: muster.Date{Year: 1980, Month: 5, Precision: muster.PrecisionMonth, Calendar: g, Written: "00/05/1980"}},
		{in: "1980-05-00", want: muster.Date{Year: 1980, Month: 5, Precision: muster.PrecisionMonth, Calendar: g, Written: "1980-05-00"}},
		{in: "1365/00/00", want: muster.Date{Year: 1986, YearTo: 1987, Precision: muster.PrecisionYear, Calendar: sh, Written: "1365/00/00"}},
		{in: "00/13/1980", err: "no month 13"},
		{in: "ca. 1980", want: muster.Date{Year: 1980, Precision: muster.PrecisionYear, Calendar: g, Written: "ca. 1980"}, flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateApproximate}}},
		{in: "~1365", want: muster.Date{Year: 1986, YearTo: 1987, Precision: muster.PrecisionYear, Calendar: sh, Written: "~1365"}, flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateApproximate}}},
		{in: "1365 ق", err: "lunar Hijri"},
		// Odd but possible.
		{in: "2030-01-02", want: day(2030, 1, 2, g, "2030-01-02"), flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateFuture}}},
		{in: "2021-08-21", want: day(2021, 8, 21, g, "2021-08-21"), flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateFuture}}},
		{in: "2021-08-20", want: day(2021, 8, 20, g, "2021-08-20")},
		{in: "1890", want: muster.Date{Year: 1890, Precision: muster.PrecisionYear, Calendar: g, Written: "1890"}, flags: []muster.Flag{{Field: FieldDOB, Code: FlagDateOld, Detail: "more than 120 years ago"}}},
		// Not dates.
		{in: "unknown", err: "not a month name"},
		{in: "5/2/70", err: "two-digit year"},
		{in: "abc 1970", err: "not a month name"},
		{in: "1970 1971 1972", err: "not a date"},
		{in: "12345", err: "not a date"},
		{in: "1986-08-03!", err: "unexpected character"},
		{in: "Feb Mar 1970", err: "two month names"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, flags, err := parseDate(tc.in, tc.cal, tc.order, testNow)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				if want := (muster.Date{Written: strings.TrimSpace(tc.in)}); got != want {
					t.Errorf("on error got %+v, want only Written", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("date (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.flags, flags); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDateUsesNow(t *testing.T) {
	// The exported form judges against the clock: a date next year is future.
	next := time.Now().Year() + 1
	_, flags, err := ParseDate(strconv.Itoa(next), Gregorian)
	if err != nil || len(flags) != 1 || flags[0].Code != FlagDateFuture {
		t.Errorf("flags %v err %v", flags, err)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"1986-08-03", "03/04/1990", "31/02/1990", "5 Feb 1970", "Feb 5, 1970", "1970-02", "1970",
		"1365/05/12", "1365", "۱۳۶۵/۰۵/۱۲", "12 Asad 1365", "1986-08-03T00:00:00Z", "19860803", "1365 هـ ش", "1399/12/30"} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, c int) {
		cal := Calendar(uint(c) % 3)
		d, flags, err := parseDate(s, cal, OrderUnknown, testNow)
		if err != nil {
			if d != (muster.Date{Written: strings.TrimSpace(s)}) {
				t.Fatalf("error with a date: %+v", d)
			}
			return
		}
		if strings.TrimSpace(s) == "" {
			return
		}
		if d.Written != strings.TrimSpace(s) {
			t.Fatalf("Written %q", d.Written)
		}
		switch d.Precision {
		case muster.PrecisionDay:
			if !validYMD(d.Year, d.Month, d.Day, Gregorian) {
				t.Fatalf("invalid day %+v", d)
			}
		case muster.PrecisionMonth:
			if d.Month < 1 || d.Month > 12 || d.Day != 0 {
				t.Fatalf("invalid month %+v", d)
			}
		case muster.PrecisionYear:
			if d.Month != 0 || d.Day != 0 || d.YearTo != 0 && d.YearTo != d.Year+1 {
				t.Fatalf("invalid year %+v", d)
			}
		default:
			t.Fatalf("no precision without an error: %+v", d)
		}
		if d.Calendar == "solar_hijri" && d.Precision == muster.PrecisionDay {
			// Converting back gives a valid Solar Hijri date.
			if _, _, _, err := GregorianToSolarHijri(d.Year, d.Month, d.Day); err != nil {
				t.Fatal(err)
			}
		}
		for _, fl := range flags {
			if fl.Field != FieldDOB || fl.Code == "" {
				t.Fatalf("flag %+v", fl)
			}
		}
	})
}

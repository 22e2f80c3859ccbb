package intake

import (
	"fmt"
	"time"
)

// The Solar Hijri calendar (the Afghan tazkira's, and Iran's) starts its
// year at the March equinox: six months of 31 days, five of 30, and Esfand
// (Hut) of 29, or 30 in a leap year. The official calendar is astronomical;
// the arithmetic 33-year cycle used here — year y is leap when
// (8y + 29) mod 33 < 8 — agrees with it for 1178–1633 SH (1799–2255 CE),
// which covers every date of birth muster will see. Conversion counts days
// from a known anchor, 1 Farvardin 1400 = 21 March 2021.

// Solar Hijri years where the 33-year rule is trusted.
const (
	minSolarHijriYear = 1178
	maxSolarHijriYear = 1633
)

var shAnchor = time.Date(2021, time.March, 21, 0, 0, 0, 0, time.UTC) // 1 Farvardin 1400

// shLeap reports whether Solar Hijri year y has 366 days.
func shLeap(y int) bool { return mod(8*y+29, 33) < 8 }

// shLeapsBefore counts leap years in 1..y-1; the quotient grows by one
// exactly when a year is leap, because 8 < 33.
func shLeapsBefore(y int) int { return floorDiv(8*(y-1)+29, 33) }

// shDays is the day number of a Solar Hijri date (1 Farvardin 1 is 0).
func shDays(y, m, d int) int {
	doy := 0
	if m <= 6 {
		doy = 31*(m-1) + d - 1
	} else {
		doy = 186 + 30*(m-7) + d - 1
	}
	return 365*(y-1) + shLeapsBefore(y) + doy
}

// shMonthLength returns the number of days in month m of year y.
func shMonthLength(y, m int) int {
	switch {
	case m <= 6:
		return 31
	case m <= 11:
		return 30
	case shLeap(y):
		return 30
	}
	return 29
}

// SolarHijriToGregorian converts a Solar Hijri date to the Gregorian one.
func SolarHijriToGregorian(y, m, d int) (gy, gm, gd int, err error) {
	if y < minSolarHijriYear || y > maxSolarHijriYear {
		return 0, 0, 0, fmt.Errorf("Solar Hijri year %d outside %d-%d", y, minSolarHijriYear, maxSolarHijriYear)
	}
	if m < 1 || m > 12 {
		return 0, 0, 0, fmt.Errorf("Solar Hijri month %d out of range", m)
	}
	if d < 1 || d > shMonthLength(y, m) {
		return 0, 0, 0, fmt.Errorf("day %d out of range for Solar Hijri month %d of %d", d, m, y)
	}
	t := shAnchor.AddDate(0, 0, shDays(y, m, d)-shDays(1400, 1, 1))
	return t.Year(), int(t.Month()), t.Day(), nil
}

// GregorianToSolarHijri converts a Gregorian date to the Solar Hijri one.
func GregorianToSolarHijri(gy, gm, gd int) (y, m, d int, err error) {
	if gm < 1 || gm > 12 || gd < 1 || gd > daysIn(gy, gm) {
		return 0, 0, 0, fmt.Errorf("no such Gregorian date %04d-%02d-%02d", gy, gm, gd)
	}
	t := time.Date(gy, time.Month(gm), gd, 0, 0, 0, 0, time.UTC)
	n := int(t.Sub(shAnchor).Hours()/24) + shDays(1400, 1, 1)
	y = gy - 621
	if n < shDays(y, 1, 1) {
		y--
	}
	if y < minSolarHijriYear || y > maxSolarHijriYear {
		return 0, 0, 0, fmt.Errorf("Gregorian year %d outside the supported range", gy)
	}
	doy := n - shDays(y, 1, 1)
	if doy < 186 {
		return y, doy/31 + 1, doy%31 + 1, nil
	}
	doy -= 186
	return y, doy/30 + 7, doy%30 + 1, nil
}

// daysIn returns the number of days in Gregorian month m of year y.
func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, b int) int { return a - floorDiv(a, b)*b }

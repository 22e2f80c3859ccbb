package screen

import (
	"fmt"
	"strings"

	"muster"
	"muster/internal/lists"
)

// qualify adjusts an individual entry's name score by date of birth,
// nationality and sex and says why. Entities, vessels and aircraft have
// none of these, so their score is the name score.
func qualify(nameScore float64, q Query, e *lists.Entry) (float64, []string) {
	if e.Type != lists.TypeIndividual {
		return nameScore, nil
	}
	score := nameScore
	var notes []string
	if q.DOB.Known() && len(e.DOBs) > 0 {
		adj, note := -1.0, ""
		for _, r := range e.DOBs {
			if a, n := dobAdjust(q.DOB, r); a > adj {
				adj, note = a, n
			}
		}
		score += adj
		notes = append(notes, note)
	}
	if len(q.Nationalities) > 0 && len(e.Nationalities) > 0 {
		var common []string
		for _, a := range q.Nationalities {
			for _, b := range e.Nationalities {
				if a == b {
					common = append(common, a)
				}
			}
		}
		if len(common) > 0 {
			score += natAgreeBonus
			notes = append(notes, fmt.Sprintf("nationality %s agrees %+.2f", strings.Join(common, ","), natAgreeBonus))
		} else {
			score += natDisagree
			notes = append(notes, fmt.Sprintf("nationality %s vs listed %s %+.2f",
				strings.Join(q.Nationalities, ","), strings.Join(e.Nationalities, ","), natDisagree))
		}
	}
	if known(q.Sex) && known(e.Sex) && q.Sex != e.Sex {
		score += sexDisagree
		notes = append(notes, fmt.Sprintf("sex %s vs listed %s %+.2f", q.Sex, e.Sex, sexDisagree))
	}
	return min(max(score, 0), 1), notes
}

func known(s muster.Sex) bool { return s == muster.SexMale || s == muster.SexFemale }

// dobAdjust compares a person's date of birth with one listed date or range.
// A Solar Hijri year alone spans two Gregorian years (Year and YearTo): any
// overlap agrees. A "circa" date is widened by approxSlack years.
func dobAdjust(d muster.Date, r lists.DateRange) (float64, string) {
	qlo, qhi := d.Year, d.Year
	if d.YearTo != 0 {
		qlo, qhi = min(d.Year, d.YearTo), max(d.Year, d.YearTo)
	}
	lo, hi := r.From.Year, r.From.Year
	if r.To.Known() {
		lo, hi = min(r.From.Year, r.To.Year), max(r.From.Year, r.To.Year)
	}
	if r.Approx {
		lo, hi = lo-approxSlack, hi+approxSlack
	}
	listed := r.String()
	single := !r.To.Known() && !r.Approx
	if single && d.Precision == muster.PrecisionDay && r.From.Precision == muster.PrecisionDay {
		if d.Year == r.From.Year && d.Month == r.From.Month && d.Day == r.From.Day {
			return dobExactBonus, fmt.Sprintf("dob %s = listed %+.2f", d, dobExactBonus)
		}
		if d.Year == r.From.Year {
			// Same year, another day: lists and registrants both write
			// 1 January for an unknown day, so this is not disagreement.
			return 0, fmt.Sprintf("dob %s same year as listed %s", d, listed)
		}
	}
	gap := 0
	switch {
	case qhi < lo:
		gap = lo - qhi
	case qlo > hi:
		gap = qlo - hi
	}
	switch {
	case gap == 0:
		return dobYearBonus, fmt.Sprintf("dob %s within listed %s %+.2f", d, listed, dobYearBonus)
	case gap <= 2:
		return 0, fmt.Sprintf("dob %s near listed %s", d, listed)
	case gap <= 5:
		return dobNearPenalty, fmt.Sprintf("dob %s %d years from listed %s %+.2f", d, gap, listed, dobNearPenalty)
	case gap <= 10:
		return dobFarPenalty, fmt.Sprintf("dob %s %d years from listed %s %+.2f", d, gap, listed, dobFarPenalty)
	}
	return dobVeryFarPenalty, fmt.Sprintf("dob %s %d years from listed %s %+.2f", d, gap, listed, dobVeryFarPenalty)
}

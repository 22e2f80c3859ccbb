package intake

import (
	"fmt"
	"strings"

	"muster"
)

// foldKey folds a closed-list value or mapping key for matching: case,
// surrounding and repeated spaces, '-' and '_' do not matter, nor Arabic
// letter variants (ي/ی, ك/ک) or the tatweel.
func foldKey(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '\u00a0':
			return ' '
		case 'ي', 'ى':
			return 'ی'
		case 'ك':
			return 'ک'
		case '\u0640', '\u200c', '\u200f', '\u200e':
			return -1
		}
		return r
	}, s)
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// sexValues is the closed list of sex values, folded: English, and Dari
// and Pashto as partners' Persian-script sheets write them.
var sexValues = map[string]muster.Sex{
	"m": muster.SexMale, "male": muster.SexMale, "man": muster.SexMale, "boy": muster.SexMale,
	"مرد": muster.SexMale, "مذکر": muster.SexMale, "ذکور": muster.SexMale, "پسر": muster.SexMale,
	"نارینه": muster.SexMale, "نر": muster.SexMale, "سړی": muster.SexMale, "هلک": muster.SexMale,
	"f": muster.SexFemale, "female": muster.SexFemale, "woman": muster.SexFemale, "girl": muster.SexFemale,
	"زن": muster.SexFemale, "مونث": muster.SexFemale, "مؤنث": muster.SexFemale, "اناث": muster.SexFemale,
	"دختر": muster.SexFemale, "ښځه": muster.SexFemale, "ښځینه": muster.SexFemale, "نجلۍ": muster.SexFemale,
	"x": muster.SexOther, "other": muster.SexOther, "non binary": muster.SexOther, "nonbinary": muster.SexOther,
	"diverse": muster.SexOther, "intersex": muster.SexOther,
	"u": muster.SexUnknown, "unknown": muster.SexUnknown, "not known": muster.SexUnknown, "n/a": muster.SexUnknown,
}

// ParseSex resolves a sex value from the closed list (M, F, X, male,
// female, other, مرد, زن, نارینه, ښځه, ...); an unknown value is an error.
func ParseSex(s string) (muster.Sex, error) {
	k := foldKey(s)
	if k == "" {
		return muster.SexUnknown, nil
	}
	if v, ok := sexValues[k]; ok {
		return v, nil
	}
	return "", fmt.Errorf("not a known sex (M, F, X, male, female, other; a mapping can add values)")
}

// categoryAliases are readable forms of the default categories beyond
// their names with spaces ("SIV applicant", "dual national").
var categoryAliases = map[string]muster.Category{
	"us citizen":             muster.CategoryCitizen,
	"amcit":                  muster.CategoryCitizen,
	"dual":                   muster.CategoryDualNational,
	"dual citizen":           muster.CategoryDualNational,
	"lpr":                    muster.CategoryPermanentResident,
	"green card":             muster.CategoryPermanentResident,
	"green card holder":      muster.CategoryPermanentResident,
	"resident":               muster.CategoryPermanentResident,
	"siv":                    muster.CategorySIVApplicant,
	"siv applicant":          muster.CategorySIVApplicant,
	"siv holder":             muster.CategorySIVApplicant,
	"special immigrant visa": muster.CategorySIVApplicant,
	"refugee":                muster.CategoryRefugeeReferral,
	"p1":                     muster.CategoryRefugeeReferral,
	"p2":                     muster.CategoryRefugeeReferral,
	"p 1":                    muster.CategoryRefugeeReferral,
	"p 2":                    muster.CategoryRefugeeReferral,
	"at risk":                muster.CategoryOtherAtRisk,
	"other at risk":          muster.CategoryOtherAtRisk,
	"tcn":                    muster.CategoryThirdCountryNational,
	"third country":          muster.CategoryThirdCountryNational,
}

// ParseCategory resolves a category against the allowed ones (nil means
// muster.DefaultCategories): its name, the name with spaces for
// underscores in any case, or a common alias (SIV, LPR, TCN, P-1). A value
// that resolves to no allowed category is an error.
func ParseCategory(s string, allowed []muster.Category) (muster.Category, error) {
	if allowed == nil {
		allowed = muster.DefaultCategories
	}
	k := foldKey(s)
	if k == "" {
		return "", nil
	}
	for _, c := range allowed {
		if foldKey(string(c)) == k {
			return c, nil
		}
	}
	if c, ok := categoryAliases[k]; ok {
		for _, a := range allowed {
			if a == c {
				return c, nil
			}
		}
	}
	names := make([]string, len(allowed))
	for i, c := range allowed {
		names[i] = string(c)
	}
	return "", fmt.Errorf("not a category of this operation (%s)", strings.Join(names, ", "))
}

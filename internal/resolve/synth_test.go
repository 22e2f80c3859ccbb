package resolve

import (
	"fmt"
	"math/rand/v2"

	"muster"
)

// A generator of synthetic registrations: Afghan families (father, mother,
// children born two to four years apart, children's father's name the
// father's given name) registered by several sources, each source writing
// names its own way. The noise is of our own design: transliteration
// variants, Arabic script, a dropped family name, a year-only or day/month
// swapped date of birth, a typo in a passport number, missing fields.

type nameForms struct {
	latin  []string // spellings, the first the most usual
	arabic string
}

var (
	maleNames = []nameForms{
		{[]string{"Mohammad", "Muhammad", "Mohammed", "Mohamad"}, "محمد"},
		{[]string{"Ahmad", "Ahmed"}, "احمد"},
		{[]string{"Mahmud", "Mahmood", "Mahmoud"}, "محمود"},
		{[]string{"Abdullah", "Abdulla", "Abdallah"}, "عبدالله"},
		{[]string{"Karim", "Kareem"}, "کریم"},
		{[]string{"Rahim", "Raheem"}, "رحیم"},
		{[]string{"Hamid", "Hameed"}, "حمید"},
		{[]string{"Jawad", "Javad"}, "جواد"},
		{[]string{"Farid", "Fareed"}, "فرید"},
		{[]string{"Nasir", "Naser", "Nasser"}, "ناصر"},
		{[]string{"Yusuf", "Yousuf", "Yousef"}, "یوسف"},
		{[]string{"Bashir", "Basheer"}, "بشیر"},
		{[]string{"Habib", "Habeeb"}, "حبیب"},
		{[]string{"Khalid", "Khaled"}, "خالد"},
		{[]string{"Najib", "Najeeb"}, "نجیب"},
		{[]string{"Rashid", "Rasheed"}, "رشید"},
		{[]string{"Sharif", "Shareef"}, "شریف"},
		{[]string{"Wahid", "Waheed"}, "وحید"},
		{[]string{"Zahir", "Zaheer"}, "ظاهر"},
		{[]string{"Qasim", "Qaseem", "Kasim"}, "قاسم"},
		{[]string{"Ismail", "Esmail"}, "اسماعیل"},
		{[]string{"Ibrahim", "Ebrahim"}, "ابراهیم"},
		{[]string{"Mustafa", "Mostafa"}, "مصطفی"},
		{[]string{"Hussain", "Hussein", "Hosein"}, "حسین"},
		{[]string{"Hassan", "Hasan"}, "حسن"},
		{[]string{"Ali"}, "علی"},
		{[]string{"Omar", "Umar"}, "عمر"},
		{[]string{"Sayed", "Sayyid", "Said"}, "سید"},
		{[]string{"Shafiq", "Shafeeq"}, "شفیق"},
		{[]string{"Wali"}, "ولی"},
	}
	femaleNames = []nameForms{
		{[]string{"Fatima", "Fatema", "Fatimah"}, "فاطمه"},
		{[]string{"Maryam", "Mariam"}, "مریم"},
		{[]string{"Zahra", "Zohra"}, "زهرا"},
		{[]string{"Khadija", "Khadijah"}, "خدیجه"},
		{[]string{"Aisha", "Ayesha"}, "عایشه"},
		{[]string{"Parwana", "Parvana"}, "پروانه"},
		{[]string{"Nargis", "Narges"}, "نرگس"},
		{[]string{"Laila", "Layla", "Leila"}, "لیلا"},
		{[]string{"Soraya", "Suraya"}, "ثریا"},
		{[]string{"Shabnam"}, "شبنم"},
		{[]string{"Habiba", "Habibah"}, "حبیبه"},
		{[]string{"Farida", "Fareeda"}, "فریده"},
		{[]string{"Nazifa", "Nazefa"}, "نظیفه"},
		{[]string{"Roya"}, "رویا"},
		{[]string{"Sima", "Seema"}, "سیما"},
		{[]string{"Malalai", "Malalay"}, "ملالی"},
	}
	familyNames = []nameForms{
		{[]string{"Rahimi", "Rahimy", "Raheemi"}, "رحیمی"},
		{[]string{"Ahmadi", "Ahmady"}, "احمدی"},
		{[]string{"Karimi", "Kareemi"}, "کریمی"},
		{[]string{"Hashimi", "Hashemi"}, "هاشمی"},
		{[]string{"Popal", "Popalzai"}, "پوپل"},
		{[]string{"Durrani", "Durani"}, "درانی"},
		{[]string{"Noori", "Nuri"}, "نوری"},
		{[]string{"Safi"}, "صافی"},
		{[]string{"Stanikzai", "Stanekzai"}, "ستانکزی"},
		{[]string{"Wardak", "Wardag"}, "وردک"},
		{[]string{"Barakzai", "Barekzai"}, "بارکزی"},
		{[]string{"Mohammadi", "Muhammadi"}, "محمدی"},
		{[]string{"Sultani", "Soltani"}, "سلطانی"},
		{[]string{"Amiri", "Ameeri"}, "امیری"},
		{[]string{"Hakimi", "Hakeemi"}, "حکیمی"},
		{[]string{"Nazari", "Nazary"}, "نظری"},
		{[]string{"Haidari", "Haideri", "Heidari"}, "حیدری"},
		{[]string{"Sadat", "Saadat"}, "سادات"},
		{[]string{"Jalali"}, "جلالی"},
		{[]string{"Azizi", "Azeezi"}, "عزیزی"},
		{[]string{"Qaderi", "Qadiri"}, "قادری"},
		{[]string{"Faizi", "Faizy"}, "فیضی"},
		{[]string{"Samadi"}, "صمدی"},
		{[]string{"Habibi", "Habeebi"}, "حبیبی"},
		{[]string{"Yousufzai", "Yusufzai"}, "یوسفزی"},
		{[]string{"Zazai"}, "زازی"},
		{[]string{"Mangal"}, "منگل"},
		{[]string{"Taniwal", "Tanewal"}, "تنیوال"},
		{[]string{"Osmani", "Usmani"}, "عثمانی"},
		{[]string{"Rasuli", "Rasooli"}, "رسولی"},
	}
	places = []string{"Kabul", "Herat", "Kandahar", "Mazar-i-Sharif", "Jalalabad", "Kunduz", "Ghazni", "Bamyan", "Khost", "Logar"}
)

// Afghan given names often carry a prefix or suffix (Abdul Karim, Gul
// Ahmad, Karim Jan, Ahmad Shah); combining them with the base names gives
// the generator hundreds of distinct given names instead of dozens.
var (
	prefixes = [][2]string{{"", ""}, {"", ""}, {"", ""}, {"Abdul ", "عبدال"}, {"Gul ", "گل "}, {"Mir ", "میر "}, {"Sayed ", "سید "}, {"Haji ", "حاجی "}}
	suffixes = [][2]string{{"", ""}, {"", ""}, {"", ""}, {" Jan", " جان"}, {" Khan", " خان"}, {" Shah", " شاه"}, {" Gul", " گل"}, {"ullah", "الله"}}
)

func decorate(rng *rand.Rand, f nameForms, female bool) nameForms {
	p, s := prefixes[rng.IntN(len(prefixes))], suffixes[rng.IntN(len(suffixes))]
	if female {
		p, s = [2]string{}, suffixes[rng.IntN(4)]
	}
	if s[0] == "ullah" && p[0] != "" {
		s = [2]string{}
	}
	out := nameForms{arabic: p[1] + f.arabic + s[1]}
	for _, l := range f.latin {
		out.latin = append(out.latin, p[0]+l+s[0])
	}
	return out
}

type person struct {
	given, family, father nameForms
	compound              *nameForms // a second given word (Mohammad Karim)
	sex                   muster.Sex
	y, m, d               int
	place                 string
	passport              string
	phone                 string
	rel                   string
}

// synth returns about n registrations and, for each, the id of the person
// it describes.
func synth(n int, seed uint64) ([]muster.Record, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	var recs []muster.Record
	var truth []int
	sources := []string{"webform", "ngo-a", "ngo-b", "mp-office", "consular"}
	pid, caseNo := 0, 0
	pick := func(l []nameForms) nameForms {
		f := l[rng.IntN(len(l))]
		if len(l) == len(familyNames) {
			return f
		}
		return decorate(rng, f, len(l) == len(femaleNames))
	}
	for len(recs) < n {
		fam := pick(familyNames)
		grand := pick(maleNames)
		fy := 1955 + rng.IntN(30)
		father := person{given: pick(maleNames), family: fam, father: grand, sex: muster.SexMale, y: fy, m: 1 + rng.IntN(12), d: 1 + rng.IntN(28), rel: "principal"}
		if rng.IntN(3) == 0 {
			c := pick(maleNames)
			father.compound = &c
		}
		mother := person{given: pick(femaleNames), family: fam, father: pick(maleNames), sex: muster.SexFemale, y: fy + rng.IntN(8), m: 1 + rng.IntN(12), d: 1 + rng.IntN(28), rel: "spouse"}
		members := []person{father, mother}
		y := fy + 20 + rng.IntN(8)
		used := map[string]bool{}
		for range 1 + rng.IntN(5) {
			sex := muster.SexMale
			pool := maleNames
			if rng.IntN(2) == 0 {
				sex, pool = muster.SexFemale, femaleNames
			}
			g := pick(pool)
			for used[g.latin[0]] || g.latin[0] == father.given.latin[0] {
				g = pick(pool)
			}
			used[g.latin[0]] = true
			members = append(members, person{given: g, family: fam, father: father.given, sex: sex, y: y, m: 1 + rng.IntN(12), d: 1 + rng.IntN(28), rel: "child"})
			y += 2 + rng.IntN(3)
		}
		phone := fmt.Sprintf("+9370%07d", rng.IntN(10_000_000))
		for k := range members {
			members[k].place = places[rng.IntN(len(places))]
			if rng.IntN(2) == 0 {
				members[k].passport = fmt.Sprintf("P%07d", rng.IntN(10_000_000))
			}
			members[k].phone = phone
		}
		// The family is registered by one to four sources.
		nsrc := 1 + rng.IntN(4)
		for _, s := range rng.Perm(len(sources))[:nsrc] {
			caseNo++
			for k, p := range members {
				if k > 1 && rng.IntN(10) == 0 {
					continue // a source that forgot a child
				}
				recs = append(recs, noisy(rng, p, sources[s], fmt.Sprintf("%s-%d", sources[s], caseNo), len(recs)))
				truth = append(truth, pid+k)
			}
		}
		pid += len(members)
	}
	return recs, truth
}

func spell(rng *rand.Rand, f nameForms) string {
	if rng.IntN(2) == 0 {
		return f.latin[0]
	}
	return f.latin[rng.IntN(len(f.latin))]
}

func noisy(rng *rand.Rand, p person, source, caseRef string, n int) muster.Record {
	r := muster.Record{Source: source, SourceID: fmt.Sprintf("r%d", n), CaseRef: caseRef, Relationship: p.rel, Sex: p.sex, PlaceOfBirth: p.place}
	arabic := rng.IntN(5) == 0
	if arabic {
		g := p.given.arabic
		if p.compound != nil {
			g += " " + p.compound.arabic
		}
		r.NativeName = g + " " + p.family.arabic
		r.Father = p.father.arabic
	} else {
		r.Given = spell(rng, p.given)
		if p.compound != nil && rng.IntN(4) != 0 {
			r.Given += " " + spell(rng, *p.compound)
		}
		if rng.IntN(10) != 0 {
			r.Family = spell(rng, p.family)
		}
		if rng.IntN(8) != 0 {
			r.Father = spell(rng, p.father)
		}
	}
	switch k := rng.IntN(20); {
	case k == 0:
	case k <= 2:
		r.DOB = muster.Date{Year: p.y, Precision: muster.PrecisionYear}
	case k == 3 && p.d <= 12:
		r.DOB = muster.Date{Year: p.y, Month: p.d, Day: p.m, Precision: muster.PrecisionDay}
	default:
		r.DOB = muster.Date{Year: p.y, Month: p.m, Day: p.d, Precision: muster.PrecisionDay}
	}
	if p.passport != "" && rng.IntN(3) != 0 {
		r.Passport = p.passport
		if rng.IntN(20) == 0 {
			b := []byte(r.Passport)
			b[3+rng.IntN(4)] = byte('0' + rng.IntN(10))
			r.Passport = string(b)
		}
	}
	if rng.IntN(2) == 0 {
		r.Phones = []string{p.phone}
	}
	return r
}

// pairF1 scores clusters against truth as score_linkage.py does.
func pairF1(cluster []int32, truth []int) (p, r, f float64) {
	type key struct{ c, t int }
	both, pred, tru := map[key]int{}, map[int32]int{}, map[int]int{}
	for i := range cluster {
		both[key{int(cluster[i]), truth[i]}]++
		pred[cluster[i]]++
		tru[truth[i]]++
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var tp, pp, tt float64
	for _, n := range both {
		tp += pairs(n)
	}
	for _, n := range pred {
		pp += pairs(n)
	}
	for _, n := range tru {
		tt += pairs(n)
	}
	p, r = 1, 1
	if pp > 0 {
		p = tp / pp
	}
	if tt > 0 {
		r = tp / tt
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return p, r, f
}

// Package demo generates synthetic but realistic registrations for an
// Afghan evacuation: families, several partner sources, the same family
// registered again by another partner under other spellings, dates written
// in the Solar Hijri calendar or as 1 January placeholders, phones in the
// forms people write them, and a few people whose names stand on the UN
// Security Council's Taliban list. Nobody in it is real except those listed
// names, which are public. Benchmarks use it to make millions of rows.
package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"muster/internal/intake"
)

// Name is one name in Latin and Dari script.
type Name struct{ Latin, Dari string }

// Given names (male, female) and family names with their Dari spelling.
var (
	Male = []Name{
		{"Mohammad", "محمد"}, {"Ahmad", "احمد"}, {"Abdul Rahman", "عبدالرحمن"}, {"Abdullah", "عبدالله"},
		{"Habibullah", "حبیب‌الله"}, {"Gul Agha", "گل آغا"}, {"Nasir", "ناصر"}, {"Karim", "کریم"},
		{"Rahim", "رحیم"}, {"Hamid", "حمید"}, {"Farid", "فرید"}, {"Jawad", "جواد"}, {"Zabihullah", "ذبیح‌الله"},
		{"Najibullah", "نجیب‌الله"}, {"Hassan", "حسن"}, {"Hussain", "حسین"}, {"Ali", "علی"}, {"Omar", "عمر"},
		{"Yousuf", "یوسف"}, {"Ibrahim", "ابراهیم"}, {"Ismail", "اسماعیل"}, {"Khalid", "خالد"}, {"Wahid", "وحید"},
		{"Rashid", "رشید"}, {"Shafiq", "شفیق"}, {"Tariq", "طارق"}, {"Baryalai", "بریالی"}, {"Zalmai", "زلمی"},
		{"Mirwais", "میرویس"}, {"Abdul Qadir", "عبدالقادر"}, {"Mohammad Nabi", "محمد نبی"}, {"Sayed Jamal", "سید جمال"},
		{"Noorullah", "نورالله"}, {"Samiullah", "سمیع‌الله"}, {"Ehsan", "احسان"}, {"Fawad", "فواد"},
	}
	Female = []Name{
		{"Fatima", "فاطمه"}, {"Maryam", "مریم"}, {"Zahra", "زهرا"}, {"Shabnam", "شبنم"}, {"Farzana", "فرزانه"},
		{"Nilofar", "نیلوفر"}, {"Parwana", "پروانه"}, {"Marzia", "مرضیه"}, {"Sima", "سیما"}, {"Laila", "لیلا"},
		{"Roya", "رویا"}, {"Khadija", "خدیجه"}, {"Aisha", "عایشه"}, {"Nazia", "نازیه"}, {"Freshta", "فرشته"},
		{"Mina", "مینا"}, {"Sharifa", "شریفه"}, {"Malalai", "ملالی"}, {"Hadia", "هادیه"}, {"Zarghona", "زرغونه"},
	}
	Family = []Name{
		{"Rahimi", "رحیمی"}, {"Ahmadi", "احمدی"}, {"Hashimi", "هاشمی"}, {"Karimi", "کریمی"}, {"Popal", "پوپل"},
		{"Stanikzai", "ستانکزی"}, {"Ahmadzai", "احمدزی"}, {"Wardak", "وردک"}, {"Sultani", "سلطانی"}, {"Haidari", "حیدری"},
		{"Noori", "نوری"}, {"Safi", "صافی"}, {"Mohammadi", "محمدی"}, {"Sadat", "سادات"}, {"Amiri", "امیری"},
		{"Azizi", "عزیزی"}, {"Jalali", "جلالی"}, {"Yousufzai", "یوسفزی"}, {"Barakzai", "بارکزی"}, {"Durrani", "درانی"},
		{"Habibi", "حبیبی"}, {"Samadi", "صمدی"}, {"Rasuli", "رسولی"}, {"Qaderi", "قادری"}, {"Nazari", "نظری"},
		{"Faizi", "فیضی"}, {"Niazi", "نیازی"}, {"Kakar", "کاکړ"}, {"Mangal", "منگل"}, {"Zazai", "زازی"},
		{"Hotak", "هوتک"}, {"Alokozai", "الکوزی"}, {"Sherzad", "شیرزاد"}, {"Noorzai", "نورزی"}, {"Achakzai", "اڅکزی"},
	}
	places = []string{"Kabul", "Herat", "Kandahar", "Mazar-i-Sharif", "Jalalabad", "Kunduz", "Ghazni", "Bamyan", "Khost", "Paktia", "Logar", "Parwan"}
)

// Listed is a person on the UN Security Council Consolidated List (Taliban
// list, 2026-02-27 edition, ../shared/data/lists/un-sc-2026-02-27.xml):
// the demo plants them among the registrants so that screening has
// something real to find.
type Listed struct {
	Ref, Given, Family, Dari string
	Year                     int
}

// Planted are the listed people the demo registers (as each might give
// their name at a gate, not as the list spells it).
var Planted = []Listed{
	{"TAi.009", "Atiqullah", "Akhund", "عتیق الله آخوند", 1953},
	{"TAi.015", "Yar Mohammad", "Rahimi", "یار محمد رحیمی", 1953},
	{"TAi.007", "Abdul Latif", "Mansoor", "عبد اللطيف منصور", 1968},
	{"TAi.005", "Mohammad Tahir", "Anwari", "محمد طاهر أنوري", 1961},
}

// Sources are the partners that send registrations.
var Sources = []string{"ngo-alpha", "ngo-bravo", "consular", "webform", "mp-office"}

// Header is the muster registration CSV header.
var Header = []string{"source", "source_id", "case_ref", "relationship", "given_name", "family_name", "father_name", "full_name", "native_name", "sex", "date_of_birth", "place_of_birth", "nationalities", "passport_no", "national_id", "phone", "email", "category", "needs"}

// Row is one registration row in Header order.
type Row []string

// Config says how much to generate.
type Config struct {
	Seed      uint64
	Families  int     // distinct families
	DupRate   float64 // share of families registered again by another source
	Planted   bool    // plant the listed people
	Variation float64 // how often a duplicate's names are respelled
}

// person is the truth about one synthetic person.
type person struct {
	given, family, father Name
	sex                   string
	year, month, day      int
	place                 string
	passport, tazkira     string
	phone                 string
	rel                   string
	nat                   string
	needs                 string // as a partner writes it ("wheelchair", "Pregnant")
}

// Generator yields rows family by family.
type Generator struct {
	cfg Config
	rnd *rand.Rand
	// needRnd draws declared needs apart from rnd, so that adding them left
	// every other generated value (and the figures measured on them) as
	// it was.
	needRnd *rand.Rand
	seq     map[string]int
	family  int
	Truth   map[string]int // source/source_id -> true person number (for measuring resolution)
	persons int
}

// New returns a generator.
func New(cfg Config) *Generator {
	if cfg.Variation == 0 {
		cfg.Variation = 0.7
	}
	return &Generator{cfg: cfg, rnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		needRnd: rand.New(rand.NewPCG(cfg.Seed, 0x6e65656473)), seq: map[string]int{}, Truth: map[string]int{}}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var categories = []struct {
	name   string
	weight int
}{{"citizen", 10}, {"dual_national", 12}, {"permanent_resident", 6}, {"siv_applicant", 30}, {"refugee_referral", 15}, {"other_at_risk", 22}, {"third_country_national", 5}}

func (g *Generator) category() string {
	n := g.rnd.IntN(100)
	for _, c := range categories {
		if n < c.weight {
			return c.name
		}
		n -= c.weight
	}
	return "other_at_risk"
}

// Next returns the rows of the next family (one registration per member
// per source that registered it), or nil when cfg.Families are done.
func (g *Generator) Next() []Row {
	if g.family >= g.cfg.Families {
		return nil
	}
	g.family++
	r := g.rnd
	fam := pick(r, Family)
	father := pick(r, Male)
	cat := g.category()
	nat := "AF"
	switch cat {
	case "citizen":
		nat = pick(r, []string{"US", "GB", "DE", "CA"})
	case "dual_national":
		nat = "AF;" + pick(r, []string{"US", "GB", "DE", "CA", "NL"})
	case "third_country_national":
		nat = pick(r, []string{"PK", "IN", "TJ", "UZ"})
	}
	headYear := 1960 + r.IntN(40)
	var members []person
	head := person{given: pick(r, Male), family: fam, father: father, sex: "M", year: headYear, rel: "principal", nat: nat}
	members = append(members, head)
	if r.Float64() < 0.8 {
		members = append(members, person{given: pick(r, Female), family: fam, father: pick(r, Male), sex: "F", year: headYear + r.IntN(8), rel: "spouse", nat: nat})
	}
	kids := r.IntN(6)
	for i := 0; i < kids; i++ {
		k := person{family: fam, father: head.given, year: headYear + 20 + i*2 + r.IntN(2), rel: "child", nat: nat}
		if k.year > 2021 {
			k.year = 2021
		}
		if r.IntN(2) == 0 {
			k.given, k.sex = pick(r, Male), "M"
		} else {
			k.given, k.sex = pick(r, Female), "F"
		}
		members = append(members, k)
	}
	if g.cfg.Planted && g.family%max(1, g.cfg.Families/len(Planted)) == 0 && g.family/max(1, g.cfg.Families/len(Planted)) <= len(Planted) {
		l := Planted[g.family/max(1, g.cfg.Families/len(Planted))-1]
		parts := strings.Fields(l.Dari)
		members[0].given = Name{l.Given, strings.Join(parts[:len(parts)-1], " ")}
		members[0].family = Name{l.Family, parts[len(parts)-1]}
		members[0].year = l.Year
	}
	for i := range members {
		m := &members[i]
		if m.month == 0 {
			m.month, m.day = 1+r.IntN(12), 1+r.IntN(28)
			if r.Float64() < 0.12 { // the 1 January placeholder
				m.month, m.day = 1, 1
			}
		}
		m.place = pick(r, places)
		if r.Float64() < 0.6 || m.rel == "principal" {
			m.passport = fmt.Sprintf("P%08d", r.IntN(100000000))
		}
		if r.Float64() < 0.7 {
			m.tazkira = fmt.Sprintf("%04d-%04d-%05d", 1400+r.IntN(3), r.IntN(10000), r.IntN(100000))
		}
		if m.rel == "principal" || m.rel == "spouse" {
			m.phone = fmt.Sprintf("07%d%07d", r.IntN(10), r.IntN(10000000))
		}
	}
	g.drawNeeds(members)
	base := g.persons
	g.persons += len(members)
	src := pick(r, Sources)
	rows := g.rows(src, members, base, false)
	if r.Float64() < g.cfg.DupRate {
		other := src
		for other == src {
			other = pick(r, Sources)
		}
		rows = append(rows, g.rows(other, members, base, true)...)
	}
	return rows
}

// drawNeeds declares needs for a few people, written as partners write
// them: an illness or injury, reduced mobility, a pregnancy (of a spouse).
func (g *Generator) drawNeeds(members []person) {
	r := g.needRnd
	for i := range members {
		m := &members[i]
		switch x := r.Float64(); {
		case x < 0.03:
			m.needs = pick(r, []string{"medical", "Medical condition", "chronic illness", "injured"})
		case x < 0.05:
			m.needs = pick(r, []string{"wheelchair", "disabled", "reduced mobility", "blind"})
		case x < 0.09 && m.rel == "spouse":
			m.needs = pick(r, []string{"pregnant", "Pregnancy"})
		}
	}
}

func (g *Generator) rows(source string, members []person, base int, variant bool) []Row {
	r := g.rnd
	g.seq[source]++
	caseRef := fmt.Sprintf("%s-%05d", strings.ToUpper(source[:3]), g.seq[source])
	var out []Row
	for i, m := range members {
		if variant && i > 0 && r.Float64() < 0.15 {
			continue // the other partner missed a member
		}
		id := fmt.Sprintf("%s-%d", caseRef, i+1)
		g.Truth[source+"/"+id] = base + i
		given, family, father := m.given.Latin, m.family.Latin, m.father.Latin
		if variant && r.Float64() < g.cfg.Variation {
			given, family, father = Respell(r, given), Respell(r, family), Respell(r, father)
		}
		row := make(Row, len(Header))
		row[0], row[1], row[2], row[3] = source, id, caseRef, m.rel
		switch {
		case source == "consular" || (variant && r.Float64() < 0.3):
			row[7] = strings.ToUpper(family) + ", " + given
			if father != "" && r.Float64() < 0.5 {
				row[7] = given + " s/o " + father + " " + family
				if m.sex == "F" {
					row[7] = given + " d/o " + father + " " + family
				}
			}
		default:
			row[4], row[5], row[6] = given, family, father
		}
		if r.Float64() < 0.5 {
			row[8] = m.given.Dari + " " + m.family.Dari
		}
		row[9] = m.sex
		row[10] = g.date(m, source)
		row[11] = m.place
		row[12] = m.nat
		if source == "webform" && r.Float64() < 0.5 {
			row[12] = strings.ReplaceAll(strings.ReplaceAll(m.nat, "AF", "Afghan"), "US", "American")
		}
		row[13] = m.passport
		row[14] = m.tazkira
		row[15] = g.phone(m.phone)
		if m.rel == "principal" && r.Float64() < 0.4 {
			row[16] = fmt.Sprintf("%s.%s%d@example.org", strings.ToLower(strings.Fields(m.given.Latin)[0]), strings.ToLower(m.family.Latin), r.IntN(100))
		}
		row[17] = ""
		if i == 0 || r.Float64() < 0.5 {
			row[17] = g.categoryOf(m)
		}
		// Another partner does not always know of a need.
		if m.needs != "" && (!variant || g.needRnd.IntN(2) == 0) {
			row[18] = m.needs
		}
		out = append(out, row)
	}
	return out
}

func (g *Generator) categoryOf(m person) string {
	switch {
	case strings.Contains(m.nat, ";"):
		return "dual_national"
	case m.nat == "AF":
		return pick(g.rnd, []string{"siv_applicant", "refugee_referral", "other_at_risk"})
	case len(m.nat) == 2 && m.nat != "PK" && m.nat != "IN" && m.nat != "TJ" && m.nat != "UZ":
		return "citizen"
	}
	return "third_country_national"
}

func (g *Generator) date(m person, source string) string {
	r := g.rnd
	switch {
	case r.Float64() < 0.05:
		return ""
	case source == "ngo-bravo" || r.Float64() < 0.15:
		// The tazkira's calendar.
		sy, sm, sd := gregorianToSolarHijri(m.year, m.month, m.day)
		if r.Float64() < 0.2 {
			return fmt.Sprint(sy)
		}
		return fmt.Sprintf("%d/%02d/%02d", sy, sm, sd)
	case r.Float64() < 0.1:
		return fmt.Sprint(m.year)
	case source == "consular":
		return fmt.Sprintf("%d %s %d", m.day, []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}[m.month-1], m.year)
	case r.Float64() < 0.5:
		return fmt.Sprintf("%02d/%02d/%d", m.day, m.month, m.year)
	}
	return fmt.Sprintf("%d-%02d-%02d", m.year, m.month, m.day)
}

func (g *Generator) phone(p string) string {
	if p == "" {
		return ""
	}
	switch g.rnd.IntN(4) {
	case 0:
		return "+93 " + p[1:]
	case 1:
		return "0093" + p[1:]
	case 2:
		return p[:4] + " " + p[4:7] + " " + p[7:]
	}
	return p
}

// respellings are the ways the same name part is written in Latin.
var respellings = [][]string{
	{"Mohammad", "Muhammad", "Mohammed", "Mohd", "Muhammed", "Mohamad"},
	{"Abdul Rahman", "Abdurrahman", "Abdul-Rahman", "Abd al-Rahman", "Abdulrahman"},
	{"Abdul Qadir", "Abdulqadir", "Abdul Qader", "Abd al-Qadir"},
	{"Habibullah", "Habib Ullah", "Habib-ullah", "Habibulla"},
	{"Zabihullah", "Zabiullah", "Zabih Ullah"},
	{"Najibullah", "Najib Ullah", "Najibulla"},
	{"Noorullah", "Nurullah", "Noor Ullah"},
	{"Samiullah", "Sami Ullah", "Samiulla"},
	{"Yousuf", "Yusuf", "Yousef", "Yosuf"},
	{"Hussain", "Husain", "Hussein", "Hosein"},
	{"Hassan", "Hasan"},
	{"Qaderi", "Qadiri", "Kaderi"},
	{"Noori", "Nuri", "Noory"},
	{"Fatima", "Fatema", "Fatimah"},
	{"Khadija", "Khadijah", "Khadeja"},
	{"Aisha", "Ayesha", "Aysha"},
	{"Stanikzai", "Stanekzai", "Stanikzay"},
	{"Ahmadzai", "Ahmadzay", "Ahmedzai"},
	{"Yousufzai", "Yousafzai", "Yusufzai"},
	{"Sayed", "Sayyed", "Syed", "Said"},
	{"Rahimi", "Rahemi", "Raheemi"},
	{"Karimi", "Karemi", "Kareemi"},
	{"Mansoor", "Mansur", "Mansour"},
	{"Atiqullah", "Attiqullah", "Atiq Ullah"},
}

// Respell writes a name as another clerk might: a known transliteration
// variant of one of its parts, else a vowel change or a slip of the finger.
func Respell(r *rand.Rand, name string) string {
	for _, set := range respellings {
		for _, v := range set {
			if strings.Contains(name, v) {
				if alt := pick(r, set); alt != v {
					return strings.Replace(name, v, alt, 1)
				}
			}
		}
	}
	if len(name) < 4 || r.Float64() < 0.4 {
		return name
	}
	b := []byte(name)
	i := 1 + r.IntN(len(b)-2)
	switch r.IntN(4) {
	case 0: // vowel swap
		swap := map[byte]byte{'a': 'e', 'e': 'i', 'i': 'e', 'o': 'u', 'u': 'o'}
		for j := i; j < len(b); j++ {
			if v, ok := swap[b[j]]; ok {
				b[j] = v
				break
			}
		}
	case 1: // transposition
		if b[i] != ' ' && b[i+1] != ' ' {
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 2: // doubled letter
		b = append(b[:i+1], b[i:]...)
	case 3: // dropped letter
		if b[i] != ' ' {
			b = append(b[:i], b[i+1:]...)
		}
	}
	return string(b)
}

// WriteCSV writes the header and rows.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, row := range rows {
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func gregorianToSolarHijri(gy, gm, gd int) (int, int, int) {
	y, m, d, err := intake.GregorianToSolarHijri(gy, gm, gd)
	if err != nil {
		panic(err) // the generator makes only real dates
	}
	return y, m, d
}

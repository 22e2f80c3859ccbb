// Package eval builds the measurements of screening quality and speed, so
// that muster's tests and the side-by-side harness in bench/watchman run the
// same protocol on the same queries: alias retrieval (alternate names held
// out of the index and queried), original-script retrieval (UN Arabic-script
// names queried against the Latin ones), and generated registrants.
package eval

import (
	"math/rand/v2"
	"sort"
	"strings"

	"muster"
	"muster/internal/lists"
)

// Case is one query whose right answer is known.
type Case struct {
	Query string
	Want  string // entry key (list:id)
	Type  string // the entry's type
}

// Scored is one ranked answer of an engine.
type Scored struct {
	Key   string
	Score float64
}

// HoldOutAliases picks n alternate names (alt.csv aka/fka/nka; not weak
// remark aliases, not primary names) of list's entries at random with seed,
// and returns the entries without them, to index, and the cases, to query.
// An entry keeps its primary name, so every case has an answer to find.
// A weak alias identical to a held-out name is removed too, so that the
// answer is never in the index verbatim.
func HoldOutAliases(entries []lists.Entry, list string, n int, seed uint64) ([]lists.Entry, []Case) {
	type ref struct{ e, n int }
	var pool []ref
	for i, e := range entries {
		if e.List != list {
			continue
		}
		for j, nm := range e.Names {
			if nm.Kind != lists.KindPrimary && nm.Quality != lists.QualityLow && nm.Script == lists.ScriptLatin {
				pool = append(pool, ref{i, j})
			}
		}
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	if n > len(pool) {
		n = len(pool)
	}
	pool = pool[:n]
	held := map[int]map[string]bool{}
	var cases []Case
	for _, p := range pool {
		e := &entries[p.e]
		name := e.Names[p.n].Name
		if held[p.e] == nil {
			held[p.e] = map[string]bool{}
		}
		held[p.e][strings.ToLower(name)] = true
		cases = append(cases, Case{Query: name, Want: e.Key(), Type: e.Type})
	}
	return without(entries, func(i int, n lists.EntryName) bool {
		return held[i][strings.ToLower(n.Name)]
	}), cases
}

// ArabicCases returns the entries with every Arabic-script name removed and
// one case per Arabic-script name of list's entries.
func ArabicCases(entries []lists.Entry, list string) ([]lists.Entry, []Case) {
	var cases []Case
	for _, e := range entries {
		if e.List != list {
			continue
		}
		for _, n := range e.Names {
			if n.Script == lists.ScriptArabic {
				cases = append(cases, Case{Query: n.Name, Want: e.Key(), Type: e.Type})
			}
		}
	}
	return without(entries, func(_ int, n lists.EntryName) bool { return n.Script == lists.ScriptArabic }), cases
}

func without(entries []lists.Entry, drop func(i int, n lists.EntryName) bool) []lists.Entry {
	out := make([]lists.Entry, len(entries))
	for i, e := range entries {
		out[i] = e
		out[i].Names = nil
		for _, n := range e.Names {
			if !drop(i, n) {
				out[i].Names = append(out[i].Names, n)
			}
		}
	}
	return out
}

// Rank is the 1-based rank of want among answers, counting ties against
// the engine: an answer scored equal to want's is taken to rank above it.
// It is 0 when want is not among the answers.
func Rank(answers []Scored, want string) int {
	score, found := 0.0, false
	for _, a := range answers {
		if a.Key == want {
			score, found = a.Score, true
			break
		}
	}
	if !found {
		return 0
	}
	rank := 1
	for _, a := range answers {
		if a.Key != want && a.Score >= score {
			rank++
		}
	}
	return rank
}

// Recall is recall@1 and @5 of a set of cases.
type Recall struct {
	N, At1, At5 int
}

func (r Recall) R1() float64 { return ratio(r.At1, r.N) }
func (r Recall) R5() float64 { return ratio(r.At5, r.N) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Add counts one case of the given rank.
func (r *Recall) Add(rank int) {
	r.N++
	if rank == 1 {
		r.At1++
	}
	if rank >= 1 && rank <= 5 {
		r.At5++
	}
}

// Person is a generated registrant.
type Person struct {
	Given, Family string
	Sex           muster.Sex
	DOB           muster.Date
}

// Afghan given and family names in the spellings partner spreadsheets used
// in 2021; common names (Mohammad, Ahmad) are repeated so that they are as
// frequent among the generated as among the registered.
var (
	maleGiven = strings.Fields(`Mohammad Mohammad Mohammad Muhammad Mohammed Ahmad Ahmad Ahmed Abdul_Rahman Abdul_Rahim
		Abdullah Abdul_Qadir Abdul_Wahid Abdul_Basir Abdul_Hakim Ali Hassan Hussain Hussein Mahmood Mahmud Jawad Javid Jamshid
		Farid Farhad Fawad Khalid Hamid Habibullah Hafizullah Rahmatullah Zabihullah Najibullah Noorullah Ezatullah Samiullah
		Sayed_Ahmad Sayed_Mohammad Gul_Ahmad Gulbuddin Shafiq Rafiq Tariq Wahid Wahidullah Yasin Yousuf Yusuf Zia Ziaulhaq Omid
		Masood Massoud Mirwais Nasir Naser Qasim Rashid Sharif Shams Sohail Suhail Wali Zalmai Baryalai Ajmal Akbar Amanullah
		Aziz Bilal Daud Dawood Ehsan Fahim Hamza Idris Ismail Jalal Karim Latif Mujib Nabi Obaid Qadir Rahim Saboor Shah_Mahmood`)
	femaleGiven = strings.Fields(`Fatima Fatema Maryam Mariam Zainab Zahra Khadija Aisha Ayesha Nargis Parwana Farzana
		Fariba Freshta Fereshta Hadia Homa Laila Layla Mahbooba Malalai Marzia Masooma Nasrin Nilofar Roya Sadia Sahar Shabnam
		Shakila Sima Soraya Tahmina Wahida Zarghona Zohra Gulalai Hamida Habiba Latifa Najiba Nazia Rahima Sabira Samira`)
	family = strings.Fields(`Ahmadzai Popalzai Barakzai Alokozai Achakzai Noorzai Ishaqzai Mohammadzai Yousufzai Stanikzai
		Sultani Karimi Rahimi Hakimi Azizi Habibi Hashimi Haidari Hussaini Jafari Mohammadi Ahmadi Rezaei Rasuli Sadat Amiri
		Nazari Naseri Qaderi Rahmani Safi Sharifi Wardak Zazai Zadran Mangal Safi Kakar Shinwari Mohmand Afridi Tajik Hazara
		Noori Nuri Samadi Popal Durrani Ghilzai Niazi Totakhil Ahmadi Faizi Ghani Hotak Jalali Khan Khan Khan Mirzai Omari
		Qureshi Rahimzai Sahak Tokhi Uddin Waziri Yari Zaheer Akhundzada Haqqani Mujahid Baheer Nazari Andar Kohistani`)
)

// GeneratePeople returns n registrants with Afghan names (given and family
// name, a third of them with two given names), a year or full date of birth
// between 1950 and 2015, and a sex, deterministically from seed.
func GeneratePeople(n int, seed uint64) []Person {
	r := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]Person, n)
	pick := func(s []string) string { return strings.ReplaceAll(s[r.IntN(len(s))], "_", " ") }
	for i := range out {
		p := &out[i]
		if r.IntN(2) == 0 {
			p.Sex, p.Given = muster.SexMale, pick(maleGiven)
			if r.IntN(3) == 0 {
				p.Given += " " + pick(maleGiven)
			}
		} else {
			p.Sex, p.Given = muster.SexFemale, pick(femaleGiven)
		}
		p.Family = pick(family)
		y := 1950 + r.IntN(66)
		if r.IntN(2) == 0 {
			p.DOB = muster.Date{Year: y, Precision: muster.PrecisionYear}
		} else {
			p.DOB = muster.Date{Year: y, Month: 1 + r.IntN(12), Day: 1 + r.IntN(28), Precision: muster.PrecisionDay}
		}
	}
	return out
}

// Quantile returns the q-quantile of xs (sorted in place).
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return xs[int(q*float64(len(xs)-1))]
}

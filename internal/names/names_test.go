package names

import (
	"bufio"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  Mohammad   KARIM ", "mohammad karim"},
		{"José Müller-Lüdenscheidt", "jose muller ludenscheidt"},
		{"Sa'id Ma‘ruf", "said maruf"},
		{"Muḥammad ʿAbd al-Raḥmān", "muhammad abd al rahman"}, // scholarly transliteration
		{"Ødegård Łukasz Straße", "odegard lukasz strasse"},
		{"ABD-AL-RAHMAN", "abd al rahman"},
		{"s/o Karim", "s o karim"},
		{"مُحَمَّد", "محمد"},                     // harakat
		{"محـــمد", "محمد"},                      // tatweel
		{"علی", "علي"},                           // Persian yeh
		{"کریم", "كريم"},                         // Persian kaf
		{"فاطمة", "فاطمه"},                       // teh marbuta
		{"أحمد إبراهيم آصف", "احمد ابراهيم اصف"}, // hamza alefs
		{"ګل ځلمی", "گل زلمي"},                   // Pashto gaf, dze, yeh
		{"ړ ڼ ښ ږ ټ ډ", "ر ن ش ژ ت د"},
		{"۱۳۶۴/۰۵/۱۲", "1364 05 12"}, // Persian digits
		{"٢٠٢١", "2021"},             // Arabic-Indic digits
		{"حبیب‌الله", "حبيبالله"},    // ZWNJ inside a word
		{"ﻣﺤﻤﺪ", "محمد"},             // presentation forms
		{"", ""},
		{"---", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsArabicScript(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"محمد کریم", true},
		{"Mohammad", false},
		{"محمد Karim Rahimi", false},
		{"محمد کریم Rahimi", true},
		{"123", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsArabicScript(tt.in); got != tt.want {
			t.Errorf("IsArabicScript(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestToLatin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"محمد", "mohammad"},
		{"مُحَمَّد", "mohammad"},
		{"عبدالرحمن", "abdurrahman"},
		{"حبیب‌الله", "habibullah"},
		{"ضیاالحق", "ziaulhaq"},
		{"نورالدین", "nooruddin"},
		{"کریمی", "karimi"},
		{"احمدزی", "ahmadzai"},
		{"خالد", "khalid"},
		{"کامران", "kamran"},       // ک is k, not kh
		{"شریف", "sharif"},         // ش sh
		{"قربان", "qurban"},        // ق q
		{"ګلاب", "gulab"},          // Pashto gaf
		{"التكريتي", "al takriti"}, // article kept as a word
		{"Müller", "muller"},
		{"Abdul-Rahman", "abdul rahman"},
		{"Иван Петрович", "ivan petrovich"}, // Cyrillic is romanised
		{"Ҷамшед Қодирӣ", "jamshed qodiri"}, // with Tajik letters
		{"ვახტანგ", ""},                     // other scripts are dropped
	}
	for _, tt := range tests {
		if got := ToLatin(tt.in); got != tt.want {
			t.Errorf("ToLatin(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tok := func(key, orig string, kind TokenKind, opt bool) Token {
		return Token{Key: key, Orig: orig, Kind: kind, Optional: opt}
	}
	name := func(k, o string) Token { return tok(k, o, KindName, false) }
	comp := func(k, o string) Token { return tok(k, o, KindCompound, false) }
	tests := []struct {
		in   string
		want Name
	}{
		{"Abdul Rahman", Name{Tokens: []Token{comp("abdulrahman", "abdul rahman")}}},
		{"Abdurrahman", Name{Tokens: []Token{comp("abdulrahman", "abdurrahman")}}},
		{"Abd al-Rahman", Name{Tokens: []Token{comp("abdulrahman", "abd al rahman")}}},
		{"عبدالرحمن", Name{Tokens: []Token{comp("abdulrahman", "عبدالرحمن")}}},
		{"Habib Ullah", Name{Tokens: []Token{comp("habibullah", "habib ullah")}}},
		{"Habib-ullah", Name{Tokens: []Token{comp("habibullah", "habib ullah")}}},
		{"Zia ul Haq", Name{Tokens: []Token{comp("ziaulhaq", "zia ul haq")}}},
		{"Saif al-Din", Name{Tokens: []Token{comp("saifuddin", "saif al din")}}},
		{"RAHIMI, Abdul Rahman", Name{Tokens: []Token{comp("abdulrahman", "abdul rahman"), name("rahimi", "rahimi")}}},
		{"Haji Gul Agha Ishakzai", Name{
			Tokens: []Token{name("gul", "gul"), name("agha", "agha"), tok("ishakzai", "ishakzai", KindTribal, true)},
			Titles: []string{"haji"}}},
		{"Mawlawi Mohd Karim Khan", Name{
			Tokens: []Token{name("mohammad", "mohd"), name("karim", "karim"), tok("khan", "khan", KindHonorific, true)},
			Titles: []string{"mawlawi"}}},
		{"Dr. Eng. Ashraf Ghani", Name{Tokens: []Token{name("ashraf", "ashraf"), name("ghani", "ghani")}, Titles: []string{"dr", "eng"}}},
		{"Sayed Ahmad Shah Hashimi", Name{
			Tokens: []Token{name("ahmad", "ahmad"), name("shah", "shah"), name("hashimi", "hashimi")},
			Titles: []string{"sayed"}}},
		{"Sayed Ahmad", Name{Tokens: []Token{tok("sayed", "sayed", KindName, true), name("ahmad", "ahmad")}}},
		{"Mohammad Karim s/o Abdul Ghafar", Name{
			Tokens: []Token{name("mohammad", "mohammad"), name("karim", "karim")},
			Father: []Token{comp("abdulghafar", "abdul ghafar")}}},
		{"Mohammad son of Karim", Name{Tokens: []Token{name("mohammad", "mohammad")}, Father: []Token{name("karim", "karim")}}},
		{"Osama bin Mohammed bin Awad bin Laden", Name{
			Tokens: []Token{name("osama", "osama")},
			Father: []Token{name("mohammed", "mohammed"), name("awad", "awad"), name("laden", "laden")}}},
		{"Ahmad Jan Akhund Zada", Name{Tokens: []Token{name("ahmad", "ahmad"), tok("jan", "jan", KindHonorific, true),
			comp("akhundzada", "akhund zada")}}},
		{"Khan", Name{Tokens: []Token{tok("khan", "khan", KindHonorific, false)}}},
		{"Haji", Name{Tokens: []Token{name("haji", "haji")}}},
		{"HAJI, Ali Ahmed", Name{Tokens: []Token{name("ali", "ali"), name("ahmed", "ahmed"), name("haji", "haji")}}}, // a family name, not a title
		{"", Name{}},
	}
	for _, tt := range tests {
		got := Parse(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// samePerson are spellings of one person's name that must score at or
// above MatchThreshold.
var samePerson = [][2]string{
	{"Mohammad", "Muhammad"},
	{"Mohammad", "Mohd"},
	{"Mohammad", "Mohammed"},
	{"Mohammad", "Muhammed"},
	{"Muhammad", "Mohamed"},
	{"محمد", "Mohammad"},
	{"محمد", "Muhammad"},
	{"Abdul Rahman", "Abdurrahman"},
	{"Abdul Rahman", "Abd al-Rahman"},
	{"Abdul Rahman", "عبدالرحمن"},
	{"Abdurrahman", "عبد الرحمن"},
	{"Abdel Rahman", "Abdul Rahman"},
	{"Habibullah", "Habib Ullah"},
	{"Habibullah", "Habib-ullah"},
	{"Habibullah", "حبیب الله"},
	{"RAHIMI, Abdul Rahman", "Abdul Rahman Rahimi"},
	{"Haji Gul Agha Ishakzai", "Gul Agha"},
	{"Gul Agha", "Gulagha"},
	{"Zia ul Haq", "Ziaulhaq"},
	{"Nasir ud Din", "Nasiruddin"},
	{"Hussain", "Husayn"},
	{"Husain", "Hussein"},
	{"Ahmad", "Ahmed"},
	{"Yusuf", "Yousef"},
	{"Qasim", "Kasim"},
	{"Gulbuddin Hekmatyar", "گلبدین حکمتیار"},
	{"Gulbuddin Hekmatyar", "Eng. Gulbuddin Hikmatyar"},
	{"Abdul Ghani Baradar", "عبدالغنی برادر"},
	{"Sirajuddin Haqqani", "سراج الدین حقانی"},
	{"Mullah Mohammad Omar", "Mohammad Omar"},
	{"Mohammad Karim s/o Abdul Ghafar", "Mohammad Karim"},
	{"Amir Khan Muttaqi", "امیر خان متقی"},
	{"Faizullah Khan Noorzai", "فیض الله خان نورزی"},
	{"Jalaluddin Haqqani", "Jalaludin Haqani"},
	{"Mohammad Wali Karimi", "Muhammad Wali Kareemi"},
	{"Shir Mohammad Abbas Stanekzai", "Sher Mohammad Abbas Stanikzai"},
	{"Noor Ahmad", "Nur Ahmed"},
	{"RAHMAN, Mohamad Iqbal", "ABDUL RAHMAN, Mohamad Iqbal"}, // abdul- left out
	{"AL-QADHAFI, Mohammed", "EL-QADDAFI, Muhammad"},
	{"ELKADDAFI, Aisha", "QADDAFI, Aisha"},         // glued article
	{"Mohammed I. ALOTAIBI", "Mohammad AL-OTAIBI"}, // glued before a vowel (SDN 2024-05)
	{"DAQOU, Hassan bin Muhammad", "DAQQOU, Hassan Muhammad"},
	{"میرویس", "Mirwais"},
	{"فوزیه کوفی", "Fawzia Koofi"},
	{"ذبیح الله مجاهد", "Zabihullah Mujahid"},
	{"Muḥammad ʿAbd al-Raḥmān", "Mohammad Abdul Rahman"},
	{"Умаров Доку Хаматович", "DOKU KHAMATOVICH UMAROV"}, // UN list, Cyrillic original script
	{"Шамиль Магомедович Измайлов", "SHAMIL MAGOMEDOVICH ISMAILOV"},
}

// differentPeople are names that must score below MatchThreshold.
var differentPeople = [][2]string{
	{"Hasan", "Husain"},
	{"Hasan Karimi", "Husain Karimi"},
	{"Ahmad", "Mahmood"},
	{"Ahmad Shah", "Mahmood Shah"},
	{"Mohammad Karim", "Mohammad Rahim"},
	{"Mohammad", "Mohammad Karim Rahimi"},
	{"Gul Agha", "Gul Ahmad"},
	{"Abdul Rahman", "Abdul Rahim"},
	{"Jalaluddin Haqqani", "Sirajuddin Haqqani"},
	{"Karim", "Rahim"},
	{"Ali", "Wali"},
	{"Hamid", "Ahmad"},
	{"Omar", "Amir"},
	{"Mohammad Khan", "Ahmad Khan"},
	{"Abdullah", "Abdul Rahman"},
	{"حسن", "حسین"},
	{"Habibullah", "Hamidullah"},
	{"DAQOU, Hassan bin Muhammad", "BIN ALI ABKAR, Hassan"},
	{"Omar Ahmadzai", "Mohammed Omar"},
	{"MISHUSTIN, Mikhail", "MISHUSTIN, Alexander"}, // Mikhail is not a -khail tribe
}

func TestCompareSameAndDifferent(t *testing.T) {
	for _, p := range samePerson {
		r := Compare(p[0], p[1])
		if r.Score < MatchThreshold {
			t.Errorf("same person %q vs %q: %.3f < %.2f: %s", p[0], p[1], r.Score, MatchThreshold, r.Explain())
		}
	}
	for _, p := range differentPeople {
		r := Compare(p[0], p[1])
		if r.Score >= MatchThreshold {
			t.Errorf("different %q vs %q: %.3f >= %.2f: %s", p[0], p[1], r.Score, MatchThreshold, r.Explain())
		}
	}
}

func TestCompareOrdering(t *testing.T) {
	// Each row: query, better, worse: Compare(query, better) must exceed
	// Compare(query, worse).
	tests := [][3]string{
		{"Mohammad", "Mohammad", "Muhammad"},
		{"Mohammad", "Muhammad", "Mahmood"},
		{"Hasan", "Hassan", "Husain"},
		{"Husain", "Hussein", "Hasan"},
		{"Abdul Rahman Rahimi", "Abdulrahman Rahimi", "Abdul Rahim Rahimi"},
		{"Gul Agha Ishakzai", "Gul Agha", "Gul Ahmad"},
		{"Mohammad Karim", "Mohammad Karim Rahimi", "Mohammad Rahim"},
		{"عبدالرحمن", "Abdul Rahman", "Abdul Rahim"},
		{"Qasim", "Kasim", "Hashim"},
		// titles and optional parts: the fuller agreement ranks first
		{"Hafiz Saeed", "Hafiz Saeed Khan", "Khan Said"},
		{"Gul Agha Ishakzai", "Gul Agha Ishakzai", "Gul Agha"},
		// a father's name counts when both names have one
		{"Hassan bin Muhammad", "Hassan bin Mohammed", "Hassan bin Ali"},
	}
	for _, tt := range tests {
		b, w := Compare(tt[0], tt[1]), Compare(tt[0], tt[2])
		if !(b.Score > w.Score) {
			t.Errorf("%q: %q %.3f should beat %q %.3f", tt[0], tt[1], b.Score, tt[2], w.Score)
		}
	}
}

func TestTokenSim(t *testing.T) {
	tests := []struct {
		a, b     string
		min, max float64
	}{
		{"mohammad", "mohammad", 1, 1},
		{"mohammad", "muhammad", 0.95, 0.99},
		{"hasan", "hassan", 0.95, 0.99},
		{"hasan", "husain", 0.6, 0.88},
		{"qasim", "kasim", 0.9, 0.99},
		{"wali", "vali", 0.9, 0.99},
		{"zakir", "dhakir", 0.85, 0.99},
		{"karim", "kareem", 0.9, 1},
		{"farooq", "faruk", 0.85, 0.99},
		{"karim", "rahim", 0, 0.7},
		{"ahmad", "mahmood", 0, 0.8},
		// the nisba -i makes a surname of a given name: dearer than a
		// vowel, still alike
		{"mohammadi", "mohammad", 0.85, 0.92},
		{"ahmadi", "ahmad", 0.8, 0.88},
		{"ali", "aly", 0.85, 1},
		{"", "", 1, 1},
		{"a", "", 0, 0},
	}
	for _, tt := range tests {
		got := TokenSim(tt.a, tt.b)
		if got < tt.min || got > tt.max {
			t.Errorf("TokenSim(%q, %q) = %.3f, want in [%.2f, %.2f]", tt.a, tt.b, got, tt.min, tt.max)
		}
		if back := TokenSim(tt.b, tt.a); back != got {
			t.Errorf("TokenSim not symmetric for %q, %q: %.4f vs %.4f", tt.a, tt.b, got, back)
		}
	}
}

// corpus is a set of names for property tests.
var corpus = func() []string {
	var c []string
	for _, p := range samePerson {
		c = append(c, p[0], p[1])
	}
	for _, p := range differentPeople {
		c = append(c, p[0], p[1])
	}
	return append(c, "", "Khan", "Haji", "A. B.", "bin", "al", "Mohammad Mohammad Mohammad",
		"Abd", "ul", "x y z w v u t s r q p o n", "محمد بن سلمان آل سعود", "Gul Gul Agha")
}()

func TestCompareProperties(t *testing.T) {
	var m Matcher
	prep := make([]*Prepared, len(corpus))
	for i, s := range corpus {
		prep[i] = Prepare(s)
	}
	for i := range corpus {
		self := m.Compare(prep[i], prep[i]).Score
		if self != 1 {
			t.Errorf("Compare(%q, itself) = %v, want 1", corpus[i], self)
		}
		for j := range corpus {
			ab := m.Compare(prep[i], prep[j])
			ba := m.Compare(prep[j], prep[i])
			if ab.Score < 0 || ab.Score > 1 || math.IsNaN(ab.Score) {
				t.Errorf("Compare(%q, %q) = %v, out of [0,1]", corpus[i], corpus[j], ab.Score)
			}
			if ab.Score != ba.Score {
				t.Errorf("Compare not symmetric: %q, %q: %v vs %v", corpus[i], corpus[j], ab.Score, ba.Score)
			}
			if s := m.Score(prep[i], prep[j]); s != ab.Score {
				t.Errorf("Score(%q, %q) = %v, Compare %v", corpus[i], corpus[j], s, ab.Score)
			}
			checkPairs(t, prep[i], prep[j], ab)
		}
	}
}

func TestExplain(t *testing.T) {
	r := Compare("Haji Mohammad Karimi Ahmadzai", "Muhammad Karimi")
	got := r.Explain()
	for _, want := range []string{"mohammad~muhammad", "karimi=karimi 1.00", "ahmadzai unmatched (w 0.50, no other name opposite)", "haji unmatched (w 0.03, title)"} {
		if !strings.Contains(got, want) {
			t.Errorf("Explain() = %q, want it to contain %q", got, want)
		}
	}
	// Pairs say which token of a met which of b, in that order.
	r = Compare("Gul Agha", "Gulagha Rahimi")
	want := []Aligned{{A: "gul+agha", B: "gulagha", Sim: 1, Weight: r.Pairs[0].Weight}, {B: "rahimi", Weight: r.Pairs[1].Weight}}
	if diff := cmp.Diff(want, r.Pairs); diff != "" {
		t.Errorf("Pairs (-want +got):\n%s", diff)
	}
	r = Compare("Gulagha Rahimi", "Gul Agha")
	want = []Aligned{{A: "gulagha", B: "gul+agha", Sim: 1, Weight: r.Pairs[0].Weight}, {A: "rahimi", Weight: r.Pairs[1].Weight}}
	if diff := cmp.Diff(want, r.Pairs); diff != "" {
		t.Errorf("Pairs reversed (-want +got):\n%s", diff)
	}
}

func TestKeys(t *testing.T) {
	share := func(a, b []string) bool {
		for _, x := range a {
			for _, y := range b {
				if x == y {
					return true
				}
			}
		}
		return false
	}
	for _, p := range samePerson {
		ka, kb := Keys(Prepare(p[0])), Keys(Prepare(p[1]))
		if !share(ka, kb) {
			t.Errorf("%q %v and %q %v share no key", p[0], ka, p[1], kb)
		}
	}
	// A common token is not a key when the name has a rarer one.
	for _, k := range Keys(Prepare("Mohammad Karim Rahimi")) {
		if k == "k:mhmd" {
			t.Errorf("Keys(Mohammad Karim Rahimi) has the common key %q", k)
		}
	}
	// But a name of common tokens only has keys.
	if k := Keys(Prepare("Mohammad")); len(k) == 0 {
		t.Errorf("Keys(Mohammad) is empty")
	}
	if k := Keys(Prepare("Mohammad Khan")); len(k) == 0 {
		t.Errorf("Keys(Mohammad Khan) is empty")
	}
}

func TestFreq(t *testing.T) {
	f := NewFreq()
	for i := 0; i < 200; i++ {
		f.Add("Mohammad Ahmadi")
	}
	f.Add("Mohammad Stanekzai Rahimi")
	f.Add("Muhammad Zardad")
	if wc, wr := f.Weight("muhammad"), f.Weight("zardad"); !(wr > 3*wc) {
		t.Errorf("Weight(muhammad) = %.3f, Weight(zardad) = %.3f: the rare token should weigh more", wc, wr)
	}
	if w := f.Weight("neverseen"); w < f.Weight("zardad") {
		t.Errorf("an unseen token weighs %.3f, less than a rare one", w)
	}
	m := Matcher{Freq: f}
	// With these frequencies, meeting on the rare surname counts for more
	// than meeting on the common given name.
	a := m.Compare(Prepare("Mohammad Zardad"), Prepare("Ahmad Zardad")).Score
	b := m.Compare(Prepare("Mohammad Zardad"), Prepare("Mohammad Ahmadi")).Score
	if !(a > b) {
		t.Errorf("rare-token agreement %.3f should beat common-token agreement %.3f", a, b)
	}
}

func TestScoreDoesNotAllocate(t *testing.T) {
	var m Matcher
	a, b := Prepare("Haji Mohammad Karim Rahimi Ahmadzai"), Prepare("Muhammad Kareem Rahimi")
	c := Prepare("Gul Agha Ishakzai")
	if n := testing.AllocsPerRun(100, func() { m.Score(a, b) }); n != 0 {
		t.Errorf("Score allocates %v times", n)
	}
	if n := testing.AllocsPerRun(100, func() { m.Compare(a, c) }); n != 0 {
		t.Errorf("Compare of names that do not meet allocates %v times", n)
	}
	f := NewFreq()
	f.Add("Mohammad Karim")
	mf := Matcher{Freq: f}
	if n := testing.AllocsPerRun(100, func() { mf.Score(a, b) }); n != 0 {
		t.Errorf("Score with Freq allocates %v times", n)
	}
}

func readTSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rows = append(rows, strings.Split(sc.Text(), "\t"))
	}
	return rows
}

// tokenMatchSim is the token similarity at which an Arabic-script token's
// transliteration counts as meeting its Latin spelling.
const tokenMatchSim = 0.75

// TestWikidataSample checks the letter tables on Arabic-script renderings
// of (mostly non-Arabic) names from Wikidata.
func TestWikidataSample(t *testing.T) {
	rows := readTSV(t, "testdata/wikidata-en-ar-sample.tsv")
	ok := 0
	for _, r := range rows {
		ar := strings.ReplaceAll(r[1], " ", "")
		if TokenSim(ToLatin(ar), ToLatin(r[0])) >= tokenMatchSim {
			ok++
		}
	}
	frac := float64(ok) / float64(len(rows))
	t.Logf("%d/%d = %.3f of Arabic tokens meet their Latin spelling at TokenSim >= %.2f", ok, len(rows), frac, tokenMatchSim)
	if frac < 0.80 {
		t.Errorf("only %.3f of Wikidata sample tokens meet their Latin spelling", frac)
	}
}

// TestUNArabicLatin compares the Arabic-script and Latin names of the UN
// list's individuals: the Arabic name must find its own Latin name first
// among all of them (recall@1), and most must score at the threshold.
func TestUNArabicLatin(t *testing.T) {
	rows := readTSV(t, "testdata/un-sc-arabic-latin.tsv")
	var m Matcher
	lat := make([]*Prepared, len(rows))
	ar := make([]*Prepared, len(rows))
	for i, r := range rows {
		lat[i], ar[i] = Prepare(r[1]), Prepare(r[2])
	}
	hit, above := 0, 0
	for i := range ar {
		best, bi := -1.0, -1
		for j := range lat {
			if s := m.Score(ar[i], lat[j]); s > best {
				best, bi = s, j
			}
		}
		if rows[bi][1] == rows[i][1] {
			hit++
		}
		if m.Score(ar[i], lat[i]) >= MatchThreshold {
			above++
		}
	}
	r1 := float64(hit) / float64(len(rows))
	ab := float64(above) / float64(len(rows))
	// Different people: each Arabic name against the Latin names of the
	// others.
	diff, diffAbove := 0, 0
	for i := range ar {
		for j := range lat {
			if rows[i][1] == rows[j][1] {
				continue
			}
			diff++
			if m.Score(ar[i], lat[j]) >= MatchThreshold {
				diffAbove++
			}
		}
	}
	// Retrieval: the Arabic-script name and its Latin name share a key.
	shared := 0
	for i := range ar {
		ka := map[string]bool{}
		for _, k := range Keys(ar[i]) {
			ka[k] = true
		}
		for _, k := range Keys(lat[i]) {
			if ka[k] {
				shared++
				break
			}
		}
	}
	keyRecall := float64(shared) / float64(len(rows))
	t.Logf("UN Arabic-script and Latin names sharing a key: %.3f", keyRecall)
	if keyRecall < 0.95 {
		t.Errorf("only %.3f of UN Arabic/Latin name pairs share a key", keyRecall)
	}
	fm := float64(diffAbove) / float64(diff)
	t.Logf("UN Arabic-script -> Latin: recall@1 %.3f, same-person score >= %.2f: %.3f (n=%d); different people >= %.2f: %.4f (%d of %d)",
		r1, MatchThreshold, ab, len(rows), MatchThreshold, fm, diffAbove, diff)
	if fm > 0.002 {
		t.Errorf("%.4f of different-people pairs score >= %.2f", fm, MatchThreshold)
	}
	if r1 < 0.93 {
		t.Errorf("recall@1 %.3f < 0.93", r1)
	}
	if ab < 0.75 {
		t.Errorf("only %.3f of same-person pairs score >= %.2f", ab, MatchThreshold)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range corpus {
		f.Add(s)
	}
	f.Add("LAST, First, Middle")
	f.Add("abd abd abd")
	f.Add("ul ul ul")
	f.Add("bin")
	f.Add("x bin")
	f.Add("عبد")
	f.Add("الالالال")
	f.Fuzz(func(t *testing.T, s string) {
		n := Parse(s)
		for _, tok := range append(n.Tokens, n.Father...) {
			if tok.Key == "" {
				t.Errorf("Parse(%q): empty key in %+v", s, n)
			}
			for i := 0; i < len(tok.Key); i++ {
				if c := tok.Key[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
					t.Fatalf("Parse(%q): key %q is not lowercase ASCII", s, tok.Key)
				}
			}
		}
		if l := ToLatin(s); strings.Contains(l, "  ") || strings.TrimSpace(l) != l {
			t.Errorf("ToLatin(%q) = %q: spaces not collapsed", s, l)
		}
		if nn := Normalize(s); Normalize(nn) != nn {
			t.Errorf("Normalize not idempotent on %q: %q then %q", s, nn, Normalize(nn))
		}
		Keys(Prepare(s))
	})
}

func FuzzCompare(f *testing.F) {
	for i := 0; i+1 < len(corpus); i += 2 {
		f.Add(corpus[i], corpus[i+1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var m Matcher
		pa, pb := Prepare(a), Prepare(b)
		r := m.Compare(pa, pb)
		if r.Score < 0 || r.Score > 1 || math.IsNaN(r.Score) {
			t.Fatalf("Compare(%q, %q) = %v", a, b, r.Score)
		}
		if back := m.Compare(pb, pa).Score; back != r.Score {
			t.Fatalf("Compare(%q, %q) = %v but reversed %v", a, b, r.Score, back)
		}
		if self := m.Score(pa, pa); self != 1 {
			t.Fatalf("Compare(%q, itself) = %v", a, self)
		}
		checkPairs(t, pa, pb, r)
		_ = r.Explain()
	})
}

// TestSimBound checks that the cheap bound used to skip edit distances is
// an upper bound of the similarity on many token pairs.
func TestSimBound(t *testing.T) {
	rows := readTSV(t, "testdata/wikidata-en-ar-sample.tsv")
	var codes []tokenCode
	for _, r := range rows {
		codes = append(codes, makeCode(ToLatin(r[0])), makeCode(toLatinMarked(strings.ReplaceAll(r[1], " ", ""))))
	}
	for _, w := range []string{"hassan", "hasan", "husain", "ss", "abdulrahman", "qadhafi", "gaddafi", "mohammad", "mhmd"} {
		codes = append(codes, makeCode(w))
	}
	for i := range codes {
		for j := range codes {
			if s, b := codes[i].sim(&codes[j]), codes[i].simBound(&codes[j]); s > b+1e-6 {
				t.Fatalf("%q vs %q: sim %.4f above bound %.4f", codes[i].code[:codes[i].n], codes[j].code[:codes[j].n], s, b)
			}
		}
	}
}

// TestSimCacheConsistent checks that scores do not depend on what the
// token-pair cache holds.
func TestSimCacheConsistent(t *testing.T) {
	rows := readTSV(t, "testdata/un-sc-arabic-latin.tsv")
	var ps []*Prepared
	for _, r := range rows[:5] {
		ps = append(ps, Prepare(r[1]), Prepare(r[2]))
	}
	var m Matcher
	first := make([]float64, 0, len(ps)*len(ps))
	resetSimCache()
	for _, a := range ps {
		for _, b := range ps {
			first = append(first, m.Score(a, b))
		}
	}
	k := 0
	for _, a := range ps {
		for _, b := range ps {
			resetSimCache() // cold: computed, not read back
			cold := m.Score(a, b)
			warm := m.Score(a, b) // from the cache
			if cold != first[k] || warm != first[k] {
				t.Fatalf("%q vs %q: %v first, %v cold, %v warm", a.Orig, b.Orig, first[k], cold, warm)
			}
			k++
		}
	}
}

// TestConcurrent prepares and compares names from several goroutines (run
// with -race): the intern table and the similarity cache are shared.
func TestConcurrent(t *testing.T) {
	done := make(chan []float64)
	for g := 0; g < 4; g++ {
		go func() {
			var m Matcher
			var out []float64
			for _, p := range samePerson {
				out = append(out, m.Compare(Prepare(p[0]), Prepare(p[1])).Score)
			}
			done <- out
		}()
	}
	first := <-done
	for g := 1; g < 4; g++ {
		if diff := cmp.Diff(first, <-done); diff != "" {
			t.Errorf("goroutines disagree (-first +other):\n%s", diff)
		}
	}
}

// checkPairs checks that an alignment accounts for every token of both
// names exactly once.
func checkPairs(t *testing.T, a, b *Prepared, r Result) {
	t.Helper()
	if r.Pairs == nil {
		return
	}
	na, nb := 0, 0
	for _, p := range r.Pairs {
		if p.A != "" {
			na += strings.Count(p.A, "+") + 1
		}
		if p.B != "" {
			nb += strings.Count(p.B, "+") + 1
		}
		if p.Sim < 0 || p.Sim > 1 || p.Weight < 0 {
			t.Errorf("%q vs %q: pair %+v out of range", a.Orig, b.Orig, p)
		}
	}
	if na != len(a.toks) || nb != len(b.toks) {
		t.Errorf("%q vs %q: pairs cover %d and %d tokens, names have %d and %d: %s",
			a.Orig, b.Orig, na, nb, len(a.toks), len(b.toks), r.Explain())
	}
}

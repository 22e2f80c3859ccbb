package names

import (
	"testing"
)

// precisionCases are pairs from screening the demo population against
// the UN list (2026-11-27): registrants who share one token, or a given
// name with a different family name, with a listed name, and must not
// meet it; and the planted listed people, who must.
var precisionCases = []struct {
	registrant, listed string
	same               bool
}{
	// Different people: one shared token, the rest unmatched or different.
	{"Khalid Achakzai", "Khalid ibn al-Walid Army", false},
	{"Gul Agha s/o Noorullah Noorzai", "GUL AGHA ISHAKZAI", false},
	{"STANIKZAI, Ahmad", "سيد أحمد شهيد خيل", false},
	{"Abdul Qadir s/o Ibrahim Rahimi", "Abdul Qadir", false},
	{"Ahmad Zazai", "Haji Ahmad Jan", false},
	{"Omar s/o Mohammad Nabi Durrani", "MOHAMED OMAR HAJI", false},
	// The same people as they give their names at a gate.
	{"Atiqullah Akhund", "ATTIQULLAH AKHUND", true},
	{"عتیق الله آخوند", "ATTIQULLAH AKHUND", true},
	{"Yar Mohammad Rahimi", "YAR MOHAMMAD RAHIMI", true},
	{"Abdul Latif Mansour", "ABDUL LATIF MANSUR", true},
	{"Mohammad Tahir Anwari", "MUHAMMAD TAHIR ANWARI", true},
	// Tribes and family names: different ones disagree, spellings of one
	// agree.
	{"Gul Agha Achakzai", "GUL AGHA ISHAKZAI", false},
	{"Yar Mohammad Karimi", "YAR MOHAMMAD RAHIMI", false},
	{"Gul Agha Noorzai", "Gul Agha Nurzai", true},
	// A nisba surname (-i) is not the given name it comes from.
	{"Ahmad Mohammadi", "MOHAMMAD AHMADI", false},
	{"Rahim Amiri", "AMIR RAHIMI", false},
	{"Gul Agha Ahmadzai", "GUL AGHA AHMADZAY", true},
}

// oneTokenCases are registrants whose names meet a one-word listed name
// (or a listed name met on one word only) and have more: under the gate,
// but over the review floor so that a screener sees them.
var oneTokenCases = [][2]string{
	{"Hidayatullah Ahmadzai", "HIDAYATULLAH"},
	{"Hidayatullah Rahimi", "HIDAYATULLAH"},
	{"Hidayatullah s/o Karim", "HIDAYATULLAH"},
	{"Abdul Qadir s/o Ibrahim Rahimi", "Abdul Qadir"},
	{"Abdul Qadir Sadat", "Abdul Qadir"},
}

// reviewFloor is the score from which a gate screening queue shows a
// hit.
const reviewFloor = 0.6

// precisionFreq counts the tokens of the UN list's individuals (Latin and
// original script), as screening counts the lists' names.
func precisionFreq(t *testing.T) *Freq {
	f := NewFreq()
	for _, r := range readTSV(t, "testdata/un-sc-arabic-latin.tsv") {
		f.Add(r[1])
		f.Add(r[2])
	}
	return f
}

// sameThreshold is the gate threshold the same people must reach
// (screen.GateThreshold may be set up to it).
const sameThreshold = 0.80

func TestPrecision(t *testing.T) {
	for _, m := range []struct {
		name string
		m    Matcher
	}{{"built-in weights", Matcher{}}, {"UN list weights", Matcher{Freq: precisionFreq(t)}}} {
		for _, c := range precisionCases {
			r := m.m.Compare(Prepare(c.registrant), Prepare(c.listed))
			t.Logf("%s: %.3f %q vs %q: %s", m.name, r.Score, c.registrant, c.listed, r.Explain())
			if c.same && r.Score < sameThreshold {
				t.Errorf("%s: same person %q vs %q: %.3f < %.2f: %s", m.name, c.registrant, c.listed, r.Score, sameThreshold, r.Explain())
			}
			if !c.same && r.Score >= MatchThreshold {
				t.Errorf("%s: different %q vs %q: %.3f >= %.2f: %s", m.name, c.registrant, c.listed, r.Score, MatchThreshold, r.Explain())
			}
		}
	}
}

func TestPrecisionOneToken(t *testing.T) {
	for _, m := range []struct {
		name string
		m    Matcher
	}{{"built-in weights", Matcher{}}, {"UN list weights", Matcher{Freq: precisionFreq(t)}}} {
		for _, c := range oneTokenCases {
			r := m.m.Compare(Prepare(c[0]), Prepare(c[1]))
			if r.Score >= MatchThreshold || r.Score < reviewFloor {
				t.Errorf("%s: %q vs %q: %.3f, want in [%.2f, %.2f): %s", m.name, c[0], c[1], r.Score, reviewFloor, MatchThreshold, r.Explain())
			}
		}
	}
}

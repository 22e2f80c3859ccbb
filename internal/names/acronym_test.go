package names

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Acronyms from the OFAC SDN list (2024-05), where an organisation's
// aliases include its initials, and names that must not meet through
// initials: people, and words that are not acronyms.
func TestAcronym(t *testing.T) {
	for _, c := range []struct {
		a, b    string
		acronym bool // the two meet through an acronym
	}{
		{"ISIL", "ISLAMIC STATE OF IRAQ AND THE LEVANT", true},
		{"NPA", "NEW PEOPLE'S ARMY", true},
		{"PRDF", "PALESTINE RELIEF AND DEVELOPMENT FUND", true},
		{"KKBC", "KOREA KWANGSON BANKING CORP", true},
		{"RIHF", "REVIVAL OF ISLAMIC HERITAGE FOUNDATION", true},
		{"AO NMZ ISKRA", "AKTSIONERNOE OBSHCHESTVO NOVOSIBIRSKII MEKHANICHESKII ZAVOD ISKRA", true},
		{"OAO MMZ AVANGARD", "JOINT STOCK COMPANY MOSKOVSKIY MASHINOSTROITELNIY ZAVOD AVANGARD", true},
		// A person's initials are not an organisation's acronym.
		{"Mahad Cise MUHAMMAD", "MCM GROUP", false},
		{"Angga Dimas PRASONDHA", "ADP, S.C.", false},
		// Nor is a name word (Ali is common; Rahimi is left over).
		{"Ali", "ARAB LIBYAN INVESTMENT COMPANY", false},
		{"Ali Rahimi", "ARAB LIBYAN INVESTMENT COMPANY", false},
		// Initials must spell the word from a run of words in order.
		{"ISIL", "LEVANT ISLAMIC STATE OF IRAQ", false},
		{"IRGC", "ISLAMIC REVOLUTIONARY GUARD CORPS", true},
		{"IRGC", "ISLAMIC REVOLUTIONARY CORPS", false},
	} {
		for _, ab := range [2][2]string{{c.a, c.b}, {c.b, c.a}} {
			r := Compare(ab[0], ab[1])
			got := strings.Contains(r.Explain(), "acronym")
			if got != c.acronym {
				t.Errorf("Compare(%q, %q) = %.3f: %s; acronym %v, want %v", ab[0], ab[1], r.Score, r.Explain(), got, c.acronym)
			}
			if c.acronym && r.Score < 0.7 {
				t.Errorf("Compare(%q, %q) = %.3f < 0.7: %s", ab[0], ab[1], r.Score, r.Explain())
			}
			if !c.acronym && r.Score >= ExplainFloor {
				t.Errorf("Compare(%q, %q) = %.3f >= %.2f: %s", ab[0], ab[1], r.Score, ExplainFloor, r.Explain())
			}
		}
	}
}

// An acronym is explained as one pair, the acronym against the words it
// stands for, whichever side it is on.
func TestAcronymExplain(t *testing.T) {
	r := Compare("PRDF", "PALESTINE RELIEF AND DEVELOPMENT FUND")
	want := []Aligned{
		{A: "prdf", B: "palestine+relief+development+fund", Sim: acronymSim, Weight: r.Pairs[0].Weight, Note: "acronym"},
		{B: "and", Weight: r.Pairs[1].Weight, Note: "minor"},
	}
	if diff := cmp.Diff(want, r.Pairs); diff != "" {
		t.Errorf("Pairs (-want +got):\n%s", diff)
	}
	r = Compare("PALESTINE RELIEF AND DEVELOPMENT FUND", "PRDF")
	want = []Aligned{
		{A: "palestine+relief+development+fund", B: "prdf", Sim: acronymSim, Weight: r.Pairs[0].Weight, Note: "acronym"},
		{A: "and", Weight: r.Pairs[1].Weight, Note: "minor"},
	}
	if diff := cmp.Diff(want, r.Pairs); diff != "" {
		t.Errorf("Pairs reversed (-want +got):\n%s", diff)
	}
}

// An acronym and the whole name it abbreviates share a retrieval key; a
// person's initials do not make one.
func TestAcronymKeys(t *testing.T) {
	has := func(name, key string) bool {
		for _, k := range Keys(Prepare(name)) {
			if k == key {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name, key string
		want      bool
	}{
		{"ISIL", "a:isil", true},
		{"ISLAMIC STATE OF IRAQ AND THE LEVANT", "a:isil", true},
		{"KOREA KWANGSON BANKING CORP", "a:kkbc", true},
		{"KOREA KWANGSON BANKING CORP", "a:kkb", true},
		{"Mahad Cise MUHAMMAD", "a:mcm", false},
		{"Mohammad", "a:mohammad", false},
	} {
		if got := has(c.name, c.key); got != c.want {
			t.Errorf("Keys(%q) has %q: %v, want %v (%v)", c.name, c.key, got, c.want, Keys(Prepare(c.name)))
		}
	}
}

// Words cut short in organisations' names (SDN 2024-05: WUHAN SANJIANG
// IMP. & EXP. CO. LTD. and WUHAN SANJIANG IMPORT AND EXPORT CO. LTD) meet
// the whole word; in people's names a name that begins another is a
// different name.
func TestAbbreviation(t *testing.T) {
	for _, c := range []struct {
		a, b   string
		abbrev bool
	}{
		{"WUHAN SANJIANG IMP. & EXP. CO. LTD.", "WUHAN SANJIANG IMPORT AND EXPORT CO. LTD", true},
		{"ZHEJIANG QINGJI IND. CO., LTD", "ZHEJIANG QINGJI INDUSTRY CO., LTD.", true},
		{"Ahmad Rahimi", "Ahmadzai Rahimi", false},
		{"Ali Hassan", "Alim Hassan", false},
		{"Ansar Ahmad", "Ansar Ahmadzai", false},
		// Two letters are not an abbreviation, nor a word one letter short.
		{"AB TRADING CO", "ABBAS TRADING CO", false},
		{"NORTH STAR SHIPPING CO", "NORTH STARS SHIPPING CO", false},
	} {
		r := Compare(c.a, c.b)
		got := false
		for _, p := range r.Pairs {
			got = got || (p.Sim == abbrevSim && p.A != p.B && (strings.HasPrefix(p.A, p.B) || strings.HasPrefix(p.B, p.A)))
		}
		if got != c.abbrev {
			t.Errorf("Compare(%q, %q) = %.3f: %s; abbreviation %v, want %v", c.a, c.b, r.Score, r.Explain(), got, c.abbrev)
		}
		if c.abbrev && r.Score < MatchThreshold {
			t.Errorf("Compare(%q, %q) = %.3f < %.2f: %s", c.a, c.b, r.Score, MatchThreshold, r.Explain())
		}
	}
}

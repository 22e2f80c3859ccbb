package names

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func prepareGroups(groups [][]string) [][]*Prepared {
	out := make([][]*Prepared, len(groups))
	for i, g := range groups {
		for _, n := range g {
			out[i] = append(out[i], Prepare(n))
		}
	}
	return out
}

// Russian plants listed under an English and a transliterated name, as
// the SDN lists them (ARZAMAS INSTRUMENT PLANT, TULA CARTRIDGE WORKS).
var plantGroups = [][]string{
	{"ARZAMAS INSTRUMENT PLANT", "ARZAMAS PRIBOROSTROITELNY ZAVOD", "ARZAMAS INSTRUMENT ZAVOD"},
	{"JSC NOVOSIBIRSK CARTRIDGE PLANT", "NOVOSIBIRSK CARTRIDGE ZAVOD"},
	{"ULAN-UDE AVIATION PLANT", "ULAN-UDE AVIATION ZAVOD OAO"},
}

func TestLearnTranslations(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups [][]string
		want   [][2]string
	}{
		{"three organisations", plantGroups, [][2]string{{"plant", "zavod"}}},
		{"two are too few", plantGroups[:2], nil},
		{
			// Branches of one organisation listed apart under a shared
			// name are one source, not three.
			"branches sharing a name",
			[][]string{
				{"AL-AQSA FOUNDATION", "AL-AQSA STIFTELSE"},
				{"AL-AQSA FOUNDATION", "SANABIL AL-AQSA STIFTELSE"},
				{"AL-AQSA FOUNDATION", "AL-AQSA STIFTELSE", "AQSSA SOCIETY"},
			},
			nil,
		},
		{
			// Initials written beside the words they begin are an
			// acronym, not a translation: learning ISIL/ISLAMIC would
			// keep ISIL from meeting ISLAMIC STATE OF IRAQ AND THE LEVANT.
			"acronym",
			[][]string{
				{"ISIL KHORASAN", "ISLAMIC STATE KHORASAN"},
				{"ISIL LIBYA", "ISLAMIC STATE LIBYA"},
				{"ISIL SINAI PROVINCE", "ISLAMIC STATE SINAI PROVINCE"},
			},
			nil,
		},
		{
			// Names that share no word teach nothing: they may be
			// unrelated names of one entry.
			"no shared word",
			[][]string{
				{"KONGRA-GEL", "KURDISTAN WORKERS PARTY"},
				{"KONGRA-GEL", "KURDISTAN WORKERS PARTY"},
				{"KONGRA-GEL", "KURDISTAN WORKERS PARTY"},
			},
			nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := LearnTranslations(prepareGroups(tc.groups)).Pairs()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Pairs (-want +got):\n%s", diff)
			}
		})
	}
}

// A learnt translation raises a name pair that differs by it, but not to
// the level of the same word spelt alike; it never joins words that were
// not learnt together.
func TestTranslationsScore(t *testing.T) {
	tr := LearnTranslations(prepareGroups(plantGroups))
	plain, with := Matcher{}, Matcher{Trans: tr}
	a, b := Prepare("KURGAN MACHINE BUILDING PLANT"), Prepare("KURGAN MACHINE BUILDING ZAVOD")
	with.Bind(a)
	s0, s1 := plain.Score(a, b), with.Score(a, b)
	exact := with.Score(a, Prepare("KURGAN MACHINE BUILDING PLANT"))
	if !(s0 < s1 && s1 < exact) {
		t.Errorf("PLANT vs ZAVOD: without translations %.3f, with %.3f, same word %.3f: want rising", s0, s1, exact)
	}
	if r := with.Compare(a, b); !containsPair(r.Pairs, "plant", "zavod") {
		t.Errorf("explanation %s does not show plant~zavod", r.Explain())
	}
	c := Prepare("KURGAN MACHINE BUILDING KOMBINAT")
	if s, s2 := plain.Score(a, c), with.Score(a, c); s != s2 {
		t.Errorf("PLANT vs KOMBINAT: %.3f without translations, %.3f with: want the same", s, s2)
	}
}

func containsPair(ps []Aligned, a, b string) bool {
	for _, p := range ps {
		if p.A == a && p.B == b && p.Sim == transSim {
			return true
		}
	}
	return false
}

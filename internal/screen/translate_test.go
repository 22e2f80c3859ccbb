package screen

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster/internal/lists"
)

func orgEntry(id, typ string, names ...string) lists.Entry {
	e := lists.Entry{List: lists.OFACSDN, ID: id, Type: typ}
	for i, n := range names {
		kind := lists.KindAKA
		if i == 0 {
			kind = lists.KindPrimary
		}
		e.Names = append(e.Names, lists.EntryName{Name: n, Kind: kind, Script: lists.ScriptLatin})
	}
	return e
}

// plantEntries are shaped on SDN entries of Russian plants listed under
// an English and a transliterated name.
func plantEntries(typ string) []lists.Entry {
	return []lists.Entry{
		orgEntry("1", typ, "ARZAMAS INSTRUMENT PLANT", "ARZAMAS INSTRUMENT ZAVOD"),
		orgEntry("2", typ, "JSC NOVOSIBIRSK CARTRIDGE PLANT", "NOVOSIBIRSK CARTRIDGE ZAVOD"),
		orgEntry("3", typ, "ULAN-UDE AVIATION PLANT", "ULAN-UDE AVIATION ZAVOD OAO"),
		orgEntry("4", typ, "KURGAN MACHINE BUILDING PLANT"),
		orgEntry("5", typ, "KURGAN MACHINE BUILDING COMPANY"),
	}
}

// The index learns translations from the names it is given, of
// organisations only: a name held out of it (as the alias-retrieval
// measurement holds out aliases) teaches it nothing.
func TestIndexTranslations(t *testing.T) {
	heldOut := plantEntries(lists.TypeEntity)
	heldOut[2].Names = heldOut[2].Names[:1]
	for _, tc := range []struct {
		name    string
		entries []lists.Entry
		want    [][2]string
	}{
		{"organisations", plantEntries(lists.TypeEntity), [][2]string{{"plant", "zavod"}}},
		{"people's aliases are not translations", plantEntries(lists.TypeIndividual), nil},
		{"a held-out name teaches nothing", heldOut, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewIndex(tc.entries).Translations().Pairs()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Translations (-want +got):\n%s", diff)
			}
		})
	}
}

// A name written with a learnt translation finds its entry first.
func TestScreenTranslation(t *testing.T) {
	ix := NewIndex(plantEntries(lists.TypeEntity))
	hs := ix.Screen(Query{Names: []string{"KURGAN MACHINE BUILDING ZAVOD"}}, Options{Threshold: 0.5})
	if len(hs) == 0 || hs[0].EntryID != "4" {
		t.Fatalf("Screen(KURGAN MACHINE BUILDING ZAVOD) = %v, want entry 4 first", ids(hs))
	}
	t.Logf("%.3f %s", hs[0].Score, hs[0].Explanation)
}

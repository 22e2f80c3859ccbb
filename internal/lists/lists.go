// Package lists owns muster's model of sanctions and terrorist watchlists and
// the parsers of the formats they are published in: the OFAC SDN and
// consolidated (non-SDN) legacy CSV files and the UN Security Council
// consolidated XML. Each format is one file holding one Parse function and
// its detection; adding the EU, UK or OpenSanctions lists is one more file of
// the same shape and one more case in Load.
//
// Everything a parser finds is mapped onto Entry, so that screening never
// needs to know where an entry came from.
package lists

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"muster"
)

// List names, as they appear in hits and in the store.
const (
	OFACSDN  = "ofac-sdn"
	OFACCons = "ofac-cons"
	UNSC     = "un-sc"
)

// Entry types.
const (
	TypeIndividual = "individual"
	TypeEntity     = "entity"
	TypeVessel     = "vessel"
	TypeAircraft   = "aircraft"
)

// Name kinds and qualities.
const (
	KindPrimary  = "primary"
	KindAKA      = "aka"
	KindFKA      = "fka"
	KindNKA      = "nka"
	QualityGood  = "good"
	QualityLow   = "low"
	ScriptLatin  = "latin"
	ScriptArabic = "arabic"
	ScriptCyril  = "cyrillic"
	ScriptOther  = "other"
)

// Entry is one listed individual, entity, vessel or aircraft.
type Entry struct {
	List          string            `json:"list"`           // OFACSDN, OFACCons, UNSC
	ID            string            `json:"id"`             // OFAC ent_num, UN REFERENCE_NUMBER
	Type          string            `json:"type"`           // TypeIndividual, TypeEntity, TypeVessel, TypeAircraft
	Programs      []string          `json:"programs"`       // OFAC programme tags (SDGT, ...), UN_LIST_TYPE (Taliban, Al-Qaida, ...)
	Names         []EntryName       `json:"names"`          // the primary name first
	DOBs          []DateRange       `json:"dobs,omitempty"` // every date of birth given, alternatives included
	POBs          []string          `json:"pobs,omitempty"` // places of birth as written
	Nationalities []string          `json:"nationalities,omitempty"`
	Sex           muster.Sex        `json:"sex,omitempty"`
	Documents     []muster.Document `json:"documents,omitempty"`
	Addresses     []Address         `json:"addresses,omitempty"`
	Remarks       string            `json:"remarks,omitempty"` // the list's free text, whole
}

// Key identifies an entry across versions of its list.
func (e *Entry) Key() string { return e.List + ":" + e.ID }

// Primary returns the entry's primary name.
func (e *Entry) Primary() string {
	if len(e.Names) == 0 {
		return ""
	}
	return e.Names[0].Name
}

// EntryName is one name of an entry. Name is in natural order ("Ayman AL
// ZAWAHIRI", not the list's "AL ZAWAHIRI, Ayman"); when the list separated
// the surname, Given and Family keep the parts.
type EntryName struct {
	Name    string `json:"name"`
	Given   string `json:"given,omitempty"`
	Family  string `json:"family,omitempty"`
	Kind    string `json:"kind"`              // KindPrimary, KindAKA, KindFKA, KindNKA
	Quality string `json:"quality,omitempty"` // QualityGood, QualityLow, or "" when the list does not say
	Script  string `json:"script"`            // ScriptLatin, ScriptArabic, ...
}

// DateRange is a date of birth as a list gives it: one date (To unknown), a
// range (From to To, either at any precision), or an approximate date
// ("circa 1960", UN "APPROXIMATELY"), which screening widens.
type DateRange struct {
	From   muster.Date `json:"from"`
	To     muster.Date `json:"to,omitzero"`
	Approx bool        `json:"approx,omitempty"`
}

func (d DateRange) String() string {
	s := d.From.String()
	if d.To.Known() {
		s += " to " + d.To.String()
	}
	if d.Approx {
		s = "circa " + s
	}
	return s
}

// Address is where an entry is or was, as written, with the country resolved
// when it could be.
type Address struct {
	Text    string `json:"text"`
	Country string `json:"country,omitempty"` // ISO 3166-1 alpha-2
}

// Load reads a list from path, which may be a file or a folder, and detects
// the format:
//   - an OFAC SDN set: sdn.csv, or the folder holding it; alt.csv, add.csv and
//     sdn_comments.csv are read from beside it when present;
//   - an OFAC consolidated set: cons_prim.csv (and cons_alt.csv,
//     cons_add.csv, cons_comments.csv beside it), or its folder;
//   - a UN Security Council consolidated list: an XML file whose root is
//     CONSOLIDATED_LIST.
//
// A folder is read for every set it holds directly (not its subfolders).
// Errors name the file and the line; an error means nothing was loaded,
// because screening against part of a list would look like a clean result.
func Load(path string) ([]Entry, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	if !fi.IsDir() {
		return loadFile(path)
	}
	des, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	var files []string
	for _, de := range des {
		if de.IsDir() {
			continue
		}
		n := strings.ToLower(de.Name())
		if n == "sdn.csv" || n == "cons_prim.csv" || strings.HasSuffix(n, ".xml") {
			files = append(files, filepath.Join(path, de.Name()))
		}
	}
	sort.Strings(files)
	var all []Entry
	from := map[string]string{}
	for _, f := range files {
		es, err := loadFile(f)
		if err != nil {
			return nil, err
		}
		for i := range es {
			if prev, dup := from[es[i].Key()]; dup {
				// Two versions of one list side by side would screen
				// everyone twice against each entry.
				return nil, muster.Errorf(muster.EINVALID, "entry %s is in both %s and %s: pass one version of each list", es[i].Key(), prev, f)
			}
			from[es[i].Key()] = f
		}
		all = append(all, es...)
	}
	if len(all) == 0 && len(files) == 0 {
		return nil, muster.Errorf(muster.EINVALID, "%s holds no watchlist this version reads (sdn.csv, cons_prim.csv, UN consolidated XML)", path)
	}
	return all, nil
}

func loadFile(path string) ([]Entry, error) {
	base := strings.ToLower(filepath.Base(path))
	switch base {
	case "sdn.csv":
		return LoadSDN(filepath.Dir(path))
	case "cons_prim.csv":
		return LoadCons(filepath.Dir(path))
	case "alt.csv", "add.csv", "sdn_comments.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv":
		return nil, muster.Errorf(muster.EINVALID, "%s is a companion file: pass the folder or its sdn.csv / cons_prim.csv", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if IsUNXML(head) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		es, err := ParseUN(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return es, nil
	}
	return nil, muster.Errorf(muster.EINVALID, "%s: not a watchlist format this version reads (OFAC sdn.csv / cons_prim.csv, UN consolidated XML)", path)
}

// IsUNXML reports whether the start of a file looks like the UN consolidated list.
func IsUNXML(head []byte) bool {
	return bytes.Contains(head, []byte("<CONSOLIDATED_LIST"))
}

// scriptOf names the script most of s's letters are in.
func scriptOf(s string) string {
	var latin, arabic, cyr, other int
	for _, r := range s {
		switch {
		case !unicode.IsLetter(r):
		case unicode.Is(unicode.Latin, r):
			latin++
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Cyrillic, r):
			cyr++
		default:
			other++
		}
	}
	switch {
	case latin == 0 && arabic == 0 && cyr == 0 && other == 0:
		return ScriptLatin
	case arabic >= latin && arabic >= cyr && arabic >= other:
		return ScriptArabic
	case latin >= cyr && latin >= other:
		return ScriptLatin
	case cyr >= other:
		return ScriptCyril
	}
	return ScriptOther
}

// cleanSpace trims s and collapses runs of white space to one space.
func cleanSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// appendUniq appends s to list unless it is empty or already there.
func appendUniq(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, t := range list {
		if t == s {
			return list
		}
	}
	return append(list, s)
}

// addName appends n to e.Names unless the same name (ignoring case and
// spacing) is already there, so that a name in both alt.csv and the remarks
// is screened and shown once.
func (e *Entry) addName(n EntryName) {
	n.Name = cleanSpace(n.Name)
	if n.Name == "" {
		return
	}
	if n.Script == "" {
		n.Script = scriptOf(n.Name)
	}
	for _, o := range e.Names {
		if strings.EqualFold(o.Name, n.Name) {
			return
		}
	}
	e.Names = append(e.Names, n)
}

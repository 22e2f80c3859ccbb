package intake

import "slices"

// FieldNeeds is the optional needs column: what a partner declares a person
// needs (medical care, a wheelchair, a pregnancy), which moves their case up
// the call-forward order. It is not in the template's Header, so files and
// templates without it are unchanged; a file or mapping may name it.
const FieldNeeds = "needs"

// Need codes, as stored (sealed) on the person.
const (
	NeedMedical    = "medical"
	NeedDisability = "disability"
	NeedPregnant   = "pregnant"
	NeedOther      = "other" // declared but not one of the above: the text stays in the sealed row
)

// Fields is every field a file or mapping may name: Header and the
// optional ones.
var Fields = append(slices.Clip(Header), FieldNeeds)

func init() {
	headerAliases[FieldNeeds] = []string{"need", "special needs", "vulnerability", "vulnerabilities", "medical needs"}
}

// needAliases are the words partners write for each need (folded).
var needAliases = map[string]string{
	"medical": NeedMedical, "medical condition": NeedMedical, "medical need": NeedMedical, "sick": NeedMedical, "ill": NeedMedical,
	"illness": NeedMedical, "chronic illness": NeedMedical, "injured": NeedMedical, "injury": NeedMedical, "wounded": NeedMedical,
	"disability": NeedDisability, "disabled": NeedDisability, "wheelchair": NeedDisability, "blind": NeedDisability, "deaf": NeedDisability,
	"reduced mobility": NeedDisability, "mobility": NeedDisability,
	"pregnant": NeedPregnant, "pregnancy": NeedPregnant,
}

// noNeed are values that declare no need.
var noNeed = []string{"none", "no", "n/a", "na", "-", "0", "false", "nil"}

// ParseNeeds reads a needs value ("medical; wheelchair", "Pregnant") into
// distinct need codes in order. A value it does not know becomes
// NeedOther: declared needs are never dropped, and the words as written
// stay in the sealed registration for a caseworker to read.
func ParseNeeds(s string) []string {
	if slices.Contains(noNeed, foldKey(s)) {
		return nil // "n/a" before it is split at its slash
	}
	var out []string
	for _, part := range splitList(s) {
		k := foldKey(part)
		if k == "" || slices.Contains(noNeed, k) {
			continue
		}
		code, ok := needAliases[k]
		if !ok {
			code = NeedOther
		}
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}

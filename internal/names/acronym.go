package names

import "strings"

// Acronyms: organisations are listed under their initials as often as
// under their full names (ISIL for ISLAMIC STATE OF IRAQ AND THE LEVANT,
// PRDF for PALESTINE RELIEF AND DEVELOPMENT FUND, NMZ ISKRA for
// NOVOSIBIRSKII MEKHANICHESKII ZAVOD ISKRA), and no spelling distance
// brings the two together. A token of one name meets a run of tokens of
// the other whose initials spell it, skipping function words and legal
// forms. It is kept from people's names: the words it abbreviates must
// belong to an organisation's name (one with a legal form, a function
// word or a word like ARMY, FUND, BANK: a company named MCM GROUP is not
// Mahad Cise Muhammad by name), and the acronym must be the one unmatched
// word of its name (everything else met), not a common name word, and
// spell at least three initials.

// acronymSim is the similarity of an acronym and the words it abbreviates:
// below a spelling variant (fullCreditSim), since initials say less than
// the words.
const acronymSim = 0.9

// Acronyms are 3 to 6 letters long: two letters (SL, AO) meet far too
// many runs by chance, and longer ones are words.
const (
	minAcronym = 3
	maxAcronym = 6
)

// acronymSkip are the function words an acronym leaves out (ISLAMIC STATE
// OF IRAQ AND THE LEVANT: ISIL), in the languages of the lists.
var acronymSkip = map[string]bool{
	"of": true, "the": true, "and": true, "for": true, "fi": true, "wa": true, "li": true, "lil": true,
	"de": true, "del": true, "la": true, "le": true, "les": true, "du": true, "des": true, "di": true,
	"da": true, "y": true, "et": true, "und": true, "in": true, "on": true, "i": true, "e": true,
	"a": true, "im": true, "na": true, "po": true, "ve": true,
}

// orgNouns are words that name kinds of organisation and are never
// personal names (Ansar, Jihad and Tanzim are, and are not here). Unlike orgWords they are names' real words (ISLAMIC
// JIHAD UNION is not ISLAMIC JIHAD ARMY) and weigh as such; they only
// mark a name as an organisation's, for acronyms.
var orgNouns = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`army party front movement brigade brigades battalion battalions fund foundation society
		organization organisation association bank institute ministry committee council network union center centre
		agency authority plant factory zavod kombinat bureau office service services forces force corps division
		station airlines airways shipping lines charity charitable relief trust school university academy hospital
		club media television radio navy guard guards regiment federation league alliance coalition congress
		brotherhood mujahideen jamaat jamaa jamiat harakat hizb lashkar jaish kataib liwa
		firqa saraya industry industries manufacturing engineering technology technologies systems
		research development design production scientific petrochemical chemical oil gas petroleum energy
		mining metallurgy trading exchange insurance investment investments capital finance financial
		leasing logistics transport shipyard port airport telecommunication communication communications
		fond bankasi banca banco banque instituto institut fundacion fondation stiftelse stichting verein
		obyedinenie obedinenie kontsern korporatsiya predpriyatie tsentr`) {
		m[w] = true
	}
	return m
}()

// organisational reports whether p has a legal form, a function word or
// an organisation noun: a name an acronym may abbreviate.
func organisational(p *Prepared) bool {
	for i := range p.toks {
		t := &p.toks[i]
		if t.org || orgNouns[t.key] {
			return true
		}
	}
	return false
}

// acronymKey returns the token's letters if it can be an acronym, or "".
func acronymKey(t *ptok) string {
	k := t.key
	if len(k) < minAcronym || len(k) > maxAcronym || t.father || t.title || t.org || t.kindOpt {
		return ""
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 'a' || k[i] > 'z' {
			return ""
		}
	}
	if _, common := commonSkel[t.wkey]; common {
		return ""
	}
	return k
}

// skippable reports whether an acronym may leave token t out.
func skippable(t *ptok) bool {
	return acronymSkip[t.key] || t.org || (t.kindOpt && len(t.key) == 1)
}

// acronymRun finds a run of unmatched own tokens of y, from its first
// token on, whose initials spell key, and returns the bitmask of the
// tokens the initials come from, or 0.
func acronymRun(key string, y *Prepared, py *[maxTokens]int8) uint16 {
	n := 0
	for n < len(y.toks) && !y.toks[n].father && !y.toks[n].title {
		n++
	}
	var walk func(k, j int, used uint16) uint16
	walk = func(k, j int, used uint16) uint16 {
		if k == len(key) {
			return used
		}
		if j == n {
			return 0
		}
		t := &y.toks[j]
		if py[j] < 0 && t.key != "" && t.key[0] == key[k] && !acronymSkip[t.key] {
			if u := walk(k+1, j+1, used|1<<j); u != 0 {
				return u
			}
		}
		if k > 0 && skippable(t) {
			return walk(k, j+1, used)
		}
		return 0
	}
	for s := 0; s+len(key) <= n; s++ {
		if u := walk(0, s, 0); u != 0 {
			return u
		}
	}
	return 0
}

// acronym records an acronym met in an alignment: token tok of side a
// (or of side b when onB) stands for the tokens of the other side in run.
type acronym struct {
	on  bool
	onB bool
	tok int8
	run uint16
}

// tryAcronym looks for the one unmatched word of x that is an acronym of
// unmatched words of y.
func (m *Matcher) tryAcronym(x, y *Prepared, al *alignment, swapped bool) {
	if al.acro.on || x.nFather > 0 || y.nFather > 0 {
		return
	}
	px, py, sx, sy := &al.pa, &al.pb, &al.sa, &al.sb
	if swapped {
		px, py, sx, sy = &al.pb, &al.pa, &al.sb, &al.sa
	}
	if !y.org {
		return
	}
	cand := -1
	for i := range x.toks {
		t := &x.toks[i]
		if (*px)[i] >= 0 || t.title || (t.kindOpt && acronymKey(t) == "") {
			continue
		}
		if cand >= 0 || acronymKey(t) == "" {
			return // more than one word unmatched, or a word that is not an acronym
		}
		cand = i
	}
	if cand < 0 {
		return
	}
	run := acronymRun(x.toks[cand].key, y, py)
	if run == 0 {
		return
	}
	first := int8(-1)
	for j := 0; j < len(y.toks); j++ {
		if run&(1<<j) != 0 {
			if first < 0 {
				first = int8(j)
			}
			(*py)[j], (*sy)[j] = int8(cand), acronymSim
		}
	}
	(*px)[cand], (*sx)[cand] = first, acronymSim
	al.acro = acronym{on: true, onB: swapped, tok: int8(cand), run: run}
}

// acronymPair renders a met acronym for an explanation.
func acronymPair(a, b *Prepared, al *alignment) Aligned {
	x, y, wx, wy := a, b, &al.wa, &al.wb
	if al.acro.onB {
		x, y, wx, wy = b, a, &al.wb, &al.wa
	}
	var words []string
	w := float64((*wx)[al.acro.tok])
	for j := range y.toks {
		if al.acro.run&(1<<j) != 0 {
			words = append(words, y.toks[j].key)
			w += float64((*wy)[j])
		}
	}
	p := Aligned{A: x.toks[al.acro.tok].key, B: strings.Join(words, "+"), Sim: acronymSim, Weight: w / 2, Note: "acronym"}
	if al.acro.onB {
		p.A, p.B = p.B, p.A
	}
	return p
}

// Abbreviations: organisations' names cut words short (IMP. & EXP. for
// IMPORT AND EXPORT, IND. for INDUSTRY), and the lists give both forms.
// In an organisation's name a word of three or more letters that begins
// a word at least two letters longer meets it at abbrevSim. People's names
// are left alone: there a short name that begins a longer one is another
// name (Ali, Alim; Hass, Hassan).
const abbrevSim = 0.88

// abbreviates reports whether one of two tokens is the other cut short.
func abbreviates(a, b *ptok) bool {
	x, y := a.key, b.key
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(x) < 3 || len(y) < len(x)+2 || a.title || b.title || !strings.HasPrefix(y, x) {
		return false
	}
	for i := 0; i < len(y); i++ {
		if c := y[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

package names

import (
	"strings"
)

// TokenKind says what part a token plays in a name.
type TokenKind uint8

const (
	KindName      TokenKind = iota // an ordinary name word
	KindCompound                   // joined from particles: abdulrahman, habibullah, ziaulhaq
	KindTribal                     // tribal or clan name: -zai, -khel (optional)
	KindHonorific                  // Khan, Jan, Bibi, Begum, Sahib (optional)
	KindInitial                    // a single letter
	KindOrg                        // legal form or generic word of an organisation name (LLC, Company): optional
)

func (k TokenKind) String() string {
	switch k {
	case KindCompound:
		return "compound"
	case KindTribal:
		return "tribal"
	case KindHonorific:
		return "honorific"
	case KindInitial:
		return "initial"
	case KindOrg:
		return "org"
	}
	return "name"
}

// Token is one word of a parsed name. Key is its canonical Latin key;
// Orig the normalised text it came from (possibly several words).
type Token struct {
	Key      string
	Orig     string
	Optional bool
	Kind     TokenKind
}

// Name is a parsed personal name: the person's own tokens, the father's
// name when a patronymic marker (bin, s/o, walad...) introduced one, and the
// titles that were removed.
type Name struct {
	Tokens []Token
	Father []Token
	Titles []string
}

// titles are words that are not names but say something about the person.
var titles = map[string]bool{
	"haji": true, "hajji": true, "haj": true, "hajj": true, "alhaj": true, "alhaji": true, "alhajj": true,
	"mullah": true, "mulla": true, "mola": true, "molla": true, "mullo": true,
	"mawlawi": true, "maulawi": true, "mawlavi": true, "maulavi": true, "maulvi": true, "molvi": true,
	"moulvi": true, "mowlawi": true, "mowlavi": true, "molawi": true, "mawlvi": true, "mavlavi": true,
	"maulana": true, "mawlana": true, "molana": true,
	"qari": true, "qary": true, "kari": true, "hafiz": true, "hafez": true, "hafeez": false,
	"dr": true, "doctor": true, "daktar": true, "dactor": true, "eng": true, "engr": true, "engineer": true,
	"injinir": true, "enjinir": true, "mohandis": true, "muhandis": true,
	"sheikh": true, "shaikh": true, "shaykh": true, "sheik": true, "shaik": true,
	"mr": true, "mrs": true, "ms": true, "miss": true, "prof": true, "professor": true,
	"gen": true, "general": true, "col": true, "colonel": true, "capt": true, "captain": true,
	"cmdr": true, "commander": true, "qomandan": true, "komandan": true, "ustad": true, "ustaz": true,
	"ustadh": true, "mufti": true, "maulvi sahib": true, "sahib": true, "saheb": true, "sahab": true,
	"sb": true, "agha sahib": true, "janab": true, "hazrat": false,
}

// sayedTitles are the lineage titles of descendants of the Prophet; they
// are dropped as titles when a full name follows and kept as optional name
// parts otherwise (Sayed Ahmad is also just a name).
var sayedTitles = map[string]bool{
	"sayed": true, "sayyed": true, "sayyid": true, "sayid": true, "syed": true, "seyed": true,
	"seyyed": true, "sayad": true, "said": false, "sayd": true, "sied": true, "saiyid": true, "sadat": true,
}

// honorifics are optional name parts.
var honorifics = map[string]bool{
	"khan": true, "khaan": true, "jan": true, "jaan": true, "bibi": true, "begum": true, "begam": true,
	"bek": false, "beg": false,
}

// orgWords are legal forms and generic words of organisation names, in
// the languages of the lists (English, Russian, Belarusian, Persian,
// Arabic, Spanish, Turkish romanised): they say little about which
// organisation is meant.
var orgWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`company co ltd limited llc llp lp inc incorporated corp corporation
		jsc ojsc cjsc pjsc ooo oao zao pao ao odo tdo chp ip gmbh sa sarl srl spa bv nv plc fze fzco fzc fz
		joint stock open closed public private liability obshchestvo ogranichennoi ogranichennoy
		otvetstvennostyu dopolnitelnoy aktsionernoe publichnoe zakrytoe otkrytoe tavarystva abmezhavanay
		adkaznastsyu dadatkovay the of and for et und group holding holdings trading
		enterprise enterprises industries industrial international intl sirketi ticaret anonim limitada
		sociedad compania cia sherkat sherkate establishment est
		pte pvt bhd sdn ltda doo ssk sahami khass sal wll dmcc fzllc kft sro ag kg oy tov pat prat
		fllc iooo ano`) {
		m[w] = true
	}
	return m
}()

// abbreviations of very common name words.
var abbreviations = map[string]string{
	"mohd": "mohammad", "muhd": "mohammad", "mhd": "mohammad", "md": "mohammad", "mohd.": "mohammad",
	"moh": "mohammad", "mohmmad": "mohammad", "mhmd": "mohammad", "gh": "ghulam", "ghl": "ghulam",
	"abd.": "abd",
	// Legal forms written out or abbreviated: one organisation's names
	// use both.
	"limited": "ltd", "company": "co", "corporation": "corp", "incorporated": "inc",
	"international": "intl", "establishment": "est", "compania": "cia",
}

// abdPrefixes join the following word: Abdul Rahman is one name,
// abdulrahman.
var abdPrefixes = map[string]bool{
	"abd": true, "abdul": true, "abdel": true, "abdal": true, "abdil": true, "abdol": true, "abdu": true,
	"abdur": true, "abdus": true, "abdar": true, "abdas": true, "abdo": true, "abdoul": true,
	"abdull": true, "abdurr": true, "abdud": true, "abduz": true, "abdush": true, "abdun": true,
	"abdut": true, "abdulla": false,
}

// articles are the Arabic article and the Persian/Urdu ul of compounds.
var articles = map[string]bool{
	"al": true, "el": true, "ul": true, "ol": true, "ud": true, "ad": true, "ed": true, "ur": true,
	"ar": true, "er": true, "us": true, "as": false, "es": false, "un": true, "an": false, "uz": true,
	"az": false, "ush": true, "ash": false, "ut": true, "at": false, "ud-": true, "il": true,
}

// seconds are words that, after an article, end a compound with the word
// before: Zia ul Haq, Nasir ud Din, Shams ur Rahman.
var seconds = map[string]bool{
	"din": true, "deen": true, "dine": true, "dien": true, "haq": true, "haqq": true, "hak": true,
	"huq": true, "islam": true, "rahman": true, "rehman": true, "rahim": true, "allah": true, "lah": true,
	"llah": true, "ullah": true, "mulk": true, "mulk'": true, "amin": false, "nisa": true, "nissa": true,
	"zaman": true, "haque": true, "hussain": false,
}

// ullahForms are the separate-word spellings of the -ullah suffix.
var ullahForms = map[string]bool{
	"ullah": true, "ulla": true, "ulah": true, "ollah": true, "olah": true, "ulloh": true, "allah": true,
	"alla": true, "ullha": true, "ulllah": true, "llah": true, "ollah.": true, "ullh": true,
}

// uddinForms are the separate-word spellings of -uddin.
var uddinForms = map[string]bool{
	"uddin": true, "udin": true, "uddeen": true, "udeen": true, "eddin": true, "edin": true,
	"addin": true, "aldin": true, "uldin": true, "oddin": true, "uddien": true, "aldeen": true, "eddine": true,
}

// patronymic markers: what follows is the father's (or husband's) name.
var patronymics = map[string]bool{
	"bin": true, "ibn": true, "ibnu": true, "bint": true, "binti": true, "walad": true, "wald": true,
	"ould": true, "walade": true, "farzand": true, "valad": true, "ben": true, "ag": true,
}

// arabicPatronymics are the markers in Arabic script, normalised.
var arabicPatronymics = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range []string{"بن", "ابن", "بنت", "ولد", "فرزند", "ولد", "بن", "زوی", "لور"} {
		m[Normalize(w)] = true
	}
	return m
}()

// Parse splits a name into its parts. It drops titles, turns "LAST, First"
// around, splits off a patronymic (bin, ibn, s/o, d/o, w/o, son of,
// daughter of, wife of, walad) into Father, joins particles into compounds
// (abdul rahman, abd al-rahman, abdurrahman and عبدالرحمن all give
// abdulrahman; habib ullah gives habibullah; zia ul haq gives ziaulhaq),
// drops articles (al-, el-) and marks Khan, Jan, Bibi and tribal -zai/-khel
// names optional.
func Parse(s string) Name {
	n, _, _ := parse(s)
	return n
}

// parse is Parse that also returns the marked keys (inferred vowels as
// 'A') of the own and father tokens, which Prepare encodes.
func parse(s string) (n Name, own, father []string) {
	// "LAST, First": one comma between two non-empty parts. The family
	// name joins the person's own words, before any patronymic in First
	// ("DAQOU, Hassan bin Muhammad" is Hassan Daqou, son of Muhammad).
	var family []string
	if i := strings.IndexAny(s, ",،"); i >= 0 {
		rest := s[i:]
		_, sz := firstRune(rest)
		after := rest[sz:]
		if !strings.ContainsAny(after, ",،") && strings.TrimSpace(s[:i]) != "" && strings.TrimSpace(after) != "" {
			family = strings.Fields(normalize(s[:i], false))
			s = after
		}
	}
	// Letter variants are kept for the transliterator (Pashto ۍ is -ai).
	words := strings.Fields(normalize(s, false))
	// Find the patronymic marker.
	ownW, fatherW := words, []string(nil)
	for i := 1; i < len(words); i++ {
		if skip := patronymicAt(words, i); skip > 0 && i+skip < len(words) {
			ownW, fatherW = words[:i], words[i+skip:]
			break
		}
	}
	if len(family) > 0 {
		ownW = append(ownW[:len(ownW):len(ownW)], family...)
	}
	n.Tokens, own = parseTokens(ownW, len(family), &n.Titles)
	if len(fatherW) > 0 {
		// The father's own patronymics (bin X bin Y) are dropped.
		var fw []string
		for i := 0; i < len(fatherW); i++ {
			if skip := patronymicAt(fatherW, i); skip > 0 && i+skip < len(fatherW) {
				i += skip - 1
				continue
			}
			fw = append(fw, fatherW[i])
		}
		n.Father, father = parseTokens(fw, 0, &n.Titles)
	}
	return n, own, father
}

// patronymicAt returns how many words the patronymic marker at words[i]
// spans, or 0.
func patronymicAt(words []string, i int) int {
	w := words[i]
	switch {
	case i+1 < len(words) && (w == "s" || w == "d" || w == "w") && words[i+1] == "o":
		return 2
	case i+1 < len(words) && (w == "son" || w == "daughter" || w == "wife") && words[i+1] == "of":
		return 2
	case patronymics[w] || (w[0] >= 0x80 && arabicPatronymics[Normalize(w)]):
		return 1
	}
	return 0
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

type rawTok struct {
	key    string // lowercase key
	mkey   string // key with inferred vowels marked
	orig   string
	family bool // from the LAST part of "LAST, First"
}

// parseTokens turns words into tokens; the last nFamily words are a family
// name given as such ("HAJI, Ali Ahmed"), never a title.
func parseTokens(words []string, nFamily int, titlesOut *[]string) ([]Token, []string) {
	// Transliterate each word into one or more key words.
	raw := make([]rawTok, 0, len(words)+2)
	for wi, w := range words {
		k := toLatinMarked(w)
		for _, mk := range strings.Fields(k) {
			kw := strings.ToLower(mk)
			if a, ok := abbreviations[kw]; ok {
				kw, mk = a, a
			}
			raw = append(raw, rawTok{kw, mk, w, wi >= len(words)-nFamily})
		}
	}
	// Titles: dropped unless nothing would remain.
	kept := raw[:0:0]
	for i, t := range raw {
		isTitle := titles[t.key] && !t.family
		if !isTitle && sayedTitles[t.key] && i == 0 && countNonTitle(raw[i+1:]) >= 2 {
			isTitle = true
		}
		if isTitle && countNonTitle(raw) > 0 {
			*titlesOut = append(*titlesOut, t.orig)
			continue
		}
		kept = append(kept, t)
	}
	raw = kept
	out := make([]Token, 0, len(raw))
	mkeys := make([]string, 0, len(raw))
	push := func(t Token, mk string) {
		mk = canonCompound(mk)
		t.Key = strings.ToLower(mk)
		out = append(out, t)
		mkeys = append(mkeys, mk)
	}
	for i := 0; i < len(raw); i++ {
		t := raw[i]
		k := t.key
		// abd + (article) + name
		if abdPrefixes[k] && i+1 < len(raw) {
			j := i + 1
			orig := t.orig
			if articles[raw[j].key] && j+1 < len(raw) {
				orig += " " + raw[j].orig
				j++
			}
			next := raw[j].mkey
			if ullahForms[raw[j].key] {
				next = "lah"
			}
			push(Token{Orig: orig + " " + raw[j].orig, Kind: KindCompound}, "abdul"+next)
			i = j
			continue
		}
		last := len(out) - 1
		// previous + article + second (zia ul haq, nasir ud din)
		if articles[k] && i+1 < len(raw) && last >= 0 && !out[last].Optional &&
			(seconds[raw[i+1].key] || k == "ul" || k == "ud" || k == "ur" || k == "us" || k == "uz" || k == "ush" || k == "ut" || k == "un" || k == "ol") {
			mk := canonCompound(mkeys[last] + "ul" + raw[i+1].mkey)
			out[last].Key, mkeys[last] = strings.ToLower(mk), mk
			out[last].Orig += " " + t.orig + " " + raw[i+1].orig
			out[last].Kind = KindCompound
			i++
			continue
		}
		// separate -ullah, -uddin, -zada, -zai, -khel
		if last >= 0 && !out[last].Optional && out[last].Kind != KindInitial {
			suf := ""
			switch {
			case ullahForms[k]:
				suf = "ullah"
			case uddinForms[k]:
				suf = "uddin"
			case k == "zada" || k == "zadah" || k == "zadeh" || k == "zai" || k == "zay" || k == "khel" ||
				k == "khail" || k == "khil" || k == "kheil":
				suf = k
			}
			if suf != "" {
				mk := canonCompound(mkeys[last] + suf)
				out[last].Key, mkeys[last] = strings.ToLower(mk), mk
				out[last].Orig += " " + t.orig
				out[last].Kind = KindCompound
				if isTribal(out[last].Key) {
					out[last].Kind = KindTribal
					out[last].Optional = true
				}
				continue
			}
		}
		// a lone article before a name: al-Baghdadi is Baghdadi.
		if articles[k] && i+1 < len(raw) {
			raw[i+1].orig = t.orig + " " + raw[i+1].orig
			continue
		}
		tok := Token{Orig: t.orig}
		switch {
		case len(k) == 1 && (k[0] < '0' || k[0] > '9'):
			// An initial says little and is often left out. (A number
			// is not an initial: NO. 1 and NO. 2 are two enterprises.)
			tok.Kind = KindInitial
			tok.Optional = true
		case honorifics[k]:
			tok.Kind = KindHonorific
			tok.Optional = true
		case orgWords[k]:
			tok.Kind = KindOrg
			tok.Optional = true
		case isTribal(k):
			tok.Kind = KindTribal
			tok.Optional = true
		case sayedTitles[k]:
			tok.Optional = true
		}
		if c := canonCompound(k); c != k {
			tok.Kind = KindCompound
		}
		push(tok, t.mkey)
	}
	// A name made only of optional parts keeps them as names.
	allOpt := true
	for _, t := range out {
		if !t.Optional {
			allOpt = false
		}
	}
	if allOpt {
		for i := range out {
			out[i].Optional = false
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, mkeys
}

func countNonTitle(raw []rawTok) int {
	n := 0
	for _, t := range raw {
		if !titles[t.key] {
			n++
		}
	}
	return n
}

// tribalSuffixes end tribal and clan names, longest of a family first.
var tribalSuffixes = []string{"zaee", "zaey", "zai", "zay", "zoy", "khail", "kheil", "khel", "khil"}

// isTribal reports a tribal or clan name: Ahmadzai, Popalzai, Sulaimankhel.
func isTribal(k string) bool {
	if len(k) < 5 {
		return false
	}
	for _, suf := range tribalSuffixes {
		// The stem must be a name itself (Ahmad-zai, Ali-zai, Sulaiman-khel),
		// not two letters (Mi-khail is Mikhail).
		if strings.HasSuffix(k, suf) && len(k) >= len(suf)+3 {
			return true
		}
	}
	return false
}

// canonCompound gives compounds one spelling: abd- names become abdul+rest
// (abdurrahman, abdarrahman, abdalrahman, abdrahman: abdulrahman), the
// -ullah and -uddin endings are spelled one way. k may carry inferred-vowel
// marks ('A'); the checks look at it lowercased.
func canonCompound(k string) string {
	lk := strings.ToLower(k)
	if strings.HasPrefix(lk, "abd") && len(lk) >= 6 {
		rest, lrest := k[3:], lk[3:]
		cut := func(n int) { rest, lrest = rest[n:], lrest[n:] }
		if isVowelCode(lrest[0]) {
			cut(1)
		}
		switch {
		case strings.HasPrefix(lrest, "ul") && len(lrest) > 4:
			cut(2) // abdu-ul-: doubled article
		case strings.HasPrefix(lrest, "al") && len(lrest) > 4 && !strings.HasPrefix(lrest, "all"):
			cut(2)
		case strings.HasPrefix(lrest, "el") && len(lrest) > 4:
			cut(2)
		case strings.HasPrefix(lrest, "l"):
			cut(1)
		case len(lrest) > 2 && lrest[0] == lrest[1] && !isVowelCode(lrest[0]):
			cut(1) // assimilated article: abdurrahman, abdussalam
		case strings.HasPrefix(lrest, "shsh"):
			cut(2)
		}
		if len(rest) >= 2 {
			k, lk = "abdul"+rest, "abdul"+lrest
		}
	}
	if !strings.HasPrefix(lk, "abdul") {
		for _, f := range ullahSuffixes {
			if strings.HasSuffix(lk, f) && len(lk) > len(f)+1 {
				k, lk = k[:len(k)-len(f)]+"ullah", lk[:len(lk)-len(f)]+"ullah"
				break
			}
		}
	}
	for _, f := range uddinSuffixes {
		if strings.HasSuffix(lk, f) && len(lk) > len(f)+1 {
			k = k[:len(k)-len(f)] + "uddin"
			break
		}
	}
	return k
}

var ullahSuffixes = []string{"ullah", "ulla", "ulah", "ollah", "olah", "allah", "alla", "ulloh"}

var uddinSuffixes = []string{"uddin", "udin", "uddeen", "udeen", "eddin", "eddine", "edin", "addin", "aldin", "uldin", "oddin", "aldeen", "uldeen"}

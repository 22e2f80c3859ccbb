package intake

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"muster"
)

// Flag codes set on records besides the date ones.
const (
	FlagPhoneInvalid       = "phone_invalid"    // dropped from Phones, kept in Raw
	FlagPhoneUnverified    = "phone_unverified" // kept: possible, but not in a known range
	FlagEmailInvalid       = "email_invalid"    // dropped from Emails, kept in Raw
	FlagNationalityUnknown = "nationality_unknown"
	FlagStateless          = "stateless"
	FlagNameMissing        = "name_missing"
)

// headerAliases are other names partners give the registration CSV's
// columns, tried (in order) for fields that neither the mapping nor a
// column with the field's own name provides. Result.Columns says which
// header each field was read from.
var headerAliases = map[string][]string{
	FieldSource:        {"partner", "organisation", "organization", "ngo"},
	FieldSourceID:      {"id", "registration id", "registration number", "registration no", "reg no", "reg #", "record id"},
	FieldCaseRef:       {"case", "case number", "case no", "case #", "case id", "case ref", "family id", "family number", "family #"},
	FieldRelationship:  {"relation", "relationship to principal", "relation to principal"},
	FieldGiven:         {"given name", "given names", "first name", "first names", "forename", "forenames"},
	FieldFamily:        {"family name", "surname", "last name"},
	FieldFather:        {"father name", "father's name", "fathers name", "father"},
	FieldFullName:      {"full name", "name"},
	FieldNativeName:    {"native name", "name in native script", "name (dari)", "name (pashto)"},
	FieldSex:           {"gender"},
	FieldDOB:           {"dob", "d.o.b.", "d.o.b", "date of birth", "birth date", "birthdate"},
	FieldPlaceOfBirth:  {"pob", "place of birth", "birthplace", "birth place"},
	FieldNationalities: {"nationality", "citizenship", "citizenships"},
	FieldPassport:      {"passport", "passport number", "passport no", "passport no.", "passport #"},
	FieldNationalID:    {"tazkira", "tazkira number", "tazkira no", "tazkira #", "tazkera", "national id", "national id number", "nid"},
	FieldPhone:         {"phone number", "phones", "mobile", "mobile number", "telephone", "tel"},
	FieldEmail:         {"e-mail", "email address", "emails"},
	FieldCategory:      {"eligibility", "eligibility category"},
}

// headerSearchRows is how far down a sheet the header is looked for:
// partner sheets often start with a title, a date and a blank line.
const headerSearchRows = 50

type parser struct {
	t           table
	name        string
	opt         Options
	m           *Mapping
	header      []string
	hdrLine     int
	cols        map[string][]int
	dobCal      Calendar
	region      string
	order       DateOrder
	now         time.Time
	ragged      bool              // XLSX: rows end at their last non-empty cell
	seen        map[[2]string]int // source and id -> line
	res         *Result
	queue       []row // rows read while looking for the header
	natCache    map[string]natResult
	closedCache map[string]closedResult
	chunks      [][]muster.Record // full blocks of records, joined at the end
	last        int               // line of the last row read
}

func newParser(t table, name string, opt Options) (*parser, error) {
	p := &parser{t: t, name: name, opt: opt, m: opt.Mapping, seen: map[[2]string]int{}, res: &Result{}}
	if p.m == nil {
		p.m = &Mapping{}
	}
	_, p.ragged = t.(*xlsxTable)
	p.now = opt.Now
	if p.now.IsZero() {
		p.now = time.Now()
	}
	p.region = firstNonEmpty(opt.Region, p.m.Region, DefaultRegion)
	p.order = opt.DateOrder
	if p.order == OrderUnknown {
		p.order = p.m.DateOrder
	}
	p.dobCal = p.m.Calendar
	if spec, ok := p.m.Columns[FieldDOB]; ok && spec.Calendar != Auto {
		p.dobCal = spec.Calendar
	}
	if err := p.findHeader(); err != nil {
		return nil, err
	}
	if err := p.mapColumns(); err != nil {
		return nil, err
	}
	t.dateColumns(p.cols[FieldDOB])
	return p, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func (p *parser) fileErr(format string, args ...any) error {
	return muster.Errorf(muster.EINVALID, "%s: %s", p.name, fmt.Sprintf(format, args...))
}

// knownHeaders is every header a field may be read from.
func (p *parser) knownHeaders() map[string]bool {
	known := map[string]bool{}
	for _, h := range Fields {
		known[headerKey(h)] = true
		for _, a := range headerAliases[h] {
			known[headerKey(a)] = true
		}
	}
	for _, spec := range p.m.Columns {
		for _, h := range spec.Headers {
			known[headerKey(h)] = true
		}
	}
	return known
}

// findHeader reads up to the header row: the mapping's header_row, or the
// first row naming at least two known columns (one if only one is known),
// or else the first non-empty row.
func (p *parser) findHeader() error {
	known := p.knownHeaders()
	need := min(2, len(known))
	var buf []row
	for len(buf) < headerSearchRows || p.m.HeaderRow > 0 {
		r, err := p.t.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.fileErr("%v", err)
		}
		if p.m.HeaderRow > 0 {
			if r.line < p.m.HeaderRow {
				continue
			}
			if r.line > p.m.HeaderRow {
				return p.fileErr("header_row %d is empty", p.m.HeaderRow)
			}
			return p.setHeader(r)
		}
		if r.err != nil && len(buf) == 0 {
			return p.fileErr("line %d: header: %v", r.line, r.err)
		}
		if blank(r.fields) && r.err == nil {
			continue
		}
		buf = append(buf, r)
		hits := 0
		for _, f := range r.fields {
			if known[headerKey(f)] {
				hits++
			}
		}
		if hits >= need {
			// Title rows above the header are dropped; they are not people.
			return p.setHeader(r)
		}
	}
	if p.m.HeaderRow > 0 {
		return p.fileErr("no row %d: the file is shorter", p.m.HeaderRow)
	}
	if len(buf) == 0 {
		return p.fileErr("no header: the file is empty")
	}
	p.queue = buf[1:]
	return p.setHeader(buf[0])
}

func (p *parser) setHeader(r row) error {
	if r.err != nil {
		return p.fileErr("line %d: header: %v", r.line, r.err)
	}
	if i := validUTF8(r.fields); i >= 0 {
		return p.fileErr("line %d: header: column %d is not valid UTF-8 (save the file as UTF-8)", r.line, i+1)
	}
	p.header = r.fields
	p.hdrLine = r.line
	p.res.HeaderLine = r.line
	return nil
}

func (p *parser) mapColumns() error {
	index := map[string][]int{}
	for i, h := range p.header {
		k := headerKey(h)
		index[k] = append(index[k], i)
	}
	lookup := func(h string) (int, error) {
		is := index[headerKey(h)]
		switch len(is) {
		case 0:
			return -1, nil
		case 1:
			return is[0], nil
		}
		return -1, p.fileErr("column %q appears %d times", h, len(is))
	}
	p.cols = map[string][]int{}
	used := map[int]bool{}
	// The mapping first, then the registration CSV's own names, then
	// common other names for the fields the mapping leaves out.
	for _, f := range Fields {
		spec, ok := p.m.Columns[f]
		if !ok {
			continue
		}
		for _, h := range spec.Headers {
			i, err := lookup(h)
			if err != nil {
				return err
			}
			if i < 0 {
				return p.fileErr("mapping %s line %d: no column %q in the file (it has %s)", p.m.Name, spec.Line, h, strings.Join(quoteAll(nonEmpty(p.header)), ", "))
			}
			p.cols[f] = append(p.cols[f], i)
			used[i] = true
		}
	}
	for pass := 0; pass < 2; pass++ {
		for _, f := range Fields {
			if p.cols[f] != nil {
				continue
			}
			names := []string{f}
			if pass == 1 {
				names = headerAliases[f]
			}
			for _, h := range names {
				i, err := lookup(h)
				if err != nil {
					return err
				}
				if i >= 0 && !used[i] {
					p.cols[f] = []int{i}
					used[i] = true
					break
				}
			}
		}
	}
	p.res.Columns = map[string][]string{}
	for f, cols := range p.cols {
		for _, c := range cols {
			p.res.Columns[f] = append(p.res.Columns[f], p.header[c])
		}
	}
	if p.cols[FieldSourceID] == nil {
		hint := ""
		if xt, ok := p.t.(*xlsxTable); ok {
			hint = xt.sheetHint()
		}
		return p.fileErr("no %s column (the header is on line %d: %s)%s", FieldSourceID, p.headerLine(), strings.Join(quoteAll(nonEmpty(p.header)), ", "), hint)
	}
	if p.cols[FieldSource] == nil && p.opt.Source == "" && p.m.Source == "" {
		return p.fileErr("no %s column and no source given: name the partner with --source", FieldSource)
	}
	for i, h := range p.header {
		if !used[i] && strings.TrimSpace(h) != "" {
			p.res.Unmapped = append(p.res.Unmapped, h)
		}
	}
	return nil
}

func (p *parser) headerLine() int { return p.hdrLine }

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

func (p *parser) run() (*Result, error) {
	for {
		var r row
		if len(p.queue) > 0 {
			r, p.queue = p.queue[0], p.queue[1:]
		} else {
			var err error
			r, err = p.t.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, p.fileErr("after line %d: %v", p.last, err)
			}
		}
		if r.err == nil && blank(r.fields) {
			continue
		}
		p.last = r.line
		p.res.Rows++
		if p.opt.Progress != nil && p.res.Rows%ProgressEvery == 0 {
			p.opt.Progress(p.res.Rows)
		}
		p.row(r)
	}
	if p.opt.Progress != nil {
		p.opt.Progress(p.res.Rows)
	}
	p.joinRecords()
	return p.res, nil
}

// row turns one row into a record, or into rejects.
func (p *parser) row(r row) {
	var errs []RowError
	reject := func(col, val, reason string) {
		errs = append(errs, RowError{File: p.name, Line: r.line, Column: col, Value: val, Reason: reason, Raw: r.fields, Header: p.header})
	}
	defer func() {
		p.res.Rejected = append(p.res.Rejected, errs...)
	}()
	if r.err != nil {
		reject("", "", r.err.Error())
		return
	}
	fields := r.fields
	if len(fields) != len(p.header) {
		if p.ragged && len(fields) < len(p.header) {
			fields = append(fields, make([]string, len(p.header)-len(fields))...)
		} else if p.ragged && blank(fields[len(p.header):]) {
			fields = fields[:len(p.header)]
		} else if p.ragged {
			for i := len(p.header); i < len(fields); i++ {
				if strings.TrimSpace(fields[i]) != "" {
					reject(columnName(i), safeValue(fields[i]), "a value in a column with no header")
					return
				}
			}
		} else {
			reject("", "", fmt.Sprintf("%d fields, but the header has %d", len(fields), len(p.header)))
			return
		}
	}
	for i, f := range fields {
		if !utf8.ValidString(f) {
			reject(p.header[i], safeValue(f), "not valid UTF-8 (save the file as UTF-8)")
		}
	}
	if len(errs) > 0 {
		return
	}

	rec := muster.Record{Line: r.line, Raw: fields, Header: p.header}
	var flags []muster.Flag
	flag := func(field, code, detail string) {
		flags = append(flags, muster.Flag{Field: field, Code: code, Detail: detail})
	}

	rec.Source = firstNonEmpty(p.get(fields, FieldSource, " "), p.opt.Source, p.m.Source)
	if rec.Source == "" {
		reject(FieldSource, "", "empty, and no source given for the file (--source)")
	}
	rec.SourceID = p.get(fields, FieldSourceID, " ")
	if rec.SourceID == "" {
		reject(FieldSourceID, "", "empty: every row needs the partner's own id")
	}
	rec.CaseRef = p.get(fields, FieldCaseRef, " ")
	rec.Relationship = p.get(fields, FieldRelationship, " ")
	rec.Given = p.get(fields, FieldGiven, " ")
	rec.Family = p.get(fields, FieldFamily, " ")
	rec.Father = p.get(fields, FieldFather, " ")
	rec.FullName = p.get(fields, FieldFullName, " ")
	rec.NativeName = p.get(fields, FieldNativeName, " ")
	rec.PlaceOfBirth = p.get(fields, FieldPlaceOfBirth, " ")
	rec.Passport = normalizeDocNumber(p.get(fields, FieldPassport, " "))
	rec.NationalID = p.get(fields, FieldNationalID, " ")

	if v := p.get(fields, FieldSex, " "); v != "" {
		sex, err := p.closed(FieldSex, v)
		if err != nil {
			reject(FieldSex, v, err.Error())
		}
		rec.Sex = muster.Sex(sex)
	}
	if v := p.get(fields, FieldCategory, " "); v != "" {
		c, err := p.closed(FieldCategory, v)
		if err != nil {
			reject(FieldCategory, v, err.Error())
		}
		rec.Category = muster.Category(c)
	}
	if v := p.get(fields, FieldNeeds, "; "); v != "" {
		rec.Needs = ParseNeeds(v)
	}
	if v := p.get(fields, FieldDOB, " "); v != "" {
		d, fl, err := parseDate(v, p.dobCal, p.order, p.now)
		if err != nil {
			flag(FieldDOB, FlagDateInvalid, err.Error())
		}
		rec.DOB = d
		flags = append(flags, fl...)
	}
	if v := p.get(fields, FieldNationalities, "; "); v != "" {
		codes, unknown, stateless := p.nationalities(v)
		rec.Nationalities = codes
		if unknown > 0 {
			flag(FieldNationalities, FlagNationalityUnknown, fmt.Sprintf("%d value(s) not recognised", unknown))
		}
		if stateless {
			flag(FieldNationalities, FlagStateless, "")
		}
	}
	if v := p.get(fields, FieldPhone, "; "); v != "" {
		for i, part := range splitList(v) {
			e, err := NormalizePhone(part, p.region)
			switch {
			case err == nil:
			case errors.Is(err, ErrPhoneUnverified):
				flag(FieldPhone, FlagPhoneUnverified, fmt.Sprintf("number %d: %v", i+1, err))
			default:
				flag(FieldPhone, FlagPhoneInvalid, fmt.Sprintf("number %d: %v", i+1, err))
				continue
			}
			if !slices.Contains(rec.Phones, e) {
				rec.Phones = append(rec.Phones, e)
			}
		}
	}
	if v := p.get(fields, FieldEmail, "; "); v != "" {
		for i, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\n' || r == '/' }) {
			e, ok := normalizeEmail(part)
			if !ok {
				flag(FieldEmail, FlagEmailInvalid, fmt.Sprintf("address %d", i+1))
				continue
			}
			if !slices.Contains(rec.Emails, e) {
				rec.Emails = append(rec.Emails, e)
			}
		}
	}
	if rec.Given == "" && rec.Family == "" && rec.FullName == "" && rec.NativeName == "" {
		flag("", FlagNameMissing, "")
	}
	if len(errs) > 0 {
		return
	}
	key := [2]string{rec.Source, rec.SourceID}
	if prev, dup := p.seen[key]; dup {
		reject(FieldSourceID, rec.SourceID, fmt.Sprintf("duplicate: source %q id %q is already on line %d", rec.Source, rec.SourceID, prev))
		return
	}
	p.seen[key] = r.line
	rec.Flags = flags
	if len(flags) > 0 {
		p.res.Flagged++
	}
	if cap(p.res.Records) == 0 {
		p.res.Records = make([]muster.Record, 0, recordBlock)
	}
	if len(p.res.Records) == cap(p.res.Records) {
		// Records are large; rather than let append copy them ever again,
		// keep full blocks aside and join them once at the end.
		p.chunks = append(p.chunks, p.res.Records)
		p.res.Records = make([]muster.Record, 0, recordBlock)
	}
	p.res.Records = append(p.res.Records, rec)
}

const recordBlock = 4096

// joinRecords puts the blocks of records back into one slice.
func (p *parser) joinRecords() {
	if len(p.chunks) == 0 {
		return
	}
	n := len(p.res.Records)
	for _, c := range p.chunks {
		n += len(c)
	}
	all := make([]muster.Record, 0, n)
	for _, c := range p.chunks {
		all = append(all, c...)
	}
	p.res.Records = append(all, p.res.Records...)
	p.chunks = nil
}

type closedResult struct {
	v   string
	err error
}

// closed resolves a sex or category value through a cache: closed lists
// have a handful of spellings in a whole file.
func (p *parser) closed(field, v string) (string, error) {
	k := field + "\x00" + v
	if r, ok := p.closedCache[k]; ok {
		return r.v, r.err
	}
	var r closedResult
	if field == FieldSex {
		s, err := ParseSex(v)
		r = closedResult{string(s), err}
	} else {
		c, err := ParseCategory(v, p.opt.Categories)
		r = closedResult{string(c), err}
	}
	if p.closedCache == nil {
		p.closedCache = map[string]closedResult{}
	}
	if len(p.closedCache) < 1000 {
		p.closedCache[k] = r
	}
	return r.v, r.err
}

type natResult struct {
	codes     []string
	unknown   int
	stateless bool
}

// nationalities is ParseNationalities through a cache: a file holds a
// handful of distinct nationality values in 100,000 rows.
func (p *parser) nationalities(v string) ([]string, int, bool) {
	if r, ok := p.natCache[v]; ok {
		return slices.Clone(r.codes), r.unknown, r.stateless
	}
	codes, unknown, stateless := ParseNationalities(v)
	if p.natCache == nil {
		p.natCache = map[string]natResult{}
	}
	if len(p.natCache) < 10000 {
		p.natCache[v] = natResult{codes, unknown, stateless}
	}
	return slices.Clone(codes), unknown, stateless
}

// get returns the cleaned value of field: its columns' values joined by
// sep, then mapped through the mapping's values for the field.
func (p *parser) get(fields []string, field, sep string) string {
	cols := p.cols[field]
	var v string
	switch len(cols) {
	case 0:
		return ""
	case 1:
		v = clean(fields[cols[0]])
	default:
		var parts []string
		for _, c := range cols {
			if s := clean(fields[c]); s != "" {
				parts = append(parts, s)
			}
		}
		v = strings.Join(parts, sep)
	}
	if vals := p.m.Values[field]; vals != nil && v != "" {
		if mapped, ok := vals[foldKey(v)]; ok {
			return mapped
		}
	}
	return v
}

// clean trims a value, turns runs of whitespace (newlines in a cell
// included) into one space, and composes it in Unicode NFC so that the
// same Arabic-script name typed on two keyboards compares equal.
func clean(s string) string {
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c < ' ' || c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			simple = false
			break
		}
	}
	if simple {
		return s
	}
	if norm.NFC.IsNormalString(s) && !needsSpaceFix(s) {
		return s
	}
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// needsSpaceFix reports whether s has leading, trailing, repeated or
// non-space whitespace.
func needsSpaceFix(s string) bool {
	prevSpace := true
	for _, r := range s {
		sp := unicode.IsSpace(r)
		if sp && (prevSpace || r != ' ') {
			return true
		}
		prevSpace = sp
	}
	return prevSpace && s != ""
}

// normalizeDocNumber upper-cases a passport number and drops the spaces
// and dashes people type inside it.
func normalizeDocNumber(s string) string {
	if s == "" {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(foldDigits(s)))
}

// normalizeEmail checks an address's shape (something@domain.tld, no
// spaces or brackets) and lower-cases its domain.
func normalizeEmail(s string) (string, bool) {
	s = strings.Trim(s, " <>\"'")
	s = strings.TrimPrefix(s, "mailto:")
	at := strings.IndexByte(s, '@')
	if len(s) > 254 || at < 1 || strings.ContainsAny(s, " \t<>(),;:\"[]\\") || strings.Count(s, "@") != 1 {
		return "", false
	}
	domain := s[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	if dot < 1 || len(domain)-dot-1 < 2 || strings.Contains(domain, "..") {
		return "", false
	}
	if lower := strings.ToLower(domain); lower != domain {
		return s[:at] + "@" + lower, true
	}
	return s, true
}

// splitList splits a list of phones: ; , / | newlines and " or ".
func splitList(s string) []string {
	s = strings.ReplaceAll(s, " or ", ";")
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == ',' || r == '/' || r == '|' || r == '\n' || r == '،'
	})
}

// nationalitySep separates nationalities: ; , / & | + - and the word
// "and" (و in Dari). Names holding one ("Guinea-Bissau", "Trinidad and
// Tobago") are put back together by ParseNationalities.
var nationalitySep = regexp.MustCompile(`(?i)\s*(?:[;,/&|+،-]|\band\b)\s*|\s+و\s+`)

// ParseNationalities resolves a field that may hold several nationalities
// ("Afghan; American", "AF/US", "Afghan and British") to distinct ISO
// alpha-2 codes, in order. Names that contain a separator ("Bosnia and
// Herzegovina", "Korea, Republic of") are matched whole first: the longest
// run of pieces that names a country wins. It also returns how many pieces
// named no country and whether one said "stateless".
func ParseNationalities(s string) (codes []string, unknown int, stateless bool) {
	if c, ok := Country(s); ok {
		return []string{c}, 0, false
	}
	if noNationality[foldKey(s)] {
		return nil, 0, false
	}
	locs := nationalitySep.FindAllStringIndex(s, -1)
	// pieces[i] spans s[starts[i]:ends[i]]
	var starts, ends []int
	pos := 0
	for _, l := range locs {
		starts, ends = append(starts, pos), append(ends, l[0])
		pos = l[1]
	}
	starts, ends = append(starts, pos), append(ends, len(s))
	for i := 0; i < len(starts); {
		if strings.TrimSpace(s[starts[i]:ends[i]]) == "" {
			i++
			continue
		}
		matched := false
		for j := min(len(starts)-1, i+5); j >= i; j-- {
			if c, ok := Country(s[starts[i]:ends[j]]); ok {
				if !slices.Contains(codes, c) {
					codes = append(codes, c)
				}
				i, matched = j+1, true
				break
			}
		}
		if matched {
			continue
		}
		switch piece := foldKey(s[starts[i]:ends[i]]); piece {
		case "stateless", "bidoon", "bedoon":
			stateless = true
		case "no", "na", "n/a", "none", "unknown", "nil", "not known", "unk":
		default:
			unknown++
		}
		i++
	}
	return codes, unknown, stateless
}

// columnName names column i (0-based) the way a spreadsheet does: A, B, ... AA.
func columnName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return "column " + name
}

// safeValue makes a value printable in a report: invalid UTF-8 becomes
// U+FFFD, and very long values are cut.
func safeValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 200 {
		s = s[:200] + "…"
		s = strings.ToValidUTF8(s, "")
	}
	return s
}

package intake

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"muster"
)

// A Mapping tells intake how to read a sheet whose headers are not the
// registration CSV's. It is written by hand, one per partner format, in a
// small line-based text format:
//
//	# NGO X evacuation list, August 2021 layout
//	source      = ngo-x                  # source name for every row
//	sheet       = Applicants             # XLSX sheet (default: the first)
//	header_row  = 3                      # line of the header (default: found)
//	phone_region = AF                    # region of phones without +country
//	date_order  = dmy                    # 03/04/1990 is 3 April (dmy or mdy)
//
//	source_id     = Reg #
//	given_name    = Name of Applicant
//	father_name   = Father Name
//	national_id   = Tazkira #
//	date_of_birth = DOB (Shamsi) [solar_hijri]
//	phone         = Mobile + WhatsApp     # several columns, joined
//	source_column = Partner               # a column naming the source
//
//	sex: Male=M, Female=F, مرد=M, زن=F
//	category: SIV=siv_applicant, Dual=dual_national
//
// Rules: one statement per line. '#' starts a comment at the start of a
// line or when it stands alone between blanks (" # "), so "Tazkira #" and
// "Reg #1" are headers; write "\#" for a literal '#' anywhere.
// `FIELD = HEADER` reads field FIELD (a registration CSV column name) from
// the column headed HEADER (matched ignoring case and repeated spaces);
// `A + B` joins several columns (with "; " for phone, email and
// nationalities, a space otherwise); a trailing `[solar_hijri]`,
// `[gregorian]` or `[auto]` gives the calendar of the date_of_birth column.
// Fields the mapping does not name are still read from a column with their
// registration CSV name, or else with a common other name ("DOB",
// "Gender", "First Name", "Mobile", "Tazkira": headerAliases); a mapped header missing from the
// file is an error naming the mapping line. `FIELD: written=value, ...`
// maps values of a field before they are parsed (several such lines add
// up); keys match ignoring case, '-', '_' and repeated spaces, and neither
// keys nor values may hold a comma. The directives are source (the source
// name when the file has none; Options.Source wins over it),
// source_column, sheet, header_row, phone_region, date_order and calendar
// (the default calendar of date_of_birth). Every statement may appear once,
// except the value lines.
type Mapping struct {
	Name      string // file name, for errors
	Source    string
	Sheet     string
	HeaderRow int // 1-based; 0 means find the header among the first rows
	Region    string
	DateOrder DateOrder
	Calendar  Calendar
	Columns   map[string]ColumnSpec        // by field
	Values    map[string]map[string]string // by field, then folded key
}

// ColumnSpec is where one field comes from.
type ColumnSpec struct {
	Headers  []string // joined when several
	Calendar Calendar // for date_of_birth; Auto unless given
	Line     int      // line of the mapping file, for errors
}

// LoadMapping reads a mapping file.
func LoadMapping(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, muster.Errorf(muster.EINVALID, "cannot open mapping %s: %v", path, err)
	}
	defer f.Close()
	return ParseMapping(f, path)
}

// maxMappingLine bounds a mapping line; a mapping is a small hand-written file.
const maxMappingLine = 64 << 10

// ParseMapping parses a mapping; name is used in errors.
func ParseMapping(r io.Reader, name string) (*Mapping, error) {
	m := &Mapping{Name: name, Columns: map[string]ColumnSpec{}, Values: map[string]map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxMappingLine)
	n := 0
	errf := func(format string, args ...any) error {
		return muster.Errorf(muster.EINVALID, "%s:%d: %s", name, n, fmt.Sprintf(format, args...))
	}
	seen := map[string]int{}
	for sc.Scan() {
		n++
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF")
		}
		if !utf8.ValidString(line) {
			return nil, errf("invalid UTF-8")
		}
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			continue
		}
		eq := strings.IndexByte(line, '=')
		colon := strings.IndexByte(line, ':')
		if colon >= 0 && (eq < 0 || colon < eq) {
			// FIELD: a=b, c=d
			field := strings.ToLower(strings.TrimSpace(line[:colon]))
			if !isField(field) {
				return nil, errf("unknown field %q (fields are %s)", field, strings.Join(Fields, ", "))
			}
			vals := m.Values[field]
			if vals == nil {
				vals = map[string]string{}
				m.Values[field] = vals
			}
			for _, pair := range strings.Split(line[colon+1:], ",") {
				pair = strings.TrimSpace(pair)
				if pair == "" {
					continue
				}
				k, v, ok := strings.Cut(pair, "=")
				k, v = strings.TrimSpace(k), strings.TrimSpace(v)
				if !ok || k == "" {
					return nil, errf("%s: %q is not written=value", field, pair)
				}
				fk := foldKey(k)
				if old, dup := vals[fk]; dup && old != v {
					return nil, errf("%s: %q mapped twice (to %q and %q)", field, k, old, v)
				}
				vals[fk] = v
			}
			continue
		}
		if eq < 0 {
			return nil, errf("expected FIELD = HEADER or FIELD: written=value, ...")
		}
		key := strings.ToLower(strings.TrimSpace(line[:eq]))
		val := strings.TrimSpace(line[eq+1:])
		if val == "" {
			return nil, errf("%s: no value", key)
		}
		if prev, dup := seen[key]; dup {
			return nil, errf("%s given twice (first on line %d)", key, prev)
		}
		seen[key] = n
		switch key {
		case "source":
			m.Source = val
		case "sheet":
			m.Sheet = val
		case "header_row":
			h, err := strconv.Atoi(val)
			if err != nil || h < 1 || h > 1000 {
				return nil, errf("header_row: %q is not a line number from 1 to 1000", val)
			}
			m.HeaderRow = h
		case "phone_region":
			if _, ok := Country(val); !ok || len(val) != 2 {
				return nil, errf("phone_region: %q is not an ISO 3166 alpha-2 code", val)
			}
			m.Region = strings.ToUpper(val)
		case "date_order":
			o, err := parseDateOrder(val)
			if err != nil {
				return nil, errf("date_order: %v", err)
			}
			m.DateOrder = o
		case "calendar":
			c, err := parseCalendar(val)
			if err != nil {
				return nil, errf("calendar: %v", err)
			}
			m.Calendar = c
		default:
			field := key
			if key == "source_column" {
				field = FieldSource
			} else if !isField(key) {
				return nil, errf("unknown field or directive %q", key)
			}
			spec := ColumnSpec{Line: n}
			if strings.HasSuffix(val, "]") {
				if i := strings.LastIndexByte(val, '['); i >= 0 {
					opt := strings.TrimSpace(val[i+1 : len(val)-1])
					c, err := parseCalendar(opt)
					if err != nil {
						return nil, errf("%s: option [%s]: %v", key, opt, err)
					}
					if field != FieldDOB {
						return nil, errf("%s: a calendar only applies to %s", key, FieldDOB)
					}
					spec.Calendar = c
					val = strings.TrimSpace(val[:i])
				}
			}
			for _, h := range strings.Split(val, " + ") {
				h = strings.TrimSpace(h)
				if h == "" {
					return nil, errf("%s: empty header in %q", key, val)
				}
				spec.Headers = append(spec.Headers, h)
			}
			m.Columns[field] = spec
		}
	}
	if err := sc.Err(); err != nil {
		n++
		return nil, errf("%v", err)
	}
	return m, nil
}

// stripComment removes a comment: from a '#' that starts the line or that
// stands alone between spaces. "Tazkira #" and "Reg #1" keep their '#';
// "\#" is a literal '#' anywhere.
func stripComment(line string) string {
	var b strings.Builder
	lead := true // only blanks so far
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\\' && i+1 < len(line) && line[i+1] == '#' {
			b.WriteByte('#')
			lead = false
			i++
			continue
		}
		if c == '#' {
			spaced := i > 0 && isBlank(line[i-1]) && i+1 < len(line) && isBlank(line[i+1])
			if lead || spaced {
				break
			}
		}
		if !isBlank(c) {
			lead = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func isField(s string) bool { return slices.Contains(Fields, s) }

// headerKey folds a header for matching: case, '_' for a space,
// surrounding and repeated spaces, and a byte order mark do not matter
// ("Source ID" is source_id).
func headerKey(s string) string {
	s = strings.ReplaceAll(strings.TrimPrefix(s, "\uFEFF"), "_", " ")
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// String renders m in its own format; ParseMapping reads it back.
func (m *Mapping) String() string {
	var b strings.Builder
	esc := strings.NewReplacer("#", `\#`).Replace
	dir := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s = %s\n", k, esc(v))
		}
	}
	dir("source", m.Source)
	dir("sheet", m.Sheet)
	if m.HeaderRow > 0 {
		dir("header_row", strconv.Itoa(m.HeaderRow))
	}
	dir("phone_region", m.Region)
	if m.DateOrder != OrderUnknown {
		dir("date_order", m.DateOrder.String())
	}
	if m.Calendar != Auto {
		dir("calendar", m.Calendar.String())
	}
	for _, f := range Fields {
		spec, ok := m.Columns[f]
		if !ok {
			continue
		}
		k := f
		if f == FieldSource {
			k = "source_column"
		}
		v := esc(strings.Join(spec.Headers, " + "))
		if spec.Calendar != Auto {
			v += " [" + spec.Calendar.String() + "]"
		}
		fmt.Fprintf(&b, "%s = %s\n", k, v)
	}
	for _, f := range Fields {
		vals := m.Values[f]
		if len(vals) == 0 {
			continue
		}
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fmt.Fprintf(&b, "%s:", f)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %s=%s", esc(k), esc(vals[k]))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

package resolve

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The public benchmarks: FEBRL (Australian synthetic person records) and
// Splink's demo sets. Only the column-to-field mapping and the blocking rules
// are theirs; model and clustering are the engine's.

// FEBRL columns in file order after rec_id.
var febrlCols = []string{"given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state", "date_of_birth", "soc_sec_id"}

// NewFEBRL returns an empty data set with FEBRL's fields.
func NewFEBRL() *Data {
	return NewData([]Field{
		{Name: "given_name", Cmp: NewStringCmp(), TF: true},
		{Name: "surname", Cmp: NewStringCmp(), TF: true},
		{Name: "street_number", Cmp: &CodeCmp{}, TF: true},
		{Name: "address_1", Cmp: NewStringCmp(), TF: true},
		{Name: "address_2", Cmp: NewStringCmp(), TF: true},
		{Name: "suburb", Cmp: NewStringCmp(), TF: true},
		{Name: "postcode", Cmp: &CodeCmp{}, TF: true},
		{Name: "state", Cmp: &ExactCmp{}},
		{Name: "date_of_birth", Cmp: &DateCmp{}, TF: true},
		{Name: "soc_sec_id", Cmp: &CodeCmp{}, TF: true},
	})
}

// ReadFEBRL appends the records of a FEBRL file (", "-separated, header
// first) to d, which NewFEBRL made.
func ReadFEBRL(d *Data, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("febrl header: %w", err)
	}
	idx := map[string]int{}
	for i, h := range head {
		idx[strings.TrimSpace(h)] = i
	}
	id, ok := idx["rec_id"]
	if !ok {
		return errors.New("febrl header: no rec_id column")
	}
	at := make([]int, len(febrlCols))
	for k, c := range febrlCols {
		if at[k], ok = idx[c]; !ok {
			return fmt.Errorf("febrl header: no %s column", c)
		}
	}
	vals := make([]string, len(febrlCols))
	for line := 2; ; line++ {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("febrl line %d: %w", line, err)
		}
		if id >= len(row) {
			return fmt.Errorf("febrl line %d: %d columns", line, len(row))
		}
		for k, c := range at {
			vals[k] = ""
			if c < len(row) {
				vals[k] = strings.ToLower(strings.TrimSpace(row[c]))
			}
		}
		if err := d.Add(strings.TrimSpace(row[id]), "", vals); err != nil {
			return err
		}
	}
}

// FEBRLOptions returns the blocking rules for FEBRL data: each rule keys on
// fields that other rules leave out, so a typo in one field is caught by
// another rule.
func FEBRLOptions(d *Data) Options {
	f := d.FieldIndex
	given, sur, num, addr, sub, pc, dob, ssn := f("given_name"), f("surname"), f("street_number"), f("address_1"), f("suburb"), f("postcode"), f("date_of_birth"), f("soc_sec_id")
	d.Swap = &[2]int{given, sur}
	return Options{
		Rules: []Rule{
			On("given+surname", Part{given, nil}, Part{sur, nil}),
			On("soundex(given)+soundex(surname)", Part{given, SoundexKey}, Part{sur, SoundexKey}),
			On("date_of_birth", Part{dob, nil}),
			On("soc_sec_id", Part{ssn, nil}),
			On("postcode+street_number", Part{pc, nil}, Part{num, nil}),
			On("surname+postcode", Part{sur, nil}, Part{pc, nil}),
			On("given+postcode", Part{given, nil}, Part{pc, nil}),
			On("address_1+suburb", Part{addr, nil}, Part{sub, nil}),
			On("soundex(surname)+year", Part{sur, SoundexKey}, Part{dob, YearKey}),
			{Name: "names-either-order", Fields: []int{given, sur}, Keys: unorderedNames(given, sur)},
		},
		SortKey: func(i int) string { return d.Value(sur, i) + " " + d.Value(given, i) },
	}
}

// Splink's demo columns this mapping knows. Any other column, and above
// all "cluster" (the truth), is ignored.
func splinkField(col string) (Field, bool) {
	switch col {
	case "first_name", "surname":
		return Field{Name: col, Cmp: NewStringCmp(), TF: true}, true
	case "dob":
		return Field{Name: col, Cmp: &DateCmp{}, TF: true}, true
	case "birth_place", "city", "occupation":
		return Field{Name: col, Cmp: NewStringCmp(), TF: true}, true
	case "postcode_fake", "postcode":
		return Field{Name: col, Cmp: &PostcodeCmp{}, TF: true}, true
	case "gender":
		return Field{Name: col, Cmp: &ExactCmp{}}, true
	case "email":
		return Field{Name: col, Cmp: NewStringCmp(), TF: true}, true
	case "full_name":
		return Field{Name: col, Cmp: &ExactCmp{}, BlockOnly: true}, true
	}
	return Field{}, false
}

// ReadSplink reads one of Splink's demo CSVs: unique_id plus the columns
// splinkField knows. It returns the data and the column of full_name, if any,
// which blocking uses but scoring does not (it repeats first name and
// surname, and counting them twice would overstate the evidence).
func ReadSplink(r io.Reader) (*Data, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("splink header: %w", err)
	}
	id := -1
	var fields []Field
	var at []int
	for i, h := range head {
		h = strings.TrimSpace(h)
		if h == "unique_id" {
			id = i
			continue
		}
		if f, ok := splinkField(h); ok {
			fields = append(fields, f)
			at = append(at, i)
		}
	}
	if id < 0 {
		return nil, errors.New("splink header: no unique_id column")
	}
	if len(fields) == 0 {
		return nil, errors.New("splink header: no column to compare")
	}
	d := NewData(fields)
	vals := make([]string, len(fields))
	for line := 2; ; line++ {
		row, err := cr.Read()
		if err == io.EOF {
			return d, nil
		}
		if err != nil {
			return nil, fmt.Errorf("splink line %d: %w", line, err)
		}
		for k, c := range at {
			vals[k] = strings.ToLower(strings.TrimSpace(row[c]))
		}
		if err := d.Add(strings.TrimSpace(row[id]), "", vals); err != nil {
			return nil, err
		}
	}
}

// SplinkOptions returns blocking rules over whichever of Splink's columns d
// has.
func SplinkOptions(d *Data) Options {
	f := d.FieldIndex
	first, sur, dob := f("first_name"), f("surname"), f("dob")
	var rules []Rule
	add := func(name string, parts ...Part) {
		for _, p := range parts {
			if p.Field < 0 {
				return
			}
		}
		rules = append(rules, On(name, parts...))
	}
	add("first_name+surname", Part{first, nil}, Part{sur, nil})
	add("soundex(first_name)+soundex(surname)", Part{first, SoundexKey}, Part{sur, SoundexKey})
	add("surname+dob", Part{sur, nil}, Part{dob, nil})
	add("first_name+dob", Part{first, nil}, Part{dob, nil})
	for _, place := range []string{"birth_place", "city", "postcode_fake", "postcode", "occupation"} {
		add("surname+"+place, Part{sur, nil}, Part{f(place), nil})
		add("first_name+"+place, Part{first, nil}, Part{f(place), nil})
		add("dob+"+place, Part{dob, nil}, Part{f(place), nil})
	}
	add("soundex(first_name)+dob", Part{first, SoundexKey}, Part{dob, nil})
	add("soundex(surname)+dob", Part{sur, SoundexKey}, Part{dob, nil})
	add("soundex(surname)+year", Part{sur, SoundexKey}, Part{dob, YearKey})
	add("dob", Part{dob, nil})
	add("words(full_name)+dob", Part{f("full_name"), WordsKey}, Part{dob, nil})
	add("words(full_name)+birth_place", Part{f("full_name"), WordsKey}, Part{f("birth_place"), nil})
	if first >= 0 && sur >= 0 {
		d.Swap = &[2]int{first, sur}
		rules = append(rules, Rule{Name: "names-either-order", Fields: []int{first, sur}, Keys: unorderedNames(first, sur)})
	}
	add("email", Part{f("email"), nil})
	add("email-user", Part{f("email"), emailUser})
	add("postcode_fake", Part{f("postcode_fake"), nil})
	return Options{
		Rules: rules,
		SortKey: func(i int) string {
			s := ""
			if sur >= 0 {
				s += d.Value(sur, i)
			}
			if first >= 0 {
				s += " " + d.Value(first, i)
			}
			return s
		},
	}
}

// unorderedNames keys on a given name and surname in either order, so that
// records with the two swapped meet.
func unorderedNames(a, b int) func(d *Data, i int, dst []string) []string {
	return func(d *Data, i int, dst []string) []string {
		x, y := d.Value(a, i), d.Value(b, i)
		if x == "" || y == "" {
			return dst
		}
		if x > y {
			x, y = y, x
		}
		return append(dst, x+"\x1f"+y)
	}
}

// emailUser keys on the part of an address before the @.
func emailUser(s string) []string {
	u, _, _ := strings.Cut(s, "@")
	return []string{u}
}

// PostcodeCmp grades UK-style postcodes: exact, one typo, same district
// (the outward code before the space), same area (its leading letters), else.
type PostcodeCmp struct{ vals []string }

func (c *PostcodeCmp) Levels() []string {
	return []string{"exact", "one-typo", "district", "area", "else"}
}
func (c *PostcodeCmp) Prepare(v []string) { c.vals = v }
func (c *PostcodeCmp) Level(a, b int32) int {
	x, y := c.vals[a], c.vals[b]
	if WithinOneEdit(x, y) {
		return 1
	}
	dx, _, _ := strings.Cut(x, " ")
	dy, _, _ := strings.Cut(y, " ")
	if dx == dy {
		return 2
	}
	if area(dx) == area(dy) && area(dx) != "" {
		return 3
	}
	return 4
}

func area(s string) string {
	i := 0
	for i < len(s) && (s[i] < '0' || s[i] > '9') {
		i++
	}
	return s[:i]
}

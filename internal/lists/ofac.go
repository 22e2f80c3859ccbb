package lists

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"muster"
)

// The OFAC "legacy" CSV files (SDN and consolidated alike) share one shape:
// no header (a few mirrors add one), every field quoted or not, "-0-" for
// empty, CRLF line ends, and a DOS end-of-file byte 0x1A at the end, which
// some mirrors follow with commas. Primary rows are
//
//	ent_num, name, type, programs, title, call_sign, vess_type, tonnage, GRT, vess_flag, vess_owner, remarks
//
// and the companions are
//
//	alt:      ent_num, alt_num, alt_type, alt_name, alt_remarks
//	add:      ent_num, add_num, address, city/state/postal, country, add_remarks
//	comments: ent_num, remarks continued (OFAC cuts remarks at 1,000 characters)

// ofacFiles are the readers of one OFAC set; only Prim is required.
type ofacFiles struct {
	Prim, Alt, Add, Comments io.Reader
}

// ofacRow is one record and the line it started on, for error messages.
type ofacRow struct {
	line   int
	fields []string
}

// readOFACCSV reads one legacy OFAC CSV file into rows, with "-0-" read as
// empty and the header and end-of-file debris dropped.
func readOFACCSV(r io.Reader, name string) ([]ofacRow, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	data = bytes.ReplaceAll(data, []byte{0x1a}, nil)
	if !utf8.Valid(data) {
		// Older OFAC files were Windows-1252; decoding it cannot fail.
		data, _ = charmap.Windows1252.NewDecoder().Bytes(data)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	var rows []ofacRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		empty := true
		for i, f := range rec {
			f = strings.TrimSpace(f)
			if f == "-0-" {
				f = ""
			}
			rec[i] = f
			if f != "" {
				empty = false
			}
		}
		if empty || strings.EqualFold(rec[0], "ent_num") {
			continue
		}
		if _, err := strconv.Atoi(rec[0]); err != nil {
			return nil, muster.Errorf(muster.EINVALID, "%s line %d: entry number %q is not a number", name, line, rec[0])
		}
		rows = append(rows, ofacRow{line: line, fields: rec})
	}
	return rows, nil
}

// field returns rec[i], or "" when the row is short.
func field(rec []string, i int) string {
	if i < len(rec) {
		return rec[i]
	}
	return ""
}

// parseOFAC builds the entries of one OFAC set. Companion rows naming an
// entry that is not in the primary file are skipped: mirrors publish the
// files on different days (the 2024-05 SDN mirror's alt.csv is four months
// newer than its sdn.csv), and such a row has no primary name to attach to.
func parseOFAC(list string, files ofacFiles, names [4]string) ([]Entry, error) {
	prim, err := readOFACCSV(files.Prim, names[0])
	if err != nil {
		return nil, err
	}
	entries := make([]Entry, 0, len(prim))
	byID := make(map[string]int, len(prim))
	remarks := make([]string, 0, len(prim))
	for _, row := range prim {
		rec := row.fields
		id := rec[0]
		if _, dup := byID[id]; dup {
			return nil, muster.Errorf(muster.EINVALID, "%s line %d: entry %s listed twice", names[0], row.line, id)
		}
		name := field(rec, 1)
		if name == "" {
			return nil, muster.Errorf(muster.EINVALID, "%s line %d: entry %s has no name", names[0], row.line, id)
		}
		e := Entry{List: list, ID: id, Type: ofacType(field(rec, 2)), Programs: ofacPrograms(field(rec, 3))}
		e.addName(ofacName(name, e.Type, KindPrimary))
		byID[id] = len(entries)
		entries = append(entries, e)
		remarks = append(remarks, field(rec, 11))
	}
	if files.Comments != nil {
		rows, err := readOFACCSV(files.Comments, names[3])
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			if i, ok := byID[row.fields[0]]; ok {
				// The comment continues the cut remark, often mid-word.
				remarks[i] += field(row.fields, 1)
			}
		}
	}
	for i := range entries {
		parseOFACRemarks(&entries[i], remarks[i])
	}
	if files.Alt != nil {
		rows, err := readOFACCSV(files.Alt, names[1])
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			i, ok := byID[row.fields[0]]
			if !ok {
				continue
			}
			kind := strings.ToLower(strings.ReplaceAll(field(row.fields, 2), ".", ""))
			switch kind {
			case KindAKA, KindFKA, KindNKA:
			default:
				kind = KindAKA
			}
			n := ofacName(field(row.fields, 3), entries[i].Type, kind)
			if strings.Contains(strings.ToLower(field(row.fields, 4)), "low") {
				n.Quality = QualityLow
			}
			entries[i].addName(n)
		}
	}
	if files.Add != nil {
		rows, err := readOFACCSV(files.Add, names[2])
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			i, ok := byID[row.fields[0]]
			if !ok {
				continue
			}
			var parts []string
			for _, f := range []string{field(row.fields, 2), field(row.fields, 3), field(row.fields, 4)} {
				if f != "" {
					parts = append(parts, f)
				}
			}
			if len(parts) == 0 {
				continue
			}
			entries[i].Addresses = append(entries[i].Addresses, Address{
				Text:    strings.Join(parts, ", "),
				Country: CountryCode(field(row.fields, 4)),
			})
		}
	}
	return entries, nil
}

func ofacType(s string) string {
	switch strings.ToLower(s) {
	case "individual":
		return TypeIndividual
	case "vessel":
		return TypeVessel
	case "aircraft":
		return TypeAircraft
	}
	return TypeEntity
}

// ofacPrograms splits "SDGT] [IFSR" into its tags.
func ofacPrograms(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "]") {
		p = strings.TrimSpace(strings.Trim(strings.TrimSpace(p), "[]"))
		out = appendUniq(out, p)
	}
	return out
}

// ofacName turns an individual's "LAST, First" into natural order and keeps
// the parts; other names stay as written ("ANGLO-CARIBBEAN CO., LTD.").
func ofacName(s, typ, kind string) EntryName {
	s = cleanSpace(s)
	n := EntryName{Name: s, Kind: kind}
	if typ == TypeIndividual {
		if i := strings.Index(s, ", "); i > 0 {
			n.Family, n.Given = s[:i], strings.TrimSpace(s[i+2:])
			n.Name = strings.TrimSpace(n.Given + " " + n.Family)
		}
	}
	n.Script = scriptOf(n.Name)
	return n
}

// loadOFACDir opens the files of one OFAC set in dir, names being the
// primary, alt, add and comments file names; only the primary must exist.
func loadOFACDir(dir, list string, names [4]string) ([]Entry, error) {
	var files ofacFiles
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	var paths [4]string
	for i, n := range names {
		p, err := findFold(dir, n)
		if err != nil {
			return nil, err
		}
		paths[i] = filepath.Join(dir, n)
		if p == "" {
			if i == 0 {
				return nil, muster.Errorf(muster.EINVALID, "%s: no %s", dir, n)
			}
			continue
		}
		paths[i] = p
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("watchlist: %w", err)
		}
		closers = append(closers, f)
		switch i {
		case 0:
			files.Prim = f
		case 1:
			files.Alt = f
		case 2:
			files.Add = f
		case 3:
			files.Comments = f
		}
	}
	return parseOFAC(list, files, paths)
}

// findFold returns the path of the file in dir named name in any case, or "".
func findFold(dir, name string) (string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("watchlist: %w", err)
	}
	for _, de := range des {
		if !de.IsDir() && strings.EqualFold(de.Name(), name) {
			return filepath.Join(dir, de.Name()), nil
		}
	}
	return "", nil
}

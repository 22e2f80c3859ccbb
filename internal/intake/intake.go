// Package intake owns reading registrations from partners: the muster
// registration CSV, TSV, and XLSX sheets with other headers described by a
// mapping file. It parses and validates rows into muster.Records (dates in
// the Gregorian or Solar Hijri calendar, phones to E.164, nationalities to
// ISO 3166 alpha-2) and reports every rejected row with line, column and
// reason. It does no I/O beyond the file it is given and writes nothing to
// a database: the caller decides what to store.
//
// Rules, in short: any column may be empty. A row is rejected when it is
// malformed (wrong number of fields, invalid UTF-8, no source_id, no source,
// a duplicate source+source_id in the same file, a sex or category outside
// the closed lists that no mapping resolves). Values that are odd but
// possible (an ambiguous or impossible date, a phone that does not parse, an
// unknown nationality, a 1 January date) are kept as written and flagged,
// never guessed silently.
package intake

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"muster"
)

// Header is the muster registration CSV header, in order.
var Header = []string{"source", "source_id", "case_ref", "relationship", "given_name", "family_name", "father_name", "full_name", "native_name", "sex", "date_of_birth", "place_of_birth", "nationalities", "passport_no", "national_id", "phone", "email", "category"}

// Field names of the registration CSV, also used as column names in
// RowError and as keys in a Mapping.
const (
	FieldSource        = "source"
	FieldSourceID      = "source_id"
	FieldCaseRef       = "case_ref"
	FieldRelationship  = "relationship"
	FieldGiven         = "given_name"
	FieldFamily        = "family_name"
	FieldFather        = "father_name"
	FieldFullName      = "full_name"
	FieldNativeName    = "native_name"
	FieldSex           = "sex"
	FieldDOB           = "date_of_birth"
	FieldPlaceOfBirth  = "place_of_birth"
	FieldNationalities = "nationalities"
	FieldPassport      = "passport_no"
	FieldNationalID    = "national_id"
	FieldPhone         = "phone"
	FieldEmail         = "email"
	FieldCategory      = "category"
)

// Format is the file format of a registration file.
type Format int

const (
	FormatAuto Format = iota // decide from the content
	FormatCSV
	FormatTSV
	FormatXLSX
)

func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatTSV:
		return "tsv"
	case FormatXLSX:
		return "xlsx"
	}
	return "auto"
}

// FormatOf returns the format named by a file's extension, FormatAuto when
// the extension says nothing.
func FormatOf(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return FormatCSV
	case ".tsv", ".tab":
		return FormatTSV
	case ".xlsx", ".xlsm":
		return FormatXLSX
	}
	return FormatAuto
}

// Options control one read.
type Options struct {
	// Source names the source of rows when the file has no source column
	// or the row leaves it empty; the file's column wins. When empty, the
	// mapping's source is used.
	Source string
	// Mapping describes files with other headers; nil means the muster
	// registration CSV headers.
	Mapping *Mapping
	// Categories are the allowed categories; nil means
	// muster.DefaultCategories.
	Categories []muster.Category
	// SkipBadRows is the caller's choice of what to do with rejects; Read
	// always returns both the good records and the rejected rows.
	SkipBadRows bool
	// Progress, when not nil, is called every ProgressEvery rows with the
	// number of data rows read so far, and once at the end.
	Progress func(rows int)
	// Region is the default phone region (ISO alpha-2) for numbers written
	// without a country code; empty means the mapping's, else "AF".
	Region string
	// DateOrder is the order of day and month in dates like 03/04/1990;
	// OrderUnknown (the default) keeps only the year of such a date when
	// both readings are valid, and flags it. A mapping's date_order is used
	// when this is OrderUnknown.
	DateOrder DateOrder
	// Now is the time against which future dates and ages are judged; zero
	// means time.Now().
	Now time.Time
}

// ProgressEvery is how many rows pass between calls of Options.Progress.
const ProgressEvery = 5000

// RowError is one rejected row (or one of its columns): where it is and why.
// Raw and Header carry the row as written so that it can go back to the
// partner.
type RowError struct {
	File   string
	Line   int
	Column string
	Value  string
	Reason string
	Raw    []string `json:"-"`
	Header []string `json:"-"`
}

// Error renders "file:line: column: reason". It leaves out Value, which may
// be personal data, so that the message is safe to log.
func (e RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	fmt.Fprintf(&b, ":%d: ", e.Line)
	if e.Column != "" {
		b.WriteString(e.Column)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Result is what a read produced.
type Result struct {
	Records  []muster.Record
	Rejected []RowError // several per row when a row has several problems
	Rows     int        // data rows read (blank rows not counted)
	Flagged  int        // records with at least one flag
	// Columns says which of the file's headers each field was read from
	// (several when a mapping joins columns), and Unmapped lists the
	// headers no field reads, so that the caller can show both.
	Columns  map[string][]string
	Unmapped []string
	// Format is the format that was read.
	Format Format
	// HeaderLine is the line (XLSX: row) of the header; rows above it
	// (titles, notes) are not read.
	HeaderLine int
}

// RejectedRows is the number of distinct rows with at least one error.
func (r *Result) RejectedRows() int {
	n, last := 0, -1
	for _, e := range r.Rejected {
		if e.Line != last {
			n++
			last = e.Line
		}
	}
	return n
}

// ReadFile reads the registration file at path; the format comes from the
// extension (.csv, .tsv, .xlsx) or, failing that, from the content. The error
// is only for problems with the whole file: unreadable, no header, a required
// header missing; row problems are in Result.Rejected.
func ReadFile(path string, opt Options) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, muster.Errorf(muster.EINVALID, "cannot open %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	return Read(f, path, FormatOf(path), opt)
}

// Read reads a registration file from r; name is used in errors. With
// FormatAuto the format is sniffed from the content.
func Read(r io.Reader, name string, format Format, opt Options) (*Result, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if format == FormatAuto {
		head, _ := br.Peek(4096)
		format = sniff(head)
	}
	var t table
	var err error
	switch format {
	case FormatXLSX:
		sheet := ""
		if opt.Mapping != nil {
			sheet = opt.Mapping.Sheet
		}
		t, err = openXLSX(br, sheet)
	case FormatCSV, FormatTSV:
		t, err = openCSV(br, format == FormatTSV)
	default:
		return nil, muster.Errorf(muster.EINVALID, "%s: unknown file format %v", name, format)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if c, ok := t.(io.Closer); ok {
		defer c.Close()
	}
	p, err := newParser(t, name, opt)
	if err != nil {
		return nil, err
	}
	res, err := p.run()
	if err != nil {
		return nil, err
	}
	res.Format = format
	return res, nil
}

// sniff guesses the format of a file from its first bytes: a ZIP header is
// XLSX; otherwise tabs against commas and semicolons decide.
func sniff(head []byte) Format {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return FormatXLSX
	}
	// UTF-16 (Excel's "Unicode text") keeps tabs and commas as single
	// bytes next to a zero, so counting them works in either encoding.
	// Every row of the start counts, not just the first, so that a title
	// line above the header does not decide.
	if tabs := bytes.Count(head, []byte{'\t'}); tabs > bytes.Count(head, []byte{','}) && tabs > bytes.Count(head, []byte{';'}) {
		return FormatTSV
	}
	return FormatCSV
}

// row is one line of a table: its line number in the file (1-based, the
// line where the row starts), its fields, or why it could not be read.
type row struct {
	line   int
	fields []string
	err    error
}

// table is a source of rows; CSV and XLSX both provide one.
type table interface {
	// next returns the next row; io.EOF at the end, another error when
	// the file cannot be read further.
	next() (row, error)
	// dateColumns tells the table which column holds dates, so that an XLSX
	// date cell can be rendered as an ISO date from its serial number.
	dateColumns(cols []int)
}

func validUTF8(fields []string) int {
	for i, f := range fields {
		if !utf8.ValidString(f) {
			return i
		}
	}
	return -1
}

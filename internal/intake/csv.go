package intake

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// csvTable reads CSV or TSV. encoding/csv is strict about quotes (RFC
// 4180): a bare quote inside an unquoted field rejects that row rather than
// silently joining lines, because a swallowed line is a lost person.
type csvTable struct {
	r *csv.Reader
}

func openCSV(br *bufio.Reader, tab bool) (*csvTable, error) {
	var in io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
		// UTF-16 with a byte order mark, as Excel's "Unicode text" writes.
		in = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	} else if head, _ := br.Peek(3); len(head) == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF {
		br.Discard(3) // UTF-8 byte order mark, as Excel's "CSV UTF-8" writes
	}
	r := csv.NewReader(in)
	switch {
	case tab:
		r.Comma = '\t'
	case semicolonHeader(br):
		// Excel in many European locales saves "CSV" with semicolons.
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1 // counted by the parser, so that the row is reported, not the file
	return &csvTable{r: r}, nil
}

func (t *csvTable) dateColumns([]int) {}

func (t *csvTable) next() (row, error) {
	rec, err := t.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return row{line: pe.StartLine, err: csvRowError(pe)}, nil
		}
		return row{}, err // io.EOF or a read error: the end either way
	}
	line, _ := t.r.FieldPos(0)
	return row{line: line, fields: rec}, nil
}

// csvRowError says what a partner must change in their file.
func csvRowError(pe *csv.ParseError) error {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return fmt.Errorf("a quote (\") inside a field that is not quoted (line %d): quote the field and double the quote", pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine:
		return fmt.Errorf("a quoted field opened here is not closed where expected: lines %d to %d were read as one row", pe.StartLine, pe.Line)
	case errors.Is(pe.Err, csv.ErrQuote):
		return fmt.Errorf("a quote (\") in the wrong place in a quoted field (line %d): double quotes inside quoted fields", pe.Line)
	}
	return fmt.Errorf("%v (line %d)", pe.Err, pe.Line)
}

// semicolonHeader reports whether the start of the file separates fields
// with semicolons rather than commas. Every row counts, not just the first,
// so that a title line above the header does not decide.
func semicolonHeader(br *bufio.Reader) bool {
	head, _ := br.Peek(br.Size())
	return bytes.Count(head, []byte{';'}) > bytes.Count(head, []byte{','})
}

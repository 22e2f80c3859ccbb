package intake

import (
	"encoding/csv"
	"io"
	"strconv"
)

// WriteTemplate writes an empty registration CSV: the header line.
func WriteTemplate(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(Header)
	cw.Flush()
	return cw.Error()
}

// RejectsHeader starts the CSV that WriteRejects writes; the original
// row's columns follow it.
var RejectsHeader = []string{"line", "column", "value", "reason"}

// WriteRejects writes rejected rows as a CSV a partner can act on: one line
// per problem with its line, column, value and reason, followed by the
// row as they sent it (under their own header), so that they can fix it
// and send it again.
func WriteRejects(w io.Writer, errs []RowError) error {
	cw := csv.NewWriter(w)
	var header []string
	for _, e := range errs {
		if len(e.Header) > 0 {
			header = e.Header
			break
		}
	}
	cw.Write(append(append([]string(nil), RejectsHeader...), header...))
	for _, e := range errs {
		rec := []string{strconv.Itoa(e.Line), e.Column, safeValue(e.Value), e.Reason}
		for _, f := range e.Raw {
			rec = append(rec, safeValue(f))
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

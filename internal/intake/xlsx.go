package intake

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"muster"
)

// xlsxTable streams one sheet of a workbook, row by row. Cells are read
// as stored, not as Excel shows them: the stored value of a phone or
// document number is all its digits where the shown one may be 9.37E+10,
// and the stored value of a date is a serial number that the date of birth
// column turns into an exact ISO date, whatever number format (often the
// two-digit-year "mm-dd-yy") the sheet shows it in. Reading once, raw, also
// halves the XML decoding, which is nearly all the cost of an XLSX import.
type xlsxTable struct {
	f        *excelize.File
	rows     *excelize.Rows
	n        int // rows returned so far; the next row's number is n+1
	dates    map[int]bool
	date1904 bool
	sheet    string   // the sheet being read
	sheets   []string // every sheet of the workbook
}

// sheetHint tells which sheet was read when the workbook has several, for
// errors about its header.
func (t *xlsxTable) sheetHint() string {
	if len(t.sheets) < 2 {
		return ""
	}
	return fmt.Sprintf(" (read sheet %q of %s; name another with \"sheet = NAME\" in a mapping)", t.sheet, strings.Join(quoteAll(t.sheets), ", "))
}

// maxXLSXSize bounds what a workbook may expand to in memory; partner
// sheets are a few MB at most.
const maxXLSXSize = 256 << 20

func openXLSX(r io.Reader, sheet string) (*xlsxTable, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: maxXLSXSize, UnzipXMLSizeLimit: maxXLSXSize})
	if err != nil {
		return nil, muster.Errorf(muster.EINVALID, "not a readable XLSX workbook: %v", err)
	}
	t, err := openSheet(f, sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return t, nil
}

func openSheet(f *excelize.File, sheet string) (*xlsxTable, error) {
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, muster.Errorf(muster.EINVALID, "workbook has no sheets")
	}
	if sheet == "" {
		sheet = sheets[0]
	} else {
		found := false
		for _, s := range sheets {
			if strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(sheet)) {
				sheet, found = s, true
				break
			}
		}
		if !found {
			return nil, muster.Errorf(muster.EINVALID, "workbook has no sheet %q (it has %s)", sheet, strings.Join(quoteAll(sheets), ", "))
		}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, muster.Errorf(muster.EINVALID, "sheet %q: %v", sheet, err)
	}
	t := &xlsxTable{f: f, rows: rows, sheet: sheet, sheets: sheets}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		t.date1904 = *props.Date1904
	}
	return t, nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

func (t *xlsxTable) dateColumns(cols []int) {
	t.dates = map[int]bool{}
	for _, c := range cols {
		t.dates[c] = true
	}
}

// Close releases the workbook.
func (t *xlsxTable) Close() error {
	if t.f == nil {
		return nil
	}
	t.rows.Close()
	err := t.f.Close()
	t.f = nil
	return err
}

func (t *xlsxTable) next() (row, error) {
	if t.f == nil || !t.rows.Next() {
		if t.f != nil {
			if err := t.rows.Error(); err != nil {
				return row{}, muster.Errorf(muster.EINVALID, "after row %d: %v", t.n, err)
			}
		}
		return row{}, io.EOF
	}
	t.n++
	fields, err := t.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return row{line: t.n, err: err}, nil
	}
	for c := range t.dates {
		if c < len(fields) {
			fields[c] = serialDate(fields[c], t.date1904)
		}
	}
	return row{line: t.n, fields: fields}, nil
}

// serialDate renders an Excel date serial as an ISO date. Whole numbers
// from 1300 to 2100 are years typed as numbers (1365, 1986), not dates in
// 1903-1905, and eight digits are yyyymmdd; both stay as they are, as does
// anything that is not a number.
func serialDate(s string, date1904 bool) string {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 1 || n >= 2958466 || n == float64(int(n)) && n >= 1300 && n <= 2100 {
		return s
	}
	tm, err := excelize.ExcelDateToTime(n, date1904)
	if err != nil {
		return s
	}
	return tm.Format("2006-01-02")
}

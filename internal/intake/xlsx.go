package intake

import (
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"muster"
)

// xlsxTable reads one sheet of a workbook. Cells are read twice, as Excel
// shows them and raw: the shown text is what the partner typed and sees,
// but a date cell shows whatever number format the sheet has (often the
// two-digit-year "mm-dd-yy"), and long numbers (phones, document numbers)
// show in scientific notation. Those cells take their raw value instead.
type xlsxTable struct {
	shown, raw [][]string
	i          int
	dates      map[int]bool
	date1904   bool
}

// maxXLSXSize bounds what a workbook may expand to in memory; partner
// sheets are a few MB at most.
const maxXLSXSize = 256 << 20

func openXLSX(r io.Reader, sheet string) (*xlsxTable, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: maxXLSXSize, UnzipXMLSizeLimit: maxXLSXSize})
	if err != nil {
		return nil, muster.Errorf(muster.EINVALID, "not a readable XLSX workbook: %v", err)
	}
	defer f.Close()
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
	shown, err := f.GetRows(sheet)
	if err != nil {
		return nil, muster.Errorf(muster.EINVALID, "sheet %q: %v", sheet, err)
	}
	raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, muster.Errorf(muster.EINVALID, "sheet %q: %v", sheet, err)
	}
	t := &xlsxTable{shown: shown, raw: raw}
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

func (t *xlsxTable) next() (row, error) {
	if t.i >= len(t.shown) {
		return row{}, io.EOF
	}
	i := t.i
	t.i++
	fields := t.shown[i]
	var raw []string
	if i < len(t.raw) {
		raw = t.raw[i]
	}
	for c := range fields {
		if c >= len(raw) || raw[c] == fields[c] || !isNumber(raw[c]) {
			continue
		}
		if t.dates[c] && !isNumber(fields[c]) {
			// A number shown as something else in a date column is a date
			// serial: render it as ISO, exactly, whatever the number format.
			if n, err := strconv.ParseFloat(raw[c], 64); err == nil && n >= 1 && n < 2958466 {
				if tm, err := excelize.ExcelDateToTime(n, t.date1904); err == nil {
					fields[c] = tm.Format("2006-01-02")
					continue
				}
			}
		}
		if strings.ContainsAny(fields[c], "Ee") && !strings.ContainsAny(raw[c], "Ee") {
			fields[c] = raw[c] // 9.37991E+10 shown, 93799123456 stored
		}
	}
	return row{line: i + 1, fields: fields}, nil
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

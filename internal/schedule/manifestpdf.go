package schedule

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"

	"muster/internal/names"
)

// ManifestSheet is what the printed passenger manifest shows: the flight
// and one row per seat, in seat order, the members of a case next to each
// other (as the store returns them).
type ManifestSheet struct {
	FlightID    string
	Destination string
	Departure   time.Time
	Capacity    int
	State       string    // open, departed, arrived
	Printed     time.Time // stamped on every page and as the file's date
	Rows        []ManifestRow
}

// ManifestRow is one seat.
type ManifestRow struct {
	Name          string // as registered; Arabic script is printed transliterated
	Sex           string
	DOB           string
	Nationality   string // ISO codes, comma-separated
	Document      string
	CaseRef       string
	Minor         bool
	Unaccompanied bool // a minor with no adult of the case on this flight
	Boarded       bool
}

// WriteManifestPDF writes the printable manifest as a PDF (A4 portrait):
// the flight in a header on every page, the seats grouped by case (a
// case is not split across pages unless it is longer than a page), page
// "N of M" and the print time in the footer, and the totals at the end.
func WriteManifestPDF(w io.Writer, m *ManifestSheet) error {
	return writeManifestPDF(w, m, true)
}

// Column widths (mm) of the 190 mm between the margins, and headings.
var manifestCols = []struct {
	head  string
	width float64
}{
	{"Seat", 11}, {"Name", 56}, {"Sex", 9}, {"Born", 21}, {"Nat.", 15}, {"Document", 27}, {"Case", 21}, {"Flags", 30},
}

const (
	pdfRowH    = 6.0
	pdfMargin  = 10.0
	pdfBottom  = 15.0 // room for the footer
	translitMk = " *"
)

// writeManifestPDF is WriteManifestPDF; tests turn compression off to read
// the text back.
func writeManifestPDF(w io.Writer, m *ManifestSheet, compress bool) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(compress)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfBottom)
	pdf.SetCreationDate(m.Printed)
	pdf.SetModificationDate(m.Printed)
	pdf.SetTitle("Passenger manifest "+m.FlightID, true)
	pdf.SetCreator("muster", true)
	pdf.AliasNbPages("{nb}")
	// The core fonts (Helvetica) are in Windows-1252: every string goes
	// through this translator, which writes '.' for what it cannot encode.
	tr := pdf.UnicodeTranslatorFromDescriptor("")

	departs := m.Departure.In(Kabul).Format("2006-01-02 15:04 MST")
	if !m.Departure.IsZero() {
		departs += " (" + m.Departure.UTC().Format("15:04 UTC") + ")"
	}
	tableHead := func() {
		pdf.SetFont("Helvetica", "B", 9)
		pdf.SetFillColor(225, 225, 225)
		for _, c := range manifestCols {
			pdf.CellFormat(c.width, pdfRowH, c.head, "1", 0, "L", true, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.SetHeaderFunc(func() {
		pdf.SetFont("Helvetica", "B", 14)
		pdf.CellFormat(0, 7, tr("Passenger manifest "+m.FlightID), "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(0, 5, tr(fmt.Sprintf("To %s, departs %s. Capacity %d seats, state %s.", m.Destination, departs, m.Capacity, m.State)), "", 1, "L", false, 0, "")
		pdf.Ln(2)
		tableHead()
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfBottom + 3)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(95, 5, tr("Flight "+m.FlightID+", printed "+m.Printed.UTC().Format("2006-01-02 15:04 UTC")), "", 0, "L", false, 0, "")
		pdf.CellFormat(95, 5, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()
	_, pageH := pdf.GetPageSize()

	var cases, minors, unacc, boarded int
	translit := false
	for i := 0; i < len(m.Rows); {
		j := i + 1
		for j < len(m.Rows) && m.Rows[j].CaseRef == m.Rows[i].CaseRef {
			j++
		}
		cases++
		// Keep a case on one page when it fits on one.
		need := float64(j-i+1) * pdfRowH
		room := pageH - pdfBottom - pdf.GetY()
		if need > room && need <= pageH-pdfBottom-40 {
			pdf.AddPage()
		}
		pdf.SetFont("Helvetica", "B", 9)
		pdf.SetFillColor(242, 242, 242)
		pdf.CellFormat(0, pdfRowH, tr(fmt.Sprintf("Case %s: %d %s", m.Rows[i].CaseRef, j-i, plural(j-i, "person", "people"))), "1", 1, "L", true, 0, "")
		for k := i; k < j; k++ {
			r := m.Rows[k]
			name, t := printableName(r.Name, tr)
			if t {
				name += translitMk
				translit = true
			}
			var flags []string
			switch {
			case r.Unaccompanied:
				flags = append(flags, "UNACC. MINOR")
				unacc++
			case r.Minor:
				flags = append(flags, "minor")
			}
			if r.Minor {
				minors++
			}
			if r.Boarded {
				flags = append(flags, "boarded")
				boarded++
			}
			style := ""
			if r.Unaccompanied {
				style = "B"
			}
			cells := []string{fmt.Sprint(k + 1), name, r.Sex, r.DOB, r.Nationality, r.Document, r.CaseRef, strings.Join(flags, ", ")}
			pdf.SetFont("Helvetica", style, 9)
			for c, col := range manifestCols {
				text := tr(cells[c])
				// A long name is printed smaller, never cut: the manifest
				// is checked against documents.
				if w := pdf.GetStringWidth(text); w > col.width-2 {
					pdf.SetFont("Helvetica", style, max(5, math.Floor(2*9*(col.width-2)/w)/2))
					pdf.CellFormat(col.width, pdfRowH, text, "1", 0, "L", false, 0, "")
					pdf.SetFont("Helvetica", style, 9)
					continue
				}
				pdf.CellFormat(col.width, pdfRowH, text, "1", 0, "L", false, 0, "")
			}
			pdf.Ln(-1)
		}
		i = j
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 10)
	free := m.Capacity - len(m.Rows)
	pdf.CellFormat(0, 6, fmt.Sprintf("Total: %d %s in %d %s; %d of %d seats taken, %d free.",
		len(m.Rows), plural(len(m.Rows), "person", "people"), cases, plural(cases, "case", "cases"), len(m.Rows), m.Capacity, max(free, 0)), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 6, fmt.Sprintf("Minors: %d, of whom unaccompanied: %d. Boarded: %d.", minors, unacc, boarded), "", 1, "L", false, 0, "")
	if translit {
		pdf.SetFont("Helvetica", "", 8)
		pdf.MultiCell(0, 4, "* Registered in Arabic script only: the name is transliterated by muster. Check it against the travel document.", "", "L", false)
	}
	return pdf.Output(w)
}

// printableName returns the name in a form the PDF's core font can print
// and whether it was transliterated. fpdf cannot shape Arabic script (no
// contextual letter forms, no right-to-left), so a name written only in
// Arabic script is printed in muster's Latin transliteration and marked;
// so is a Latin name with letters outside Windows-1252, folded to ASCII.
func printableName(name string, tr func(string) string) (string, bool) {
	if names.IsArabicScript(name) || strings.Count(tr(name), ".") > strings.Count(name, ".") {
		return titleCase(names.ToLatin(name)), true
	}
	return name, false
}

func titleCase(s string) string {
	w := strings.Fields(s)
	for i, x := range w {
		r := []rune(x)
		r[0] = unicode.ToUpper(r[0])
		w[i] = string(r)
	}
	return strings.Join(w, " ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/mrz"
	"muster/internal/names"
	"muster/internal/schedule"
	"muster/internal/store"
)

func init() {
	register("flight", "add a flight or bus: flight add ID --capacity N --departs TIME --to DEST", runFlight)
	register("manifest", "seat checked-in people on a flight (families together); export CSV/HTML/PDF", runManifest)
	register("board", "mark manifested people as boarded: --person IDS or --scan MRZ", runBoard)
	register("depart", "close a flight's manifest: boarded people depart, the others lose their seat", runDepart)
	register("arrive", "reconcile a departed flight with the destination's arrival list (CSV)", runArrive)
}

func runFlight(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "flight", "add ID --capacity N --departs TIME --to DEST [--db ...]")
	db, key := addDBFlags(fs)
	capacity := fs.Int("capacity", 0, "seats")
	departs := fs.String("departs", "", "departure: 2026-08-20 19:00 (Kabul) or RFC 3339")
	to := fs.String("to", "", "destination (airport code or place)")
	actor := fs.String("actor", "cli", "who acts, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "add" {
		fs.Usage()
		return errUsage
	}
	when, err := parseWhen(*departs)
	if err != nil {
		return fmt.Errorf("--departs: %w", err)
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.AddFlight(ctx, *actor, store.Flight{ID: pos[1], Capacity: *capacity, Departs: when, Destination: *to}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "flight %s: %d seats to %s, departs %s (Kabul)\n", pos[1], *capacity, *to, when.In(schedule.Kabul).Format("2006-01-02 15:04"))
	return nil
}

func runManifest(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "manifest", "ID [--csv FILE] [--html FILE] [--pdf FILE] [--no-seat] [--db ...]")
	db, key := addDBFlags(fs)
	csvOut := fs.String("csv", "", "export the manifest as CSV (an export event is logged)")
	htmlOut := fs.String("html", "", "export the printable manifest as HTML (an export event is logged)")
	pdfOut := fs.String("pdf", "", "export the printable manifest as PDF, grouped by case, pages numbered (an export event is logged)")
	noSeat := fs.Bool("no-seat", false, "only export: seat nobody new")
	actor := fs.String("actor", "cli", "who acts, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	var m *store.FlightManifest
	if *noSeat {
		m, err = s.Manifest(ctx, pos[0])
	} else {
		m, err = s.BuildManifest(ctx, *actor, pos[0])
	}
	if err != nil {
		return err
	}
	unacc := 0
	for _, st := range m.Seats {
		if st.Unaccompanied {
			unacc++
		}
	}
	fmt.Fprintf(env.Stdout, "flight %s to %s: %d of %d seats taken (%d added now), %d unaccompanied minor(s)\n",
		m.Flight.ID, m.Flight.Destination, len(m.Seats), m.Flight.Capacity, m.Added, unacc)
	for _, w := range m.Waiting {
		fmt.Fprintf(env.Stdout, "waiting: %s (%s)\n", store.CaseRef(w.CaseID), w.Reason)
	}
	if *csvOut != "" {
		if err := writeFileWith(*csvOut, func(w io.Writer) error { return writeManifestCSV(w, m) }); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		if err := writeFileWith(*htmlOut, func(w io.Writer) error { return manifestTmpl.Execute(w, manifestPage(m)) }); err != nil {
			return err
		}
	}
	if *pdfOut != "" {
		sheet, err := manifestSheet(ctx, s, m)
		if err != nil {
			return err
		}
		if err := writeFileWith(*pdfOut, func(w io.Writer) error { return schedule.WriteManifestPDF(w, sheet) }); err != nil {
			return fmt.Errorf("manifest PDF %s: %w", *pdfOut, err)
		}
	}
	if *csvOut != "" || *htmlOut != "" || *pdfOut != "" {
		if err := s.AppendEvent(ctx, &muster.Event{Actor: *actor, Type: muster.EventExport,
			Data: mustJSON(map[string]any{"what": "manifest", "flight": m.Flight.ID, "people": len(m.Seats), "csv": *csvOut != "", "html": *htmlOut != "", "pdf": *pdfOut != ""})}); err != nil {
			return err
		}
	}
	return nil
}

func writeFileWith(path string, fn func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = fn(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// manifestSheet is the printed manifest of m: its seats in order, with
// each person's nationalities and a Latin-script name where one was
// registered (the PDF's fonts cannot shape Arabic script; a person
// registered only in Arabic script is transliterated by the PDF writer).
func manifestSheet(ctx context.Context, s *store.Store, m *store.FlightManifest) (*schedule.ManifestSheet, error) {
	sh := &schedule.ManifestSheet{FlightID: m.Flight.ID, Destination: m.Flight.Destination, Departure: m.Flight.Departs,
		Capacity: m.Flight.Capacity, State: m.Flight.State, Printed: time.Now().UTC()}
	ids := make([]int64, len(m.Seats))
	for i, st := range m.Seats {
		ids[i] = st.PersonID
	}
	byID := map[int64]*muster.Person{}
	if len(ids) > 0 {
		people, err := s.People(ctx, store.PeopleFilter{IDs: ids})
		if err != nil {
			return nil, fmt.Errorf("manifest %s: people: %w", m.Flight.ID, err)
		}
		for _, p := range people {
			byID[p.ID] = p
		}
	}
	for _, st := range m.Seats {
		row := schedule.ManifestRow{Name: st.Name, Sex: string(st.Sex), DOB: st.DOB, Document: st.Document, CaseRef: st.CaseRef,
			Minor: st.Minor, Unaccompanied: st.Unaccompanied, Boarded: st.Boarded}
		if p := byID[st.PersonID]; p != nil {
			row.Nationality = strings.Join(p.Nationalities, ",")
			for _, n := range p.Names() {
				if !names.IsArabicScript(n) {
					row.Name = n
					break
				}
			}
		}
		sh.Rows = append(sh.Rows, row)
	}
	return sh, nil
}

// ManifestHeader is the CSV manifest's header.
var ManifestHeader = []string{"seat", "case_ref", "person_id", "name", "sex", "date_of_birth", "document", "minor", "unaccompanied_minor", "boarded"}

func writeManifestCSV(w io.Writer, m *store.FlightManifest) error {
	cw := csv.NewWriter(w)
	cw.Write(ManifestHeader)
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return ""
	}
	for i, st := range m.Seats {
		cw.Write([]string{strconv.Itoa(i + 1), st.CaseRef, strconv.FormatInt(st.PersonID, 10), csvSafe(st.Name), string(st.Sex), st.DOB, csvSafe(st.Document),
			yn(st.Minor), yn(st.Unaccompanied), yn(st.Boarded)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type manifestData struct {
	M       *store.FlightManifest
	Departs string
	Printed string
	Unacc   int
}

func manifestPage(m *store.FlightManifest) manifestData {
	d := manifestData{M: m, Departs: m.Flight.Departs.In(schedule.Kabul).Format("2006-01-02 15:04 MST"), Printed: time.Now().UTC().Format("2006-01-02 15:04 UTC")}
	for _, s := range m.Seats {
		if s.Unaccompanied {
			d.Unacc++
		}
	}
	return d
}

var manifestTmpl = template.Must(template.New("manifest").Funcs(template.FuncMap{"inc": func(i int) int { return i + 1 }}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Manifest {{.M.Flight.ID}}</title>
<style>
body{font-family:sans-serif;font-size:11pt;margin:1cm}
h1{font-size:16pt;margin:0}
table{border-collapse:collapse;width:100%;margin-top:.5em}
th,td{border:1px solid #999;padding:2px 4px;text-align:left}
tr.unacc td{background:#fde7c2}
thead{display:table-header-group}
@media print{body{margin:0}}
</style></head><body>
<h1>Passenger manifest {{.M.Flight.ID}}</h1>
<p>To {{.M.Flight.Destination}}, departs {{.Departs}} &middot; {{len .M.Seats}} of {{.M.Flight.Capacity}} seats &middot; state {{.M.Flight.State}}{{if .Unacc}} &middot; <strong>{{.Unacc}} unaccompanied minor(s)</strong>{{end}} &middot; printed {{.Printed}}</p>
<table><thead><tr><th>#</th><th>Case</th><th>Name</th><th>Sex</th><th>Born</th><th>Document</th><th>Minor</th><th>Boarded</th></tr></thead><tbody>
{{range $i, $s := .M.Seats}}<tr{{if $s.Unaccompanied}} class="unacc"{{end}}><td>{{inc $i}}</td><td>{{$s.CaseRef}}</td><td>{{$s.Name}}</td><td>{{$s.Sex}}</td><td>{{$s.DOB}}</td><td>{{$s.Document}}</td><td>{{if $s.Unaccompanied}}UNACCOMPANIED{{else if $s.Minor}}minor{{end}}</td><td>{{if $s.Boarded}}&#10003;{{end}}</td></tr>
{{end}}</tbody></table>
</body></html>
`))

func runBoard(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "board", "ID (--person ID,... | --scan MRZ) [--db ...]")
	db, key := addDBFlags(fs)
	persons := fs.String("person", "", "comma-separated person ids")
	scan := fs.String("scan", "", "a passport or ID card MRZ (lines separated by newlines, or run together)")
	actor := fs.String("actor", "cli", "who boards, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (*persons == "") == (*scan == "") {
		fs.Usage()
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	var ids []int64
	for _, f := range splitIDs(*persons) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("--person: %q is not a person id", f)
		}
		ids = append(ids, id)
	}
	if *scan != "" {
		m, err := mrz.ParseText(time.Now(), strings.ReplaceAll(*scan, `\n`, "\n"))
		if err != nil {
			return err
		}
		if !m.Valid {
			return fmt.Errorf("document check failed (%s): inspect the document; do not board", strings.Join(m.Errors, ", "))
		}
		if ids, err = s.PersonByDocument(ctx, m.DocumentNumber); err != nil {
			return err
		}
		if len(ids) == 0 {
			return muster.Errorf(muster.ENOTFOUND, "nobody registered holds this document: do not board")
		}
		// Several people may share a number (re-issued documents): board
		// the one on this flight's manifest.
		if len(ids) > 1 {
			m, err := s.Manifest(ctx, pos[0])
			if err != nil {
				return err
			}
			var on []int64
			for _, st := range m.Seats {
				for _, id := range ids {
					if st.PersonID == id {
						on = append(on, id)
					}
				}
			}
			ids = on
		}
	}
	n, err := s.Board(ctx, *actor, pos[0], ids)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "boarded %d on %s\n", n, pos[0])
	return nil
}

func runDepart(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "depart", "ID [--db ...]")
	db, key := addDBFlags(fs)
	actor := fs.String("actor", "cli", "who acts, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Depart(ctx, *actor, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "flight %s departed with %d people; %d manifested but not boarded are back at checked_in\n", pos[0], res.Departed, len(res.NotBoard))
	return nil
}

func runArrive(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "arrive", "ID --list arrivals.csv [--db ...]")
	db, key := addDBFlags(fs)
	list := fs.String("list", "", "the destination's arrival list: CSV with a person_id or document (passport) column")
	actor := fs.String("actor", "cli", "who acts, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *list == "" {
		fs.Usage()
		return errUsage
	}
	lines, err := readArrivals(*list)
	if err != nil {
		return err
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	rec, err := s.Arrive(ctx, *actor, pos[0], lines)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "flight %s: %d arrived, %d missing, %d extra\n", pos[0], len(rec.Arrived), len(rec.Missing), len(rec.Extra))
	for _, id := range rec.Missing {
		fmt.Fprintf(env.Stdout, "missing: person %d (boarded, not on the arrival list)\n", id)
	}
	for _, l := range rec.Extra {
		fmt.Fprintf(env.Stdout, "extra: line %d (on the list, not boarded on this flight)\n", l.Line)
	}
	if len(rec.Missing)+len(rec.Extra) > 0 {
		return exitError{3}
	}
	return nil
}

// readArrivals reads the destination's list: a header naming person_id
// and/or document (also document_number, passport), name optional.
func readArrivals(path string) ([]store.ArrivalLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	get := func(row []string, names ...string) string {
		for _, n := range names {
			if i, ok := col[n]; ok && i < len(row) {
				return strings.TrimSpace(row[i])
			}
		}
		return ""
	}
	_, hasID := col["person_id"]
	_, hasDoc := col["document"]
	_, hasDoc2 := col["document_number"]
	_, hasPP := col["passport"]
	if !hasID && !hasDoc && !hasDoc2 && !hasPP {
		return nil, fmt.Errorf("%s: needs a person_id or document column", path)
	}
	var out []store.ArrivalLine
	for line := 2; ; line++ {
		row, err := r.Read()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		l := store.ArrivalLine{Line: line, Document: get(row, "document", "document_number", "passport"), Name: get(row, "name")}
		if v := get(row, "person_id"); v != "" {
			if l.PersonID, err = strconv.ParseInt(v, 10, 64); err != nil || l.PersonID <= 0 {
				return nil, fmt.Errorf("%s line %d: person_id %q is not a person id", path, line, v)
			}
		}
		if l.PersonID == 0 && l.Document == "" && l.Name == "" {
			continue // an empty row names nobody
		}
		out = append(out, l)
	}
}

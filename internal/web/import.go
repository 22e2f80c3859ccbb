package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"muster"
	"muster/internal/intake"
	"muster/internal/store"
)

type importData struct {
	Partner  string // the source a partner's uploads are forced to
	File     string
	Rows     int
	Rejected []intake.RowError
	BadRows  int
	Result   *store.ImportResult
	Flagged  int
	Unmapped []string
	Error    string
}

func (s *Server) importForm(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.render(w, r, rq, http.StatusOK, "import", "Import", importData{Partner: rq.scope().Partner})
}

// importUpload reads an uploaded registration file as `muster import` does
// and writes it whole or not at all. A partner's upload is forced to the
// partner's own source: rows without a source get it, rows naming another
// source are rejected like any other bad row.
func (s *Server) importUpload(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	partner := rq.scope().Partner
	d := importData{Partner: partner}
	fail := func(status int, msg string) error {
		d.Error = msg
		return s.render(w, r, rq, status, "import", "Import", d)
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("The file is too large (%d MiB at most).", s.cfg.MaxUpload>>20))
		}
		return fail(http.StatusBadRequest, "Choose a CSV or XLSX file to upload.")
	}
	defer f.Close()
	d.File = fh.Filename
	op, err := s.store.Operation(ctx)
	if err != nil {
		return err
	}
	opt := intake.Options{Source: strings.TrimSpace(r.PostFormValue("source")), Categories: op.Categories, Now: s.now()}
	if partner != "" {
		opt.Source = partner
	}
	if mf, mh, err := r.FormFile("mapping"); err == nil {
		defer mf.Close()
		if mh.Size > 0 {
			m, err := intake.ParseMapping(mf, mh.Filename)
			if err != nil {
				return fail(http.StatusBadRequest, "Mapping file: "+errorMessage(err, rq.info.id))
			}
			opt.Mapping = m
		}
	}
	res, err := intake.Read(f, fh.Filename, intake.FormatOf(fh.Filename), opt)
	if err != nil {
		// File-level problems (no header, unreadable XLSX) are the
		// uploader's to fix; intake's message says what is wrong.
		return fail(http.StatusBadRequest, err.Error())
	}
	d.Rows, d.Flagged, d.Unmapped, d.Rejected = res.Rows, res.Flagged, res.Unmapped, res.Rejected
	if partner != "" {
		for _, rec := range res.Records {
			if rec.Source != partner {
				d.Rejected = append(d.Rejected, intake.RowError{File: fh.Filename, Line: rec.Line, Column: intake.FieldSource, Value: rec.Source,
					Reason: fmt.Sprintf("partner accounts may only import their own organisation's rows (source %q)", partner)})
			}
		}
	}
	if len(d.Rejected) > 0 {
		rows := map[int]bool{}
		for _, e := range d.Rejected {
			rows[e.Line] = true
		}
		d.BadRows = len(rows)
		s.log.Info("import refused", "req", rq.info.id, "user_id", rq.user.ID, "rows", res.Rows, "bad_rows", d.BadRows)
		return fail(http.StatusUnprocessableEntity, fmt.Sprintf("Nothing was imported: %d of %d rows have problems. Fix them and upload the whole file again.", d.BadRows, res.Rows))
	}
	if len(res.Records) == 0 {
		return fail(http.StatusBadRequest, "The file has no data rows.")
	}
	ir, err := s.store.Import(ctx, rq.actor(), res.Records, nil)
	if err != nil {
		if code := muster.ErrorCode(err); code == muster.EINVALID || code == muster.ECONFLICT {
			return fail(http.StatusUnprocessableEntity, "Nothing was imported: "+errorMessage(err, rq.info.id))
		}
		return err
	}
	d.Result = &ir
	s.log.Info("import", "req", rq.info.id, "user_id", rq.user.ID, "rows", ir.Rows, "created", ir.Created, "updated", ir.Updated, "unchanged", ir.Unchanged)
	// As `muster import` does: resolve the new registrations, then screen
	// the people they touched (and those merges changed).
	rs, err := s.cfg.Resolver.Resolve(ctx, rq.actor(), ir.People)
	if err != nil {
		return fmt.Errorf("imported, but resolution failed: %w", err)
	}
	s.log.Info("resolve", "req", rq.info.id, "merged", rs.Merged, "queued", rs.Queued)
	if sc := s.cfg.Screener; sc != nil && sc.Entries() > 0 {
		sum, err := sc.ScreenPeople(ctx, rq.actor(), append(ir.People, rs.Survivors...))
		if err != nil {
			return fmt.Errorf("imported, but screening failed: %w", err)
		}
		s.log.Info("screen", "req", rq.info.id, "people", sum.People, "new_hits", sum.NewHits)
	}
	return s.render(w, r, rq, http.StatusOK, "import", "Import", d)
}

package web

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"muster"
)

// SmallCell is the smallest count an aggregate export shows; smaller
// non-zero counts are suppressed, since a cell of one or two people in a
// shared table can identify them.
const SmallCell = 5

// exportCounts writes people by category and stage as an HXL-tagged CSV
// (a header row, then a hashtag row) for sharing outside the operation:
// no personal value, small cells suppressed, scoped like the dashboard,
// and recorded as an export event.
func (s *Server) exportCounts(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	st, err := s.store.Status(ctx, rq.scope())
	if err != nil {
		return err
	}
	if err := s.store.AppendEvent(ctx, &muster.Event{Actor: rq.actor(), Type: muster.EventExport,
		Data: []byte(fmt.Sprintf(`{"kind":"counts","partner":%q,"small_cell":%d}`, rq.scope().Partner, SmallCell))}); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="muster-counts.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"operation", "date", "category", "stage", "people", "suppressed"})
	cw.Write([]string{"#meta+operation", "#date+reported", "#group+category", "#status+stage", "#population+num", "#meta+suppressed"})
	date := st.At.UTC().Format("2006-01-02T15:04Z")
	for _, c := range st.Categories {
		for _, stg := range st.Stages {
			n := st.Counts[c][stg]
			val, sup := strconv.Itoa(n), ""
			if n > 0 && n < SmallCell {
				val, sup = "", "1"
			}
			cw.Write([]string{st.Operation, date, string(c), string(stg), val, sup})
		}
	}
	cw.Flush()
	s.log.Info("export", "req", rq.info.id, "user_id", rq.user.ID, "kind", "counts")
	return cw.Error()
}

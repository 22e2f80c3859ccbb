package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/auth"
	"muster/internal/intake"
	"muster/internal/store"
)

// page is what every template receives.
type page struct {
	Title string
	User  *store.User
	CSRF  string
	Nav   []navItem
	Path  string
	Data  any
}

type navItem struct {
	Href, Label string
	Current     bool
}

var navAll = []struct {
	href, label string
	perm        auth.Permission
}{
	{"/dashboard", "Dashboard", auth.ViewDashboard},
	{"/search", "Search", auth.Search},
	{"/import", "Import", auth.Import},
	{"/callforward", "Call forward", auth.ViewCallForward},
	{"/admin/users", "Accounts", auth.ManageUsers},
	{"/admin/purge", "Purge", auth.Purge},
}

var funcs = template.FuncMap{
	"stage":   stageLabel,
	"cat":     catLabel,
	"caseref": store.CaseRef,
	"when":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"join":    strings.Join,
	"f1":      func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
}

func stageLabel(s muster.Stage) string {
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(string(s), "_", " ")
}

func catLabel(c muster.Category) string {
	if c == "" {
		return "uncategorised"
	}
	return strings.ReplaceAll(string(c), "_", " ")
}

// render executes a page template into a buffer first, so that a template
// error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name, title string, data any) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	p := page{Title: title, Data: data, Path: r.URL.Path}
	if rq != nil && rq.user != nil {
		p.User, p.CSRF = rq.user, rq.sess.CSRF
		for _, n := range navAll {
			if rq.can(n.perm) {
				p.Nav = append(p.Nav, navItem{n.href, n.label, r.URL.Path == n.href})
			}
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages hold personal data: keep them out of shared and disk caches.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	st := statusOf(err)
	msg := errorMessage(err, rq.info.id)
	if rerr := s.render(w, r, rq, st, "error", http.StatusText(st), struct {
		Status  int
		Message string
	}{st, msg}); rerr != nil {
		s.log.Error("render error page", "req", rq.info.id, "err", rerr)
		http.Error(w, msg, st)
	}
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (s *Server) writeJSONError(w http.ResponseWriter, rq *request, err error) {
	code := muster.ErrorCode(err)
	if _, ok := httpStatus[code]; !ok {
		code = muster.EINTERNAL
	}
	s.writeJSON(w, statusOf(err), map[string]string{"error": code, "message": errorMessage(err, rq.info.id)})
}

func (s *Server) static(w http.ResponseWriter, r *http.Request, rq *request) error {
	name := r.PathValue("file")
	b, err := fs.ReadFile(staticFS, "static/"+path.Base(name))
	if err != nil {
		return muster.Errorf(muster.ENOTFOUND, "no such file")
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	default:
		w.Header().Set("Content-Type", "application/octet-stream")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err = w.Write(b)
	return err
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := s.store.LastSeq(r.Context()); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.can(auth.ViewDashboard) {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, rq, http.StatusOK, "home", "muster", auth.PermissionsOf(rq.user.Role))
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, muster.Errorf(muster.ENOTFOUND, "no such record")
	}
	return id, nil
}

// dashboard

type dashData struct {
	St          *store.Status
	Partner     string
	Stages      []muster.Stage
	Rows        []dashRow
	StageTotals []int
	Funnel      chart
	Throughput  chart
	Backlog     string
	CanExport   bool
}

type dashRow struct {
	Category muster.Category
	Cells    []int
	Total    int
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, rq *request) error {
	st, err := s.store.Status(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	d := dashData{St: st, Partner: rq.scope().Partner, Stages: st.Stages, CanExport: rq.can(auth.ExportCounts)}
	d.StageTotals = make([]int, len(st.Stages))
	for _, c := range st.Categories {
		row := dashRow{Category: c}
		for i, stg := range st.Stages {
			n := st.Counts[c][stg]
			row.Cells = append(row.Cells, n)
			row.Total += n
			d.StageTotals[i] += n
		}
		d.Rows = append(d.Rows, row)
	}
	d.Funnel = funnelChart(st)
	d.Throughput = throughputChart(st)
	d.Backlog = backlogText(st)
	return s.render(w, r, rq, http.StatusOK, "dashboard", "Dashboard", d)
}

func backlogText(st *store.Status) string {
	if st.Totals.StillLeft == 0 {
		return "Nobody is left to move."
	}
	if st.BacklogHours == nil {
		return fmt.Sprintf("%d people still to move; nobody departed in the last 24 hours, so no estimate.", st.Totals.StillLeft)
	}
	h := *st.BacklogHours
	if h < 48 {
		return fmt.Sprintf("%d people still to move: about %.0f hours at the last 24 hours' rate.", st.Totals.StillLeft, h)
	}
	return fmt.Sprintf("%d people still to move: about %.1f days at the last 24 hours' rate.", st.Totals.StillLeft, h/24)
}

func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	st, err := s.store.Status(r.Context(), rq.scope())
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, st)
	return nil
}

// gateAPI hands gate device requests to internal/gateapi, which checks
// the device token and that it is for the gate the request names.
func (s *Server) gateAPI(w http.ResponseWriter, r *http.Request, rq *request) error {
	s.gate.ServeHTTP(w, r)
	return nil
}

// search

type searchData struct {
	Q       string
	Results []*muster.Person
	Case    *muster.Case
	Done    bool
	// More is set when the search found more people than it shows.
	More bool
}

// EventSearch records a search in the audit chain: the query and the ids
// it showed, sealed like every event's data.
const EventSearch = "person.search"

func (s *Server) search(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := searchData{Q: q}
	if q != "" {
		d.Done = true
		var err error
		// One more than shown tells whether there are more.
		limit := s.cfg.SearchLimit
		if d.Results, err = s.store.Search(ctx, rq.scope(), q, limit+1); err != nil {
			return err
		}
		// A phone written the local way (0700 123 456) is stored in E.164;
		// digits that match no document are tried as a phone.
		if len(d.Results) == 0 && looksLikePhone(q) {
			if e164, err := intake.NormalizePhone(q, "AF"); err == nil && e164 != q {
				if d.Results, err = s.store.Search(ctx, rq.scope(), e164, limit+1); err != nil {
					return err
				}
			}
		}
		if len(d.Results) > limit {
			d.Results, d.More = d.Results[:limit], true
		}
		if id, ok := store.ParseCaseRef(q); ok && strings.HasPrefix(strings.ToUpper(q), "C") {
			if c, err := s.store.Case(ctx, rq.scope(), id); err == nil {
				d.Case = c
			} else if muster.ErrorCode(err) != muster.ENOTFOUND {
				return err
			}
		}
		// The audit trail records who searched for what and whom it
		// showed; the event's data is sealed, so the query is not in
		// clear in the database (and never in the log).
		ids := make([]int64, len(d.Results))
		for i, p := range d.Results {
			ids[i] = p.ID
		}
		data, _ := json.Marshal(map[string]any{"q": q, "results": len(ids), "person_ids": ids})
		if err := s.store.AppendEvent(ctx, &muster.Event{Actor: rq.actor(), Type: EventSearch, Data: data}); err != nil {
			return err
		}
		s.log.Info("search", "req", rq.info.id, "user_id", rq.user.ID, "results", len(d.Results))
	}
	return s.render(w, r, rq, http.StatusOK, "search", "Search", d)
}

func looksLikePhone(q string) bool {
	digits := 0
	for _, c := range q {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '-' || c == '+' || c == '(' || c == ')' || c == '.':
		default:
			return false
		}
	}
	return digits >= 8
}

// person

type personData struct {
	P           *muster.Person
	Regs        []muster.Registration
	Events      []eventView
	Stages      []muster.Stage
	CanSetStage bool
	Partner     bool
}

type eventView struct {
	At       time.Time
	Actor    string
	Type     string
	From, To muster.Stage
	Detail   string
}

// partnerEventTypes are the events a partner sees in a history: what
// happened to their people, not who on staff looked at them or screening
// details.
var partnerEventTypes = map[string]bool{
	muster.EventImported: true, muster.EventUpdated: true, muster.EventStage: true,
}

func (s *Server) eventViews(evs []muster.Event, partner bool) []eventView {
	out := make([]eventView, 0, len(evs))
	for i := len(evs) - 1; i >= 0; i-- { // newest first
		ev := evs[i]
		if partner && !partnerEventTypes[ev.Type] {
			continue
		}
		v := eventView{At: ev.At, Actor: ev.Actor, Type: ev.Type, From: ev.From, To: ev.To}
		if partner {
			v.Actor = ""
		} else if len(ev.Data) > 0 {
			v.Detail = string(ev.Data)
		}
		out = append(out, v)
	}
	return out
}

const historyLimit = 1000

func (s *Server) person(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := s.store.Person(ctx, rq.actor(), rq.scope(), id)
	if err != nil {
		return err
	}
	regs, err := s.store.Registrations(ctx, rq.scope(), id)
	if err != nil {
		return err
	}
	evs, err := s.store.Events(ctx, store.EventFilter{PersonID: id, Limit: historyLimit})
	if err != nil {
		return err
	}
	partner := rq.user.Role == auth.RolePartner
	if partner {
		// A person may merge registrations from several partners; a
		// partner sees only what their own organisation sent.
		p, regs = partnerView(p, regs, rq.user.Partner)
	}
	d := personData{P: p, Regs: regs, Events: s.eventViews(evs, partner), Stages: muster.Stages, CanSetStage: rq.can(auth.SetStage), Partner: partner}
	s.log.Info("person read", "req", rq.info.id, "user_id", rq.user.ID, "person_id", id)
	return s.render(w, r, rq, http.StatusOK, "person", fmt.Sprintf("Person %d", id), d)
}

// partnerView returns the person as the partner's own registrations
// describe them (the newest first wins each field), and only those
// registrations. Ids, category and stage stay: the partner is owed those.
func partnerView(p *muster.Person, regs []muster.Registration, partner string) (*muster.Person, []muster.Registration) {
	var own []muster.Registration
	for _, r := range regs {
		if r.Record.Source == partner {
			own = append(own, r)
		}
	}
	v := &muster.Person{ID: p.ID, CaseID: p.CaseID, Category: p.Category, Stage: p.Stage, Created: p.Created, Updated: p.Updated}
	set := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	for _, r := range own { // newest first
		rec := r.Record
		set(&v.Relationship, rec.Relationship)
		set(&v.Given, rec.Given)
		set(&v.Family, rec.Family)
		set(&v.Father, rec.Father)
		set(&v.FullName, rec.FullName)
		set(&v.NativeName, rec.NativeName)
		set(&v.PlaceOfBirth, rec.PlaceOfBirth)
		if v.Sex == "" {
			v.Sex = rec.Sex
		}
		if !v.DOB.Known() {
			v.DOB = rec.DOB
		}
		if v.Nationalities == nil {
			v.Nationalities = rec.Nationalities
		}
		v.Documents = append(v.Documents, rec.Documents()...)
		v.Phones = append(v.Phones, rec.Phones...)
		v.Emails = append(v.Emails, rec.Emails...)
		v.Flags = append(v.Flags, rec.Flags...)
		for _, n := range rec.Needs {
			if !slices.Contains(v.Needs, n) {
				v.Needs = append(v.Needs, n)
			}
		}
	}
	return v, own
}

// stageForm reads and checks the stage form.
func stageForm(r *http.Request) (muster.Stage, string, error) {
	to := muster.Stage(r.PostFormValue("stage"))
	if !to.Valid() {
		return "", "", muster.Errorf(muster.EINVALID, "choose a stage")
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(reason) > 500 {
		return "", "", muster.Errorf(muster.EINVALID, "the reason is too long (500 characters at most)")
	}
	return to, reason, nil
}

func (s *Server) personStage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	to, reason, err := stageForm(r)
	if err != nil {
		return err
	}
	n, err := s.store.SetStage(r.Context(), rq.actor(), rq.scope(), []int64{id}, to, reason)
	if err != nil {
		return err
	}
	s.log.Info("stage set", "req", rq.info.id, "user_id", rq.user.ID, "person_id", id, "stage", to, "moved", n)
	http.Redirect(w, r, fmt.Sprintf("/person/%d", id), http.StatusSeeOther)
	return nil
}

// case

type caseData struct {
	C           *muster.Case
	Members     []*muster.Person
	Events      []eventView
	Stages      []muster.Stage
	CanSetStage bool
	Call        *callView    // its current call, if any (callforward.go)
	Langs       []noticeLang // the notice languages
}

func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := s.store.Case(ctx, rq.scope(), id)
	if err != nil {
		return err
	}
	members, err := s.store.People(ctx, store.PeopleFilter{Scope: rq.scope(), CaseID: id})
	if err != nil {
		return err
	}
	// The case page lists its members' names: that is a read, recorded
	// like a person page.
	if err := s.store.AppendEvent(ctx, &muster.Event{Actor: rq.actor(), Type: "case.read", CaseID: id}); err != nil {
		return err
	}
	evs, err := s.store.Events(ctx, store.EventFilter{CaseID: id, Limit: historyLimit})
	if err != nil {
		return err
	}
	partner := rq.user.Role == auth.RolePartner
	if partner {
		var refs []string
		for _, ref := range c.SourceRefs {
			if strings.HasPrefix(ref, rq.user.Partner+":") {
				refs = append(refs, ref)
			}
		}
		c.SourceRefs = refs
	}
	d := caseData{C: c, Members: members, Events: s.eventViews(evs, partner), Stages: muster.Stages, CanSetStage: rq.can(auth.SetStage), Langs: noticeLangs}
	if d.Call, err = s.caseCall(r, rq, id); err != nil {
		return err
	}
	s.log.Info("case read", "req", rq.info.id, "user_id", rq.user.ID, "case_id", id)
	return s.render(w, r, rq, http.StatusOK, "case", c.Ref, d)
}

func (s *Server) caseStage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	to, reason, err := stageForm(r)
	if err != nil {
		return err
	}
	if _, err := s.store.Case(ctx, rq.scope(), id); err != nil {
		return err
	}
	members, err := s.store.People(ctx, store.PeopleFilter{Scope: rq.scope(), CaseID: id})
	if err != nil {
		return err
	}
	ids := make([]int64, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	n, err := s.store.SetStage(ctx, rq.actor(), rq.scope(), ids, to, reason)
	if err != nil {
		return err
	}
	s.log.Info("stage set", "req", rq.info.id, "user_id", rq.user.ID, "case_id", id, "stage", to, "moved", n)
	http.Redirect(w, r, fmt.Sprintf("/case/%d", id), http.StatusSeeOther)
	return nil
}

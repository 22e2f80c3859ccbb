package web

// The call-forward page: the current calls to gate windows with the notice
// each family receives, in English, Dari or Pashto, and the same for one
// case on its page. The notice carries no name and no phone, so the page
// shows none either; partners see only the calls of the cases they referred.

import (
	"net/http"
	"sync"
	"time"

	"muster/internal/auth"
	"muster/internal/schedule"
	"muster/internal/store"
)

// noticeLang is a language a notice can be shown in, with what the
// browser needs to lay it out (Dari and Pashto run right to left).
type noticeLang struct {
	Code  string // schedule's code: en, prs, ps
	Label string
	HTML  string // the lang attribute
	Dir   string // ltr or rtl
}

var noticeLangs = []noticeLang{
	{schedule.LangEnglish, "English", "en", "ltr"},
	{schedule.LangDari, "Dari (دری)", "fa-AF", "rtl"},
	{schedule.LangPashto, "Pashto (پښتو)", "ps", "rtl"},
}

// langOf picks the notice language asked for (?lang=), English otherwise.
func langOf(r *http.Request) noticeLang {
	q := r.URL.Query().Get("lang")
	for _, l := range noticeLangs {
		if l.Code == q {
			return l
		}
	}
	return noticeLangs[0]
}

// noticeMessages are the notice templates, parsed once.
var noticeMessages = sync.OnceValues(func() (*schedule.Messages, error) {
	return schedule.NewMessages(nil, schedule.Kabul)
})

// callView is one call as the pages show it: times in Kabul, the notice
// in the chosen language.
type callView struct {
	store.CallForward
	Date, From, To string // Kabul time
	Notice         string
	Segments       int // SMS parts the notice takes
	Lang           noticeLang
}

func viewCall(cf store.CallForward, lang noticeLang) (callView, error) {
	m, err := noticeMessages()
	if err != nil {
		return callView{}, err
	}
	msg, _, err := m.Render(schedule.Notice{CaseID: cf.CaseID, CaseRef: cf.CaseRef, Lang: lang.Code, Gate: cf.Gate, Start: cf.Start, End: cf.End, People: cf.People})
	if err != nil {
		return callView{}, err
	}
	st, en := cf.Start.In(schedule.Kabul), cf.End.In(schedule.Kabul)
	return callView{CallForward: cf, Date: st.Format("2006-01-02"), From: st.Format("15:04"), To: en.Format("15:04"),
		Notice: msg, Segments: schedule.Segments(msg), Lang: lang}, nil
}

type callForwardData struct {
	Calls   []callView
	Gates   []string
	Gate    string
	Lang    noticeLang
	Langs   []noticeLang
	Partner string
	Now     time.Time
}

func (s *Server) callForward(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	lang := langOf(r)
	gates, err := s.store.Gates(ctx)
	if err != nil {
		return err
	}
	d := callForwardData{Lang: lang, Langs: noticeLangs, Partner: rq.scope().Partner, Now: s.now()}
	for _, g := range gates {
		d.Gates = append(d.Gates, g.Name)
		if g.Name == r.URL.Query().Get("gate") {
			d.Gate = g.Name // only a known gate reaches the query
		}
	}
	calls, err := s.store.Calls(ctx, store.CallFilter{Scope: rq.scope(), Gate: d.Gate})
	if err != nil {
		return err
	}
	for _, cf := range calls {
		v, err := viewCall(cf, lang)
		if err != nil {
			return err
		}
		d.Calls = append(d.Calls, v)
	}
	s.log.Info("call-forward list", "req", rq.info.id, "user_id", rq.user.ID, "calls", len(d.Calls), "lang", lang.Code)
	return s.render(w, r, rq, http.StatusOK, "callforward", "Call forward", d)
}

// caseCall returns a case's current call for its page, or nil when it has
// none or the user may not see calls. The caller has checked the case is
// in the user's scope.
func (s *Server) caseCall(r *http.Request, rq *request, caseID int64) (*callView, error) {
	if !rq.can(auth.ViewCallForward) {
		return nil, nil
	}
	calls, err := s.store.Calls(r.Context(), store.CallFilter{Scope: rq.scope(), CaseID: caseID})
	if err != nil || len(calls) == 0 {
		return nil, err
	}
	v, err := viewCall(calls[0], langOf(r))
	if err != nil {
		return nil, err
	}
	return &v, nil
}

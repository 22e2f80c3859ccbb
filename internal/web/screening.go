package web

// The screener's queue (issue 3): watchlist hits waiting for a human, each
// shown side by side with the list entry, and decided with a reason. The
// engine never denies anyone; a decision here is an event and moves a flag.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"muster"
	"muster/internal/auth"
	"muster/internal/intake"
	"muster/internal/lists"
	"muster/internal/screen"
	"muster/internal/store"
)

// The queues get their own navigation entries, before the admin's Purge;
// navAll (pages.go) lists the rest. Added here so that the queues stay in
// their own files.
func init() {
	at := len(navAll)
	for i, n := range navAll {
		if n.href == "/admin/purge" {
			at = i
		}
	}
	queues := append(navAll[:at:at],
		struct {
			href, label string
			perm        auth.Permission
		}{"/screening", "Screening", auth.ScreenDecide},
		struct {
			href, label string
			perm        auth.Permission
		}{"/review", "Review", auth.ReviewDecide})
	navAll = append(queues, navAll[at:]...)
}

// queueLimit bounds the rows a queue page shows; the counts on top stay
// exact.
const queueLimit = 500

// maxReason is the longest reason a decision may carry.
const maxReason = 500

// decisions are the screener's choices, in the order the form offers them.
var decisions = []struct{ Value, Label, Hint string }{
	{store.HitFalsePositive, "False positive", "not the listed person: the flag is cleared"},
	{store.HitEscalated, "Escalate", "unsure: a senior screener decides; the flag stays"},
	{store.HitConfirmed, "Confirmed match", "the listed person: a flag follows them to the gate and the manifest"},
}

func known(d string) bool {
	for _, x := range decisions {
		if x.Value == d {
			return true
		}
	}
	return false
}

func decisionLabel(d string) string {
	for _, x := range decisions {
		if x.Value == d {
			return x.Label
		}
	}
	return strings.ReplaceAll(d, "_", " ")
}

// screening queue

type queueData struct {
	Counts store.ScreeningCounts
	Hits   []store.HitRecord
	More   bool
	// Done says what the last decision was (from the redirect), by id only.
	DoneHit   int64
	DoneLabel string
}

// screeningQueue lists pending and escalated hits, highest score first.
// It shows ids, scores and the list side only, so opening it reads no
// person; opening a hit does, and is recorded.
func (s *Server) screeningQueue(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	st, err := s.store.Status(ctx, rq.scope())
	if err != nil {
		return err
	}
	d := queueData{Counts: st.Screening}
	for _, state := range []string{store.HitPending, store.HitEscalated} {
		hs, err := s.store.Hits(ctx, store.HitFilter{Scope: rq.scope(), State: state, Limit: queueLimit + 1})
		if err != nil {
			return err
		}
		d.Hits = append(d.Hits, hs...)
	}
	sort.SliceStable(d.Hits, func(i, j int) bool {
		if d.Hits[i].Score != d.Hits[j].Score {
			return d.Hits[i].Score > d.Hits[j].Score
		}
		return d.Hits[i].ID < d.Hits[j].ID
	})
	if len(d.Hits) > queueLimit {
		d.Hits, d.More = d.Hits[:queueLimit], true
	}
	// Only a known decision is echoed: the query string is anyone's to write.
	if id, err := strconv.ParseInt(r.URL.Query().Get("decided"), 10, 64); err == nil && id > 0 && known(r.URL.Query().Get("as")) {
		d.DoneHit, d.DoneLabel = id, decisionLabel(r.URL.Query().Get("as"))
	}
	return s.render(w, r, rq, http.StatusOK, "screening", "Screening", d)
}

// hit page

type hitData struct {
	Hit       store.HitRecord
	P         *muster.Person
	Entry     *lists.Entry
	Others    []store.HitRecord // the person's other hits
	History   []decisionView
	Decisions []struct{ Value, Label, Hint string }
	// Form holds what was submitted when the decision was refused.
	Decision, Reason, Error string
	Hold                    bool // the score is at or above the gate threshold
	Gate                    float64
}

type decisionView struct {
	At       time.Time
	Actor    string
	From, To string
	Reason   string
}

func (s *Server) loadHit(ctx context.Context, rq *request, id int64) (*hitData, error) {
	hs, err := s.store.Hits(ctx, store.HitFilter{Scope: rq.scope(), ID: id})
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, muster.Errorf(muster.ENOTFOUND, "no hit %d: it may have been withdrawn when its list changed, or its person merged into another", id)
	}
	d := &hitData{Hit: hs[0], Decisions: decisions, Gate: screen.GateThreshold, Hold: hs[0].Score >= screen.GateThreshold}
	// Showing the person side by side is reading them: recorded as the
	// person page records it.
	if d.P, err = s.store.Person(ctx, rq.actor(), rq.scope(), d.Hit.PersonID); err != nil {
		return nil, err
	}
	if d.Entry, err = s.store.ListEntry(ctx, d.Hit.List, d.Hit.EntryID); err != nil {
		return nil, err
	}
	all, err := s.store.Hits(ctx, store.HitFilter{Scope: rq.scope(), PersonID: d.Hit.PersonID})
	if err != nil {
		return nil, err
	}
	for _, h := range all {
		if h.ID != id {
			d.Others = append(d.Others, h)
		}
	}
	evs, err := s.store.Events(ctx, store.EventFilter{PersonID: d.Hit.PersonID, Type: muster.EventDecision, Limit: historyLimit})
	if err != nil {
		return nil, err
	}
	for i := len(evs) - 1; i >= 0; i-- { // newest first
		var dd struct {
			Hit      int64  `json:"hit"`
			From     string `json:"from"`
			Decision string `json:"decision"`
			Reason   string `json:"reason"`
		}
		if json.Unmarshal(evs[i].Data, &dd) != nil || dd.Hit != id {
			continue
		}
		d.History = append(d.History, decisionView{At: evs[i].At, Actor: evs[i].Actor, From: decisionLabel(dd.From), To: decisionLabel(dd.Decision), Reason: dd.Reason})
	}
	return d, nil
}

func (s *Server) hitPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.loadHit(r.Context(), rq, id)
	if err != nil {
		return err
	}
	s.log.Info("hit read", "req", rq.info.id, "user_id", rq.user.ID, "hit_id", id, "person_id", d.Hit.PersonID)
	return s.render(w, r, rq, http.StatusOK, "hit", fmt.Sprintf("Hit %d", id), d)
}

// hitForm reads and checks a decision form.
func hitForm(r *http.Request) (decision, reason string, err error) {
	return decisionForm(r, []string{store.HitFalsePositive, store.HitEscalated, store.HitConfirmed},
		"choose a decision: false positive, escalate or confirmed match",
		"give a reason: every decision on a hit is kept with the screener's reason (for example which date of birth or document rules the entry out)")
}

func (s *Server) hitDecide(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	decision, reason, ferr := hitForm(r)
	if ferr == nil {
		// The form carries the state the screener saw: if someone decided
		// meanwhile, show them the new state rather than overwrite it.
		hs, err := s.store.Hits(ctx, store.HitFilter{Scope: rq.scope(), ID: id})
		if err != nil {
			return err
		}
		if len(hs) == 0 {
			return muster.Errorf(muster.ENOTFOUND, "no hit %d: it may have been withdrawn when its list changed, or its person merged into another", id)
		}
		if seen := r.PostFormValue("seen"); seen != "" && seen != hs[0].State {
			ferr = muster.Errorf(muster.ECONFLICT, "someone recorded %q on this hit while you were reading it; read their reason below and decide again", decisionLabel(hs[0].State))
		}
	}
	if ferr != nil {
		d, err := s.loadHit(ctx, rq, id)
		if err != nil {
			return err
		}
		d.Decision, d.Reason, d.Error = decision, reason, errorMessage(ferr, rq.info.id)
		st := http.StatusUnprocessableEntity
		if muster.ErrorCode(ferr) == muster.ECONFLICT {
			st = http.StatusConflict
		}
		return s.render(w, r, rq, st, "hit", fmt.Sprintf("Hit %d", id), d)
	}
	if err := s.store.Decide(ctx, rq.actor(), rq.scope(), id, decision, reason); err != nil {
		return err
	}
	s.log.Info("hit decided", "req", rq.info.id, "user_id", rq.user.ID, "hit_id", id, "decision", decision)
	http.Redirect(w, r, fmt.Sprintf("/screening?decided=%d&as=%s", id, decision), http.StatusSeeOther)
	return nil
}

// /api/screen

// apiScreenTop and apiScreenThreshold are `muster screen name`'s defaults,
// so that the API and the command answer alike.
const (
	apiScreenTop       = 10
	apiScreenThreshold = 0.6
)

type screenAnswer struct {
	Name          string      `json:"name"`
	DOB           string      `json:"dob,omitempty"`
	Threshold     float64     `json:"threshold"`
	GateThreshold float64     `json:"gate_threshold"`
	Entries       int         `json:"entries_indexed"`
	Hits          []screenHit `json:"hits"`
}

type screenHit struct {
	Rank          int               `json:"rank"`
	Score         float64           `json:"score"`
	HoldAtGate    bool              `json:"hold_at_gate"`
	List          string            `json:"list"`
	EntryID       string            `json:"entry_id"`
	Type          string            `json:"type"`
	Programs      []string          `json:"programs"`
	NameMatched   string            `json:"name_matched"`
	NameScore     float64           `json:"name_score"`
	Explanation   string            `json:"explanation"`
	DOBs          []string          `json:"listed_dobs,omitempty"`
	Nationalities []string          `json:"listed_nationalities,omitempty"`
	Sex           muster.Sex        `json:"listed_sex,omitempty"`
	Documents     []muster.Document `json:"listed_documents,omitempty"`
}

// apiScreen screens one name (and optional date of birth) against every
// loaded list: the JSON form of `muster screen name`. The name is never
// logged.
func (s *Server) apiScreen(w http.ResponseWriter, r *http.Request, rq *request) error {
	sc := s.cfg.Screener
	if sc == nil || sc.Entries() == 0 {
		s.writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable",
			"message": "no watchlist is loaded on this server: load one with `muster lists load PATH` (OFAC SDN or UN consolidated files)"})
		return nil
	}
	q := r.URL.Query()
	name := strings.TrimSpace(q.Get("name"))
	if name == "" {
		return muster.Errorf(muster.EINVALID, "give a name: /api/screen?name=...&dob=...")
	}
	if len(name) > 300 {
		return muster.Errorf(muster.EINVALID, "the name is too long (300 characters at most)")
	}
	ans := screenAnswer{Name: name, Threshold: apiScreenThreshold, GateThreshold: screen.GateThreshold, Entries: sc.Entries(), Hits: []screenHit{}}
	query := screen.Query{Names: []string{name}}
	if v := strings.TrimSpace(q.Get("dob")); v != "" {
		d, _, err := intake.ParseDate(v, intake.Auto)
		if err != nil {
			return muster.Errorf(muster.EINVALID, "dob %q: %v", v, err)
		}
		query.DOB, ans.DOB = d, d.String()
	}
	top := apiScreenTop
	if v := q.Get("top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return muster.Errorf(muster.EINVALID, "top %q: a number from 1 to 100", v)
		}
		top = n
	}
	for i, h := range sc.Index().Screen(query, screen.Options{Threshold: apiScreenThreshold, Top: top}) {
		sh := screenHit{Rank: i + 1, Score: h.Score, HoldAtGate: h.Score >= screen.GateThreshold, List: h.List, EntryID: h.EntryID, Type: h.Type,
			Programs: h.Programs, NameMatched: h.NameMatched, NameScore: h.NameScore, Explanation: h.Explanation}
		if e := h.Entry; e != nil {
			for _, d := range e.DOBs {
				sh.DOBs = append(sh.DOBs, d.String())
			}
			sh.Nationalities, sh.Sex, sh.Documents = e.Nationalities, e.Sex, e.Documents
		}
		ans.Hits = append(ans.Hits, sh)
	}
	s.log.Info("screen query", "req", rq.info.id, "user_id", rq.user.ID, "hits", len(ans.Hits))
	s.writeJSON(w, http.StatusOK, ans)
	return nil
}

// listPoll is how often a server looks for list versions loaded by others.
var listPoll = 2 * time.Second

// followLists keeps cfg.Screener's index current when any server sharing
// the database (or `muster lists load`) loads a list version, until ctx
// ends. A failed reload is retried at the next batch of events.
func (s *Server) followLists(ctx context.Context) {
	sc := s.cfg.Screener
	if sc == nil {
		return
	}
	seq, err := s.store.LastSeq(ctx)
	if err != nil {
		s.log.Error("follow lists: last event", "err", err)
		return
	}
	stale := false
	err = s.store.Follow(ctx, seq, listPoll, func(evs []muster.Event) error {
		for _, ev := range evs {
			if ev.Type == muster.EventListLoaded {
				stale = true
			}
		}
		if !stale {
			return nil
		}
		start := time.Now()
		if err := sc.Reload(ctx); err != nil {
			if ctx.Err() == nil {
				s.log.Error("follow lists: reload", "err", err)
			}
			return nil
		}
		stale = false
		s.log.Info("lists reloaded", "entries", sc.Entries(), "ms", time.Since(start).Milliseconds())
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.log.Error("follow lists", "err", err)
	}
}

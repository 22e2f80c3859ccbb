package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/auth"
	"muster/internal/demo"
	"muster/internal/intake"
	"muster/internal/lists"
	"muster/internal/ops"
	"muster/internal/resolve"
	"muster/internal/screen"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// unList is the real UN Security Council list embedded in internal/demo,
// parsed once for every test.
var unList = sync.OnceValues(demo.UNList)

// queueFix is what the queue tests (and the route test, through
// sendQueue) add to an env: the UN list loaded into the store, listed
// people registered as they might give their names (demo.Planted) and
// screened, and one doubtful pair for a reviewer.
type queueFix struct {
	sc     *ops.Screener
	listed []int64 // people, in demo.Planted order
	hit    int64   // a pending hit of the first planted person on TAi.009
	pair   int64   // a pending review pair of pairA and pairB
	pairA  int64
	pairB  int64
	merges int // fresh merges made for undo requests
}

var (
	queueMu    sync.Mutex
	queueFixes = map[*env]*queueFix{}
)

// Personal values the queue fixtures insert; no log line may hold any.
var queuePersonal = []string{"Atiqullah Akhund", "Yar Mohammad Rahimi", "Mohammad Nabi", "P4455667", "Kandahar"}

// pairTerms is the engine's explanation for the fixture pair, written as
// internal/ops stores it (JSON of []resolve.Term).
var pairTerms = []resolve.Term{
	{Field: "name", A: "mohammad nabi popal", B: "mohammad nabi popalzai", Level: "close", Weight: 4.25},
	{Field: "father", A: "", B: "", Level: "null"},
	{Field: "dob", A: "1984", B: "1984", Level: "agree-imprecise", Weight: 2.5},
	{Field: "passport", A: "P4455667", B: "", Level: "null"},
	{Field: "sex", A: "M", B: "M", Level: "exact", Weight: 0.9},
	{Field: "place_of_birth", A: "kandahar", B: "kabul", Level: "else", Weight: -1.75},
}

func (e *env) queues() *queueFix {
	e.t.Helper()
	queueMu.Lock()
	defer queueMu.Unlock()
	if f, ok := queueFixes[e]; ok {
		return f
	}
	ctx := context.Background()
	un, err := unList()
	if err != nil {
		e.t.Fatal(err)
	}
	f := &queueFix{}
	if f.sc, err = ops.NewScreener(ctx, e.st, 0); err != nil {
		e.t.Fatal(err)
	}
	if _, err := f.sc.LoadEntries(ctx, "test", demo.UNListSource, un); err != nil {
		e.t.Fatal(err)
	}
	var recs []muster.Record
	for i, p := range demo.Planted {
		recs = append(recs, muster.Record{Source: "ngo-q", SourceID: fmt.Sprintf("q%d", i), CaseRef: fmt.Sprintf("Q%d", i), Relationship: "principal",
			Given: p.Given, Family: p.Family, NativeName: p.Dari, Sex: muster.SexMale, DOB: muster.Date{Year: p.Year, Precision: muster.PrecisionYear},
			Nationalities: []string{"AF"}, Category: muster.CategoryOtherAtRisk})
	}
	ir, err := e.st.Import(ctx, "test", recs, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	f.listed = ir.People
	if _, err := f.sc.ScreenPeople(ctx, "test", f.listed); err != nil {
		e.t.Fatal(err)
	}
	hs, err := e.st.Hits(ctx, store.HitFilter{PersonID: f.listed[0], State: store.HitPending})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range hs {
		if h.EntryID == "TAi.009" {
			f.hit = h.ID
		}
	}
	if f.hit == 0 {
		e.t.Fatalf("screening found no hit on TAi.009 for %s: %+v", demo.Planted[0].Ref, hs)
	}
	ir, err = e.st.Import(ctx, "test", []muster.Record{
		{Source: "ngo-r", SourceID: "r1", CaseRef: "R1", Relationship: "principal", Given: "Mohammad Nabi", Family: "Popal", Sex: muster.SexMale,
			DOB: muster.Date{Year: 1984, Precision: muster.PrecisionYear}, PlaceOfBirth: "Kandahar", Passport: "P4455667", Category: muster.CategorySIVApplicant},
		{Source: "ngo-s", SourceID: "s1", CaseRef: "S1", Relationship: "principal", Given: "Mohammad Nabi", Family: "Popalzai", Sex: muster.SexMale,
			DOB: muster.Date{Year: 1984, Precision: muster.PrecisionYear}, PlaceOfBirth: "Kabul", Category: muster.CategorySIVApplicant},
	}, nil)
	if err != nil || len(ir.People) != 2 {
		e.t.Fatalf("import pair: %+v %v", ir, err)
	}
	f.pairA, f.pairB = ir.People[0], ir.People[1]
	expl, _ := json.Marshal(pairTerms)
	var regOf [2]int64
	for k, p := range []int64{f.pairA, f.pairB} {
		regs, err := e.st.Registrations(ctx, store.Scope{}, p)
		if err != nil || len(regs) != 1 {
			e.t.Fatalf("registrations of %d: %v %v", p, regs, err)
		}
		regOf[k] = regs[0].ID
	}
	if _, err := e.st.AddReviews(ctx, "test", []store.ReviewPair{{PersonA: f.pairA, PersonB: f.pairB, RegA: regOf[0], RegB: regOf[1], Score: 0.71, Explanation: expl}}); err != nil {
		e.t.Fatal(err)
	}
	ps, err := e.st.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
	if err != nil || len(ps) != 1 {
		e.t.Fatalf("reviews %+v %v", ps, err)
	}
	f.pair = ps[0].ID
	// Requests are served one at a time in these tests (as TestLogin
	// flips RequireTOTP).
	e.srv.cfg.Screener = f.sc
	queueFixes[e] = f
	e.t.Cleanup(func() {
		queueMu.Lock()
		delete(queueFixes, e)
		queueMu.Unlock()
	})
	return f
}

// freshMerge merges two new people and returns the merge event's seq, so
// that each undo request in the route test has its own merge to undo.
func (e *env) freshMerge() int64 {
	e.t.Helper()
	f := e.queues()
	queueMu.Lock()
	f.merges++
	n := f.merges
	queueMu.Unlock()
	ctx := context.Background()
	ir, err := e.st.Import(ctx, "test", []muster.Record{
		{Source: "ngo-u", SourceID: fmt.Sprintf("u%da", n), Given: fmt.Sprintf("Given%d", n), Family: "Undo", Category: muster.CategoryOtherAtRisk},
		{Source: "ngo-u", SourceID: fmt.Sprintf("u%db", n), Given: fmt.Sprintf("Given%d", n), Family: "Undoe", Category: muster.CategoryOtherAtRisk},
	}, nil)
	if err != nil || len(ir.People) != 2 {
		e.t.Fatalf("import: %+v %v", ir, err)
	}
	seq, err := e.st.Merge(ctx, "test", ir.People[0], ir.People[1], "test", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return seq
}

// The queues' routes in the route test (web_test.go): ids of real hits and
// pairs, a fresh merge for every undo, a query for the API. A POST carries
// only the CSRF token, which the decision forms refuse (422) and undo
// accepts.
func init() {
	for p, perm := range map[string]auth.Permission{
		"GET /screening":           auth.ScreenDecide,
		"GET /screening/hit/{id}":  auth.ScreenDecide,
		"POST /screening/hit/{id}": auth.ScreenDecide,
		"GET /api/screen":          auth.ScreenDecide,
		"GET /review":              auth.ReviewDecide,
		"GET /review/pair/{id}":    auth.ReviewDecide,
		"POST /review/pair/{id}":   auth.ReviewDecide,
		"POST /review/undo/{seq}":  auth.ReviewDecide,
	} {
		pinnedPerms[p] = perm
	}
	hit := func(t *testing.T, e *env) string { return fmt.Sprintf("/screening/hit/%d", e.queues().hit) }
	pair := func(t *testing.T, e *env) string { return fmt.Sprintf("/review/pair/%d", e.queues().pair) }
	routeCases["GET /screening"] = routeCase{Path: func(t *testing.T, e *env) string { e.queues(); return "/screening" }}
	routeCases["GET /screening/hit/{id}"] = routeCase{Path: hit}
	routeCases["POST /screening/hit/{id}"] = routeCase{Path: hit}
	routeCases["GET /api/screen"] = routeCase{Path: func(t *testing.T, e *env) string {
		e.queues()
		return "/api/screen?name=Atiqullah+Akhund&dob=1953"
	}}
	routeCases["GET /review"] = routeCase{Path: func(t *testing.T, e *env) string { e.queues(); return "/review" }}
	routeCases["GET /review/pair/{id}"] = routeCase{Path: pair}
	routeCases["POST /review/pair/{id}"] = routeCase{Path: pair}
	routeCases["POST /review/undo/{seq}"] = routeCase{Path: func(t *testing.T, e *env) string { return fmt.Sprintf("/review/undo/%d", e.freshMerge()) }}
}

func (e *env) checkLogs(values []string) {
	e.t.Helper()
	logs := e.logs.String()
	for _, v := range values {
		if strings.Contains(logs, v) {
			e.t.Errorf("log contains personal value %q", v)
		}
	}
}

// personFlags reads the flag codes screening keeps on a person (the column
// movement control and the gate read; no store method returns it).
func personFlags(t *testing.T, dsn string, id int64) []string {
	t.Helper()
	var db *sql.DB
	var err error
	if store.IsPostgres(dsn) {
		db, err = sql.Open("pgx", dsn)
	} else {
		db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var flags string
	if err := db.QueryRow(`SELECT flags FROM persons WHERE id = $1`, id).Scan(&flags); err != nil {
		t.Fatal(err)
	}
	return strings.Split(flags, ",")
}

var reHitRow = regexp.MustCompile(`id="hit-(\d+)"`)

// queueIDs returns the hit ids a queue page lists, in order.
func queueIDs(body string) []int64 {
	var out []int64
	for _, m := range reHitRow.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, id)
	}
	return out
}

// TestScreenerQueue: a screener reads the queue and a hit side by side,
// is refused a decision without a reason, clears every hit of a listed
// person's namesake-free record, and the flag goes; others get 403.
func TestScreenerQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		f := e.queues()
		ctx := context.Background()
		sc := e.client().login("screen")

		// The queue: every open hit, highest score first, counts on top.
		open, err := e.st.Hits(ctx, store.HitFilter{State: store.HitPending})
		if err != nil {
			t.Fatal(err)
		}
		r := sc.get("/screening")
		if r.status != 200 {
			t.Fatalf("queue: %d %s", r.status, firstError(r.body))
		}
		var want []int64
		for _, h := range open {
			want = append(want, h.ID)
		}
		if diff := cmp.Diff(want, queueIDs(r.body)); diff != "" {
			t.Errorf("queue rows (-store +page):\n%s", diff)
		}
		if s := fmt.Sprintf(`id="count-pending">%d<`, len(open)); !strings.Contains(r.body, s) {
			t.Errorf("queue lacks %s", s)
		}
		for _, v := range queuePersonal {
			if strings.Contains(r.body, v) {
				t.Errorf("queue page shows personal value %q", v)
			}
		}

		// The hit, side by side: the person's names and the entry's, in
		// both scripts, with the list's facts and the explanation.
		hitPath := fmt.Sprintf("/screening/hit/%d", f.hit)
		r = sc.get(hitPath)
		if r.status != 200 {
			t.Fatalf("hit page: %d %s", r.status, firstError(r.body))
		}
		un, _ := unList()
		var entry lists.Entry
		for _, en := range un {
			if en.ID == "TAi.009" {
				entry = en
			}
		}
		mustHave := []string{"Atiqullah Akhund", "عتیق الله آخوند", "TAi.009", "1953", "circa 1953", "Taliban", "Shah Wali Kot District"}
		for _, n := range entry.Names {
			mustHave = append(mustHave, n.Name)
		}
		for _, s := range mustHave {
			if !strings.Contains(r.body, templateEscape(s)) {
				t.Errorf("hit page lacks %q", s)
			}
		}
		for _, s := range []string{`id="explanation"`, `name="reason"`, `id="d-false_positive"`, `id="d-escalated"`, `id="d-confirmed"`} {
			if !strings.Contains(r.body, s) {
				t.Errorf("hit page lacks %s", s)
			}
		}
		for _, p := range []string{"/screening", hitPath, "/review", fmt.Sprintf("/review/pair/%d", f.pair)} {
			c := sc
			if strings.HasPrefix(p, "/review") {
				c = e.client().login("case")
			}
			if body := c.get(p).body; strings.Contains(body, "<script") || strings.Contains(body, " style=") {
				t.Errorf("%s has inline script or style (the CSP blocks both)", p)
			}
		}
		reads, _ := e.st.Events(ctx, store.EventFilter{Type: muster.EventRead, PersonID: f.listed[0]})
		if len(reads) != 2 || reads[0].Actor != "user:screen" {
			t.Errorf("reading a hit twice: read events %+v, want two by user:screen", reads)
		}

		// A decision needs a reason, and a known decision.
		for _, form := range []url.Values{
			{"csrf": {sc.csrf}, "decision": {"false_positive"}, "reason": {"   "}},
			{"csrf": {sc.csrf}, "decision": {"false_positive"}},
			{"csrf": {sc.csrf}, "reason": {"not him"}},
			{"csrf": {sc.csrf}, "decision": {"deny"}, "reason": {"x"}},
		} {
			r := sc.post(hitPath, form)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="decision-error"`) {
				t.Errorf("decision %v: %d, want 422 with the form's error", form, r.status)
			}
			if form.Get("decision") == "false_positive" && !strings.Contains(r.body, "give a reason") {
				t.Errorf("no-reason refusal does not say why: %s", firstError(r.body))
			}
		}
		if evs, _ := e.st.Events(ctx, store.EventFilter{Type: muster.EventDecision}); len(evs) != 0 {
			t.Errorf("refused decisions were recorded: %+v", evs)
		}
		// A page read before someone else decided is refused, not applied.
		if r := sc.post(hitPath, url.Values{"csrf": {sc.csrf}, "decision": {"confirmed"}, "reason": {"x"}, "seen": {store.HitEscalated}}); r.status != http.StatusConflict {
			t.Errorf("stale decision: %d, want 409", r.status)
		}

		// Others may not decide: partner, gate, caseworker.
		for _, name := range []string{"partnera", "gate", "case"} {
			c := e.client().login(name)
			for _, rr := range []resp{c.get("/screening"), c.get(hitPath),
				c.post(hitPath, url.Values{"csrf": {c.csrf}, "decision": {"false_positive"}, "reason": {"x"}}), c.get("/api/screen?name=x")} {
				if rr.status != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", name, rr.status)
				}
			}
		}

		// Clear every hit of the first listed person's record.
		if got := personFlags(t, dsn, f.listed[0]); !contains(got, store.FlagScreenHit) {
			t.Fatalf("flags before %v, want %s", got, store.FlagScreenHit)
		}
		mine, _ := e.st.Hits(ctx, store.HitFilter{PersonID: f.listed[0]})
		reason := "born 1961 per tazkira; different father"
		for i, h := range mine {
			r := sc.post(fmt.Sprintf("/screening/hit/%d", h.ID), url.Values{"csrf": {sc.csrf}, "decision": {"false_positive"}, "reason": {reason}, "seen": {h.State}})
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/screening?decided=") {
				t.Fatalf("decide hit %d: %d %q %s", h.ID, r.status, r.loc, firstError(r.body))
			}
			q := sc.get(r.loc)
			if !strings.Contains(q.body, fmt.Sprintf("Hit %d: False positive recorded", h.ID)) {
				t.Errorf("queue after a decision lacks its confirmation")
			}
			if got := len(queueIDs(q.body)); got != len(open)-i-1 {
				t.Errorf("queue has %d rows after %d decisions, want %d", got, i+1, len(open)-i-1)
			}
		}
		evs, _ := e.st.Events(ctx, store.EventFilter{Type: muster.EventDecision, PersonID: f.listed[0]})
		if len(evs) != len(mine) {
			t.Fatalf("%d decision events, want %d", len(evs), len(mine))
		}
		for _, ev := range evs {
			var d map[string]any
			json.Unmarshal(ev.Data, &d)
			if ev.Actor != "user:screen" || d["decision"] != store.HitFalsePositive || d["reason"] != reason {
				t.Errorf("decision event %s %s", ev.Actor, ev.Data)
			}
		}
		if got := personFlags(t, dsn, f.listed[0]); contains(got, store.FlagScreenHit) {
			t.Errorf("flags after clearing %v: %s still there", got, store.FlagScreenHit)
		}
		// Escalate, then confirm: both decisions kept, the confirmed flag set.
		second, _ := e.st.Hits(ctx, store.HitFilter{PersonID: f.listed[1], State: store.HitPending})
		if len(second) == 0 {
			t.Fatalf("no pending hit for %s", demo.Planted[1].Ref)
		}
		h2 := fmt.Sprintf("/screening/hit/%d", second[0].ID)
		for _, step := range []struct{ seen, decision, reason string }{
			{store.HitPending, store.HitEscalated, "father's name unknown; needs the senior screener"},
			{store.HitEscalated, store.HitConfirmed, "senior screener: tazkira and photo match the INTERPOL notice"},
		} {
			r := sc.post(h2, url.Values{"csrf": {sc.csrf}, "decision": {step.decision}, "reason": {step.reason}, "seen": {step.seen}})
			if r.status != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", step.decision, r.status, firstError(r.body))
			}
			if step.decision == store.HitEscalated && !strings.Contains(sc.get("/screening").body, `<td class="state-escalated">escalated</td>`) {
				t.Errorf("escalated hit not in the queue as escalated")
			}
		}
		if got := personFlags(t, dsn, f.listed[1]); !contains(got, store.FlagScreenConfirmed) {
			t.Errorf("flags after a confirmed match %v, want %s", got, store.FlagScreenConfirmed)
		}
		if body := sc.get(h2).body; !strings.Contains(body, "Escalate") || !strings.Contains(body, "Confirmed match") || !strings.Contains(body, "senior screener: tazkira") {
			t.Errorf("hit page lacks the escalation and the confirmation")
		}
		if r := sc.get("/screening?decided=5&as=" + url.QueryEscape("call +93 700 000 000")); strings.Contains(r.body, "call") {
			t.Errorf("the queue echoes an arbitrary decision label")
		}
		st := e.status(store.Scope{})
		if st.Screening.Cleared != len(mine) || st.Screening.PendingHits != len(open)-len(mine)-1 || st.Screening.Confirmed != 1 {
			t.Errorf("screening counts %+v after clearing %d of %d", st.Screening, len(mine), len(open))
		}
		// The decision shows on the hit page, with its reason.
		if r := sc.get(hitPath); !strings.Contains(r.body, "Decisions on this hit") || !strings.Contains(r.body, reason) {
			t.Errorf("hit page lacks its decision history")
		}
		e.checkLogs(append(queuePersonal, reason, "needs the senior screener", "tazkira and photo"))
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// templateEscape is how html/template writes s in text.
func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// TestAPIScreen: /api/screen answers as the index does (the JSON of
// `muster screen name`), refuses bad input, and says so when no list is
// loaded.
func TestAPIScreen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		c := e.client().login("screen")
		if r := c.get("/api/screen?name=Atiqullah+Akhund"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "no watchlist is loaded") {
			t.Errorf("without lists: %d %s", r.status, r.body)
		}
		f := e.queues()
		r := c.get("/api/screen?name=" + url.QueryEscape("Atiqullah Akhund") + "&dob=1953")
		if r.status != 200 {
			t.Fatalf("api/screen: %d %s", r.status, r.body)
		}
		var got screenAnswer
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatal(err)
		}
		want := f.sc.Index().Screen(screen.Query{Names: []string{"Atiqullah Akhund"}, DOB: muster.Date{Year: 1953, Precision: muster.PrecisionYear}},
			screen.Options{Threshold: 0.6, Top: 10})
		if len(want) == 0 || len(got.Hits) != len(want) {
			t.Fatalf("api/screen: %d hits, index %d", len(got.Hits), len(want))
		}
		for i, h := range want {
			g := got.Hits[i]
			if g.Rank != i+1 || g.List != h.List || g.EntryID != h.EntryID || g.Score != h.Score || g.NameMatched != h.NameMatched ||
				g.Explanation != h.Explanation || !cmp.Equal(g.Programs, h.Programs) {
				t.Errorf("hit %d: %+v, index %+v", i, g, h)
			}
		}
		top := got.Hits[0]
		if top.EntryID != "TAi.009" || top.List != lists.UNSC || !top.HoldAtGate || len(top.Programs) == 0 || !contains(top.DOBs, "circa 1953") {
			t.Errorf("top hit %+v, want UN TAi.009 held at the gate, born 1953", top)
		}
		if got.DOB != "1953" || got.Entries == 0 {
			t.Errorf("answer %+v", got)
		}
		// Arabic script finds the same entry.
		r = c.get("/api/screen?name=" + url.QueryEscape("عتیق الله آخوند") + "&top=1")
		if err := json.Unmarshal([]byte(r.body), &got); err != nil || len(got.Hits) != 1 || got.Hits[0].EntryID != "TAi.009" {
			t.Errorf("Arabic script: %d %s", r.status, r.body)
		}
		for _, q := range []string{"", "?name=", "?name=x&dob=31/31/1990", "?name=x&top=0", "?name=x&top=many"} {
			if r := c.get("/api/screen" + q); r.status != http.StatusBadRequest || !strings.Contains(r.body, `"error": "invalid"`) {
				t.Errorf("%q: %d %s", q, r.status, r.body)
			}
		}
		e.checkLogs(queuePersonal)
	})
}

// TestFollowLists: a server keeps its screener current when a list is
// loaded through another screener on the same database (another server,
// or `muster lists load`).
func TestFollowLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		ctx := context.Background()
		mine, err := ops.NewScreener(ctx, e.st, 0)
		if err != nil {
			t.Fatal(err)
		}
		e.srv.cfg.Screener = mine
		old := listPoll
		listPoll = 20 * time.Millisecond
		defer func() { listPoll = old }()
		srvCtx, stop := context.WithCancel(ctx)
		urls := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- e.srv.ListenAndServe(srvCtx, "127.0.0.1:0", func(u string) { urls <- u }) }()
		<-urls
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		}()
		c := e.client().login("screen")
		if r := c.get("/api/screen?name=Atiqullah+Akhund"); r.status != http.StatusServiceUnavailable {
			t.Fatalf("before any list: %d", r.status)
		}
		un, err := unList()
		if err != nil {
			t.Fatal(err)
		}
		other, err := ops.NewScreener(ctx, e.st, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.LoadEntries(ctx, "cli", demo.UNListSource, un); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for mine.Entries() != len(un) {
			if time.Now().After(deadline) {
				t.Fatalf("the server's screener holds %d entries 20 s after a load of %d", mine.Entries(), len(un))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if r := c.get("/api/screen?name=Atiqullah+Akhund"); r.status != 200 || !strings.Contains(r.body, `"entry_id": "TAi.009"`) {
			t.Errorf("after the load: %d", r.status)
		}
	})
}

// TestReviewQueue: a caseworker reads a doubtful pair side by side,
// merges it, sees the people count drop at once, undoes the merge and
// sees it back; a pair decided different becomes a cannot-link rule.
func TestReviewQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		f := e.queues()
		ctx := context.Background()
		cw := e.client().login("case")
		registered := func() int {
			t.Helper()
			r := cw.get("/api/status")
			var st store.Status
			if err := json.Unmarshal([]byte(r.body), &st); err != nil {
				t.Fatalf("api/status: %d %v", r.status, err)
			}
			return st.Totals.Registered
		}
		before := registered()

		r := cw.get("/review")
		if r.status != 200 || !strings.Contains(r.body, fmt.Sprintf(`id="pair-%d"`, f.pair)) || !strings.Contains(r.body, `id="count-pending">1<`) {
			t.Fatalf("review queue: %d %s", r.status, firstError(r.body))
		}
		for _, v := range queuePersonal {
			if strings.Contains(r.body, v) {
				t.Errorf("review queue shows personal value %q", v)
			}
		}
		pairPath := fmt.Sprintf("/review/pair/%d", f.pair)
		r = cw.get(pairPath)
		if r.status != 200 {
			t.Fatalf("pair page: %d %s", r.status, firstError(r.body))
		}
		for _, s := range []string{"Mohammad Nabi Popal", "Mohammad Nabi Popalzai", "</a></td><td>ngo-r</td><td>r1</td>", "</a></td><td>ngo-s</td><td>s1</td>",
			"<td>place_of_birth</td><td dir=\"auto\">kandahar</td><td dir=\"auto\">kabul</td><td>else</td><td class=\"w\">-1.75</td>", "&#43;5.90", `id="d-same"`} {
			if !strings.Contains(r.body, s) {
				t.Errorf("pair page lacks %q", s)
			}
		}
		// The two registrations the explanation compares are marked.
		if n := strings.Count(r.body, `<tr class="compared">`); n != 2 {
			t.Errorf("%d registrations marked compared, want 2", n)
		}
		for _, p := range []int64{f.pairA, f.pairB} {
			if reads, _ := e.st.Events(ctx, store.EventFilter{Type: muster.EventRead, PersonID: p}); len(reads) != 1 || reads[0].Actor != "user:case" {
				t.Errorf("person %d: read events %+v", p, reads)
			}
		}

		// Not without a reason; not by screeners, partners or gates.
		if r := cw.post(pairPath, url.Values{"csrf": {cw.csrf}, "decision": {"same"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "give a reason") {
			t.Errorf("no reason: %d %s", r.status, firstError(r.body))
		}
		for _, name := range []string{"partnera", "gate", "screen"} {
			c := e.client().login(name)
			for _, rr := range []resp{c.get("/review"), c.get(pairPath), c.post(pairPath, url.Values{"csrf": {c.csrf}, "decision": {"same"}, "reason": {"x"}})} {
				if rr.status != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", name, rr.status)
				}
			}
		}
		if got := registered(); got != before {
			t.Fatalf("refused decisions changed the count: %d, want %d", got, before)
		}

		// Same person: merged, counted once, right away.
		r = cw.post(pairPath, url.Values{"csrf": {cw.csrf}, "decision": {"same"}, "reason": {"same passport family, tribal name added"}})
		m := regexp.MustCompile(`^/review\?pair=\d+&merged=(\d+)$`).FindStringSubmatch(r.loc)
		if r.status != http.StatusSeeOther || m == nil {
			t.Fatalf("decide same: %d %q %s", r.status, r.loc, firstError(r.body))
		}
		if got := registered(); got != before-1 {
			t.Errorf("after the merge: %d people, want %d", got, before-1)
		}
		q := cw.get(r.loc)
		undo := "/review/undo/" + m[1]
		if !strings.Contains(q.body, `action="`+undo+`"`) || !strings.Contains(q.body, `id="merged"`) {
			t.Errorf("queue after the merge offers no undo")
		}
		if r := cw.get(pairPath); r.status != http.StatusNotFound {
			t.Errorf("merged pair page: %d, want 404", r.status)
		}

		// Undo: both people back, each with their registration.
		r = cw.post(undo, url.Values{"csrf": {cw.csrf}})
		if r.status != http.StatusSeeOther || r.loc != "/review?undone="+m[1] {
			t.Fatalf("undo: %d %q %s", r.status, r.loc, firstError(r.body))
		}
		if got := registered(); got != before {
			t.Errorf("after the undo: %d people, want %d", got, before)
		}
		for _, p := range []int64{f.pairA, f.pairB} {
			if regs, err := e.st.Registrations(ctx, store.Scope{}, p); err != nil || len(regs) != 1 {
				t.Errorf("person %d after undo: %d registrations, %v", p, len(regs), err)
			}
		}
		if r := cw.post(undo, url.Values{"csrf": {cw.csrf}}); r.status != http.StatusConflict || !strings.Contains(r.body, "already undone") {
			t.Errorf("second undo: %d %s", r.status, firstError(r.body))
		}
		if r := cw.get("/review"); !strings.Contains(r.body, "undone by user:case") {
			t.Errorf("queue does not show the merge as undone")
		}
		for typ, n := range map[string]int{muster.EventMerged: 1, muster.EventSplit: 1, "resolve.review_decided": 1} {
			evs, _ := e.st.Events(ctx, store.EventFilter{Type: typ})
			if len(evs) != n {
				t.Errorf("%d %s events, want %d", len(evs), typ, n)
			}
			for _, ev := range evs {
				if ev.Actor != "user:case" {
					t.Errorf("%s by %s, want user:case", typ, ev.Actor)
				}
			}
		}

		// Different people: a cannot-link rule, and off the queue.
		expl, _ := json.Marshal(pairTerms)
		if _, err := e.st.AddReviews(ctx, "test", []store.ReviewPair{{PersonA: f.listed[1], PersonB: f.listed[2], Score: 0.55, Explanation: expl}}); err != nil {
			t.Fatal(err)
		}
		ps, _ := e.st.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
		if len(ps) != 1 {
			t.Fatalf("pending pairs %+v", ps)
		}
		r = cw.post(fmt.Sprintf("/review/pair/%d", ps[0].ID), url.Values{"csrf": {cw.csrf}, "decision": {"different"}, "reason": {"different fathers"}})
		if r.status != http.StatusSeeOther || r.loc != fmt.Sprintf("/review?decided=%d", ps[0].ID) {
			t.Fatalf("decide different: %d %q %s", r.status, r.loc, firstError(r.body))
		}
		cl, _ := e.st.CannotLink(ctx)
		if !store.IsCannotLink(cl, f.listed[1], f.listed[2]) {
			t.Errorf("cannot-link rules %v lack the pair", cl)
		}
		if got := registered(); got != before {
			t.Errorf("after 'different': %d people, want %d", got, before)
		}
		// Two cannot-links: this decision, and the merge undone above.
		if r := cw.get("/review"); !strings.Contains(r.body, `id="count-pending">0<`) || !strings.Contains(r.body, `id="count-different">2<`) {
			t.Errorf("queue counts after the decisions wrong")
		}
		e.checkLogs(append(queuePersonal, "same passport family", "different fathers"))
	})
}

// BenchmarkQueues renders the queue pages and answers /api/screen over a
// SQLite operation of about 10,000 registrations from the demo generator
// (listed people planted), resolved and screened against the real UN list
// as in production. Run: go test -run '^$' -bench Queues ./internal/web
func BenchmarkQueues(b *testing.B) {
	ctx := context.Background()
	dsn := filepath.Join(b.TempDir(), "muster.db")
	kek := make([]byte, 32)
	rand.Read(kek)
	st, err := store.Open(ctx, dsn, store.Options{KEK: kek})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	gen := demo.New(demo.Config{Seed: 7, Families: 3000, DupRate: 0.2, Planted: true})
	var rows []demo.Row
	for r := gen.Next(); r != nil; r = gen.Next() {
		rows = append(rows, r...)
	}
	var buf bytes.Buffer
	if err := demo.WriteCSV(&buf, rows); err != nil {
		b.Fatal(err)
	}
	res, err := intake.Read(&buf, "demo.csv", intake.FormatCSV, intake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Import(ctx, "bench", res.Records, nil); err != nil {
		b.Fatal(err)
	}
	rs, err := ops.ResolveAll(ctx, st, "bench")
	if err != nil {
		b.Fatal(err)
	}
	un, err := unList()
	if err != nil {
		b.Fatal(err)
	}
	sc, err := ops.NewScreener(ctx, st, 0)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sc.LoadEntries(ctx, "bench", demo.UNListSource, un); err != nil {
		b.Fatal(err)
	}
	if _, err := sc.ScreenAll(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	hits, _ := st.Hits(ctx, store.HitFilter{State: store.HitPending})
	pairs, _ := st.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
	if len(hits) == 0 || len(pairs) == 0 {
		b.Fatalf("%d pending hits, %d pairs: nothing to show", len(hits), len(pairs))
	}
	hash, _ := auth.HashPassword(testPassword, fastParams)
	u := &store.User{Name: "admin", Role: auth.RoleAdmin, PassHash: hash}
	if err := st.AddUser(ctx, "bench", u); err != nil {
		b.Fatal(err)
	}
	tok := auth.Token(32)
	if err := st.CreateSession(ctx, tok, store.Session{UserID: u.ID, CSRF: "x", Expires: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	srv := New(Config{Store: st, Screener: sc})
	b.Logf("%d registrations, %d merged, %d pending hits, %d pairs to review", len(res.Records), rs.Merged, len(hits), len(pairs))
	for _, p := range []string{"/screening", fmt.Sprintf("/screening/hit/%d", hits[0].ID), "/api/screen?name=Abdul+Rahman+Ahmadzai&dob=1985",
		"/review", fmt.Sprintf("/review/pair/%d", pairs[0].ID)} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", p, nil)
				req.AddCookie(&http.Cookie{Name: "muster_session", Value: tok})
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%s: %d", p, w.Code)
				}
			}
		})
	}
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"muster"
	"muster/internal/auth"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

func init() {
	pinnedPerms["GET /callforward"] = auth.ViewCallForward
	routeCases["GET /callforward"] = routeCase{Path: func(t *testing.T, e *env) string { e.calls(); return "/callforward?lang=prs" }}
}

// planned records the envs whose cases are already called.
var planned sync.Map

// calls approves everyone of the fixture and calls both cases forward to
// gate North (once per env).
func (e *env) calls() {
	e.t.Helper()
	if _, done := planned.LoadOrStore(e, true); done {
		return
	}
	ctx := context.Background()
	if err := e.st.AddGate(ctx, "test", store.GateConfig{Name: "North", Open: 0, Close: 24 * time.Hour, Window: time.Hour, Capacity: 10}); err != nil {
		e.t.Fatal(err)
	}
	ps, err := e.st.People(ctx, store.PeopleFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []int64
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	if _, err := e.st.SetStage(ctx, "test", store.Scope{}, ids, muster.StageApproved, "cleared"); err != nil {
		e.t.Fatal(err)
	}
	res, err := e.st.Plan(ctx, "test", store.PlanOptions{Days: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(res.Calls) != 2 {
		e.t.Fatalf("%d calls, want both cases called: %+v", len(res.Calls), res.Result)
	}
}

// TestPlanCallForwardPage: the call-forward page lists the current calls
// with their notices in the chosen language, each partner sees only its
// own cases' calls, and a case page shows its call.
func TestPlanCallForwardPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		coord := e.client().login("coord")
		if r := coord.get("/callforward"); r.status != http.StatusOK || !strings.Contains(r.body, `id="calls-empty"`) {
			t.Errorf("before planning: %d, no empty-list message", r.status)
		}
		if r := coord.get(fmt.Sprintf("/case/%d", e.caseA)); strings.Contains(r.body, `id="call-notice"`) {
			t.Error("a case page shows a call before planning")
		}
		e.calls()
		a, b := e.client().login("partnera"), e.client().login("partnerb")
		refA, refB := store.CaseRef(e.caseA), store.CaseRef(e.caseB)
		// The clock is 2021-08-20 09:30 UTC (14:00 Kabul); the first
		// window is the one starting now.
		tests := []struct {
			name   string
			c      *client
			path   string
			status int
			has    []string
			hasNot []string
		}{
			{"coordinator, English", coord, "/callforward", 200,
				[]string{refA, refB, "2021-08-20 14:00–15:00", "is called to North gate on 2021-08-20 between 14:00 and 15:00", `lang="en" dir="ltr"`, `<option value="en" selected>`}, nil},
			{"coordinator, Dari", coord, "/callforward?lang=prs", 200,
				[]string{refA, refB, "برای دروازه North", `lang="fa-AF" dir="rtl"`, "۱۵:۰۰", `<option value="prs" selected>`}, []string{`dir="ltr"`}},
			{"coordinator, Pashto, one gate", coord, "/callforward?lang=ps&gate=North", 200,
				[]string{refA, refB, "دروازې ته رابلل شوې ده", `lang="ps" dir="rtl"`, `<option value="North" selected>`}, nil},
			{"an unknown gate shows every call", coord, "/callforward?gate=Nowhere", 200, []string{refA, refB}, []string{"Nowhere"}},
			{"unknown language: English", coord, "/callforward?lang=xx", 200, []string{"is called to North gate"}, nil},
			{"partner A sees its own case only", a, "/callforward", 200, []string{refA, "of the cases ngo-a referred"}, []string{refB}},
			{"partner B sees its own case only", b, "/callforward?lang=prs", 200, []string{refB}, []string{refA}},
			{"partner A's case page shows its call", a, fmt.Sprintf("/case/%d?lang=ps", e.caseA), 200,
				[]string{`id="call-notice" lang="ps" dir="rtl"`, "Called to <strong>North</strong> gate on 2021-08-20 14:00–15:00 (Kabul), 2 people"}, nil},
			{"partner B cannot open partner A's case", b, fmt.Sprintf("/case/%d", e.caseA), 404, nil, []string{"North"}},
		}
		for _, tt := range tests {
			r := tt.c.get(tt.path)
			if r.status != tt.status {
				t.Errorf("%s: status %d, want %d", tt.name, r.status, tt.status)
			}
			for _, s := range tt.has {
				if !strings.Contains(r.body, s) {
					t.Errorf("%s: body lacks %q", tt.name, s)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(r.body, s) {
					t.Errorf("%s: body shows %q", tt.name, s)
				}
			}
		}
		// The page shows no personal data: names and phones stay out.
		r := coord.get("/callforward")
		for _, v := range personal {
			if strings.Contains(r.body, v) {
				t.Errorf("call-forward page shows personal value %q", v)
			}
		}
	})
}

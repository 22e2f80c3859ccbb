package web

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"muster/internal/store"
	"muster/internal/store/storetest"
)

// TestQueuesBrowser drives headless Chromium through both human queues on
// the real server: a screener opens the screening queue and a hit on the
// real UN list, clears it as a false positive with a reason and sees the
// queue shrink; a caseworker opens a doubtful pair, decides it is one
// person and sees the dashboard's people count drop by one. It skips when
// Chromium is not installed, except under CI, where it fails.
// MUSTER_HIT_SCREENSHOT=FILE saves a PNG of the hit page (side by side).
func TestQueuesBrowser(t *testing.T) {
	needChromium(t)
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	f := e.queues()
	ctx := context.Background()
	open, err := e.st.Hits(ctx, store.HitFilter{State: store.HitPending})
	if err != nil {
		t.Fatal(err)
	}

	base := e.listen(t)

	tctx, bctx := browser(t, 1280, 1100)
	text := textOf
	rows := func(into *int) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			n, err := chromedp.Evaluate[int](`document.querySelectorAll("#queue tr.hit").length`)(ctx, tg)
			*into = n
			return err
		})
	}
	shot := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		path := os.Getenv("MUSTER_HIT_SCREENSHOT")
		if path == "" {
			return nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(path, png, 0o644)
	})
	pairShot := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		path := os.Getenv("MUSTER_PAIR_SCREENSHOT")
		if path == "" {
			return nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(path, png, 0o644)
	})
	signIn := func(name string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.WaitVisible(chromedp.CSS("#name")),
			chromedp.SendKeys(chromedp.CSS("#name"), name),
			chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
			chromedp.Click(chromedp.CSS("#signin")),
		}
	}
	var pendingBefore, pendingAfter, decided, regBefore, regAfter, merged string
	var rowsBefore, rowsAfter int
	step := 0
	logged := func(as ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
		var out []chromedp.Action[chromedp.Void]
		for _, a := range as {
			out = append(out, a, chromedp.Func(func(context.Context, *chromedp.Target) error { step++; return nil }))
		}
		return out
	}
	var actions []chromedp.Action[chromedp.Void]
	// The screener.
	actions = append(actions, chromedp.Navigate(base+"/dashboard")) // redirected to the login form
	actions = append(actions, signIn("screen")...)
	actions = append(actions,
		chromedp.WaitVisible(chromedp.CSS("#total-registered")),
		chromedp.Click(chromedp.CSS(`header nav a[href="/screening"]`)),
		chromedp.WaitVisible(chromedp.CSS("#queue")),
		text("#count-pending", &pendingBefore),
		rows(&rowsBefore),
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#hit-%d", f.hit))),
		chromedp.WaitVisible(chromedp.CSS("#compare")),
		shot,
		chromedp.Click(chromedp.CSS("#d-false_positive")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Listed man is a Taliban commander born circa 1953; this registrant is his namesake, tazkira shows another father"),
		chromedp.Click(chromedp.CSS("#decide")),
		chromedp.WaitVisible(chromedp.CSS("#decided")),
		text("#decided", &decided),
		text("#count-pending", &pendingAfter),
		rows(&rowsAfter),
		chromedp.Click(chromedp.CSS("form.who button")),
	)
	// The caseworker, on the login form signing out led to.
	actions = append(actions, signIn("case")...)
	actions = append(actions,
		chromedp.WaitVisible(chromedp.CSS("#total-registered")),
		text("#total-registered", &regBefore),
		chromedp.Click(chromedp.CSS(`header nav a[href="/review"]`)),
		chromedp.WaitVisible(chromedp.CSS("#pairs")),
		chromedp.Click(chromedp.CSS(fmt.Sprintf("#pair-%d", f.pair))),
		chromedp.WaitVisible(chromedp.CSS("#terms")),
		pairShot,
		chromedp.Click(chromedp.CSS("#d-same")),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Same man: one partner added the tribal name"),
		chromedp.Click(chromedp.CSS("#decide")),
		chromedp.WaitVisible(chromedp.CSS("#merged")),
		text("#merged", &merged),
		chromedp.Click(chromedp.CSS(`header nav a[href="/dashboard"]`)),
		chromedp.WaitVisible(chromedp.CSS("#total-registered")),
		text("#total-registered", &regAfter),
	)
	if err := chromedp.Do(tctx, logged(actions...)...); err != nil {
		failedAt(t, bctx, step, err)
	}
	if want := strconv.Itoa(len(open)); pendingBefore != want || rowsBefore != len(open) {
		t.Errorf("queue before: count %q, %d rows; want %s", pendingBefore, rowsBefore, want)
	}
	if want := strconv.Itoa(len(open) - 1); pendingAfter != want || rowsAfter != len(open)-1 {
		t.Errorf("queue after: count %q, %d rows; want %s", pendingAfter, rowsAfter, want)
	}
	if !strings.Contains(decided, "False positive") {
		t.Errorf("confirmation %q", decided)
	}
	if !strings.Contains(merged, "now one person") {
		t.Errorf("merge banner %q", merged)
	}
	b, _ := strconv.Atoi(regBefore)
	a, _ := strconv.Atoi(regAfter)
	if b == 0 || a != b-1 {
		t.Errorf("dashboard people: %q before the merge, %q after; want one fewer", regBefore, regAfter)
	}
	if got := e.status(store.Scope{}).Totals.Registered; got != a {
		t.Errorf("store counts %d people, dashboard %d", got, a)
	}
	hs, _ := e.st.Hits(ctx, store.HitFilter{ID: f.hit})
	if len(hs) != 1 || hs[0].State != store.HitFalsePositive {
		t.Errorf("hit after the browser's decision: %+v", hs)
	}
}

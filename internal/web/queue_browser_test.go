package web

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI must install Debian's chromium package", chromiumPath)
		}
		t.Skipf("%s missing (apt-get install chromium)", chromiumPath)
	}
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	f := e.queues()
	ctx := context.Background()
	open, err := e.st.Hits(ctx, store.HitFilter{State: store.HitPending})
	if err != nil {
		t.Fatal(err)
	}

	srvCtx, stopSrv := context.WithCancel(ctx)
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- e.srv.ListenAndServe(srvCtx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	base := <-urls
	t.Cleanup(func() {
		stopSrv()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1100),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// Start the browser on a context without a timeout (a timeout on the
	// first run would stop the whole browser), then bound the steps.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	text := func(sel string, into *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Text(chromedp.CSS(sel))(ctx, tg)
			*into = strings.TrimSpace(v)
			return err
		})
	}
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
		dctx, dcancel := context.WithTimeout(bctx, 10*time.Second)
		defer dcancel()
		page, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("main")))
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		t.Fatalf("browser: after step %d: %v\nat %s:\n%s", step, err, loc, page)
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

package web

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"muster/internal/store"
	"muster/internal/store/storetest"
)

// TestPlanCallForwardBrowser drives headless Chromium through the
// call-forward page: a coordinator opens it from the menu, switches the
// notices to Dari, sees partner A's call with its notice laid out right to
// left, and follows it to the case page, which shows the same call. It
// skips when Chromium is not installed, except under CI, where it fails.
// MUSTER_CALLFORWARD_SCREENSHOT=FILE saves a PNG of the page.
func TestPlanCallForwardBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI must install Debian's chromium package", chromiumPath)
		}
		t.Skipf("%s missing (apt-get install chromium)", chromiumPath)
	}
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	e.calls()
	ctx := context.Background()

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
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
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
	eval := func(js string, into *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Evaluate[string](js)(ctx, tg)
			*into = v
			return err
		})
	}
	shot := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		path := os.Getenv("MUSTER_CALLFORWARD_SCREENSHOT")
		if path == "" {
			return nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(path, png, 0o644)
	})
	row := fmt.Sprintf("#call-%d", e.caseA)
	var rowsEN, ref, notice, dir, caseCall, caseNotice, caseDir string
	step := 0
	var actions []chromedp.Action[chromedp.Void]
	for _, a := range []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/dashboard"), // redirected to the login form
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "coord"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#total-registered")),
		chromedp.Click(chromedp.CSS(`header nav a[href="/callforward"]`)),
		chromedp.WaitVisible(chromedp.CSS("#calls")),
		eval(`String(document.querySelectorAll("#calls tr.call").length)`, &rowsEN),
		chromedp.SetValue(chromedp.CSS("#lang"), "prs"),
		chromedp.Click(chromedp.CSS("#show")),
		chromedp.WaitVisible(chromedp.CSS(`#calls td.notice[lang="fa-AF"]`)),
		text(row+" td a", &ref),
		text(row+" td.notice", &notice),
		eval(`getComputedStyle(document.querySelector("`+row+` td.notice")).direction`, &dir),
		shot,
		chromedp.Click(chromedp.CSS(row + " td a")),
		chromedp.WaitVisible(chromedp.CSS("#call")),
		text("#call", &caseCall),
		text("#call-notice", &caseNotice),
		eval(`getComputedStyle(document.querySelector("#call-notice")).direction`, &caseDir),
	} {
		actions = append(actions, a, chromedp.Func(func(context.Context, *chromedp.Target) error { step++; return nil }))
	}
	if err := chromedp.Do(tctx, actions...); err != nil {
		dctx, dcancel := context.WithTimeout(bctx, 10*time.Second)
		defer dcancel()
		page, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("main")))
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		t.Fatalf("browser: after step %d: %v\nat %s:\n%s", step, err, loc, page)
	}
	if rowsEN != "2" {
		t.Errorf("%s calls listed, want 2", rowsEN)
	}
	if want := store.CaseRef(e.caseA); ref != want {
		t.Errorf("row %s links %q, want %s", row, ref, want)
	}
	if !strings.Contains(notice, "MUSTER "+store.CaseRef(e.caseA)) || !strings.Contains(notice, "دروازه North") || !strings.Contains(notice, "(۲ نفر)") {
		t.Errorf("Dari notice %q", notice)
	}
	if dir != "rtl" || caseDir != "rtl" {
		t.Errorf("notice direction %q on the list, %q on the case page; want rtl", dir, caseDir)
	}
	if !strings.Contains(caseCall, "Called to North gate") || caseNotice != notice {
		t.Errorf("case page: call %q, notice %q; want the list's notice %q", caseCall, caseNotice, notice)
	}
}

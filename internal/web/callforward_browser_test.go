package web

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

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
	needChromium(t)
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	e.calls()

	base := e.listen(t)

	tctx, bctx := browser(t, 1280, 900)
	text := textOf
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
		failedAt(t, bctx, step, err)
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

package gate_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromiumPath is Debian's chromium (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// browser starts headless Chromium; it skips when Chromium is missing,
// except under CI, where it fails.
func browser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI must install Debian's chromium package", chromiumPath)
		}
		t.Skipf("%s missing (apt-get install chromium)", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1000, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancel)
	return tctx
}

// TestGatePageInBrowser scans a pass and both passports of its case the
// way a keyboard-wedge scanner does (characters, then Enter), then a
// forged input, in headless Chromium.
func TestGatePageInBrowser(t *testing.T) {
	e := setup(t)
	g := e.device(t, "Abbey")
	cf := e.call(t, 0)
	e.c.Set(cf.Start.Add(time.Minute))
	srv := httptest.NewServer(g.Handler())
	defer srv.Close()

	bctx := browser(t)
	text := func(sel string, into *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			v, err := chromedp.Text(chromedp.CSS(sel))(ctx, tg)
			*into = strings.TrimSpace(v)
			return err
		})
	}
	mrzA, mrzB := TD3("G000", "FAM", "GIVEN"), TD3("G001", "FAM", "GIVEN")
	var afterPass, afterFirst, afterSecond, rows, refused string
	err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible(chromedp.CSS("#input")),
		chromedp.SendKeys(chromedp.CSS("#input"), cf.Token+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#result.green")),
		text("#result .message", &afterPass),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/clear"] button`)),
		chromedp.SendKeys(chromedp.CSS("#input"), mrzA[0]+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#result.amber")),
		chromedp.SendKeys(chromedp.CSS("#input"), mrzA[1]+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#result.green")),
		text("#result .message", &afterFirst),
		chromedp.SendKeys(chromedp.CSS("#input"), mrzB[0]+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#result.amber")),
		chromedp.SendKeys(chromedp.CSS("#input"), mrzB[1]+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#result.green")),
		text("#result .message", &afterSecond),
		text("#case tbody", &rows),
		chromedp.SendKeys(chromedp.CSS("#input"), cf.Token+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#result.red")),
		text("#result .message", &refused),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(afterPass, "2 of 2 to admit") {
		t.Errorf("after the pass: %q", afterPass)
	}
	if !strings.Contains(afterFirst, "ADMIT person 1 of 2") || !strings.Contains(afterSecond, "case complete") {
		t.Errorf("admissions: %q, %q", afterFirst, afterSecond)
	}
	if strings.Count(rows, "admitted") != 2 {
		t.Errorf("case table: %q", rows)
	}
	if !strings.Contains(refused, "already used") {
		t.Errorf("replayed pass: %q", refused)
	}
	if c, _ := g.Counts(context.Background()); c.CheckIns != 2 {
		t.Errorf("outbox holds %d", c.CheckIns)
	}
}

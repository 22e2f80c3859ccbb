package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// needChromium skips a browser test when Chromium is not installed, except
// under CI, where it fails.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI must install Debian's chromium package", chromiumPath)
		}
		t.Skipf("%s missing (apt-get install chromium)", chromiumPath)
	}
}

// listen serves e's server on a free loopback port until the test ends
// and returns its base URL.
func (e *env) listen(t *testing.T) string {
	t.Helper()
	srvCtx, stop := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- e.srv.ListenAndServe(srvCtx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	base := <-urls
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	return base
}

// browser starts headless Chromium with a window of width x height and an
// empty profile, and returns a context for up to 90 seconds of steps and
// the browser's own, to look at the page after a step failed (see
// failedAt). The flags keep it off the network, which this machine closes.
func browser(t *testing.T, width, height int) (steps, b context.Context) {
	t.Helper()
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
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	// Start the browser on a context without a timeout (a timeout on the
	// first run would stop the whole browser), then bound the steps.
	if err := chromedp.Do(bctx); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() {
		cancel()
		cancelBrowser()
		cancelAlloc()
	})
	return tctx, bctx
}

// failedAt ends a test whose browser steps failed after step, with the
// page's URL and text, read through the browser context b (the steps'
// context may be what expired).
func failedAt(t *testing.T, b context.Context, step int, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b, 10*time.Second)
	defer cancel()
	page, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	t.Fatalf("browser: after step %d: %v\nat %s:\n%s", step, err, loc, page)
}

// textOf reads the trimmed text of the first element sel matches.
func textOf(sel string, into *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := chromedp.Text(chromedp.CSS(sel))(ctx, tg)
		*into = strings.TrimSpace(v)
		return err
	})
}

package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"muster"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// chromiumPath is Debian's chromium (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

// TestBrowser drives headless Chromium through the real server: sign in,
// upload a registration CSV, and see the dashboard count change. It skips
// when Chromium is not installed, except under CI, where it fails.
// MUSTER_SCREENSHOT=FILE saves a PNG of the final dashboard.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI must install Debian's chromium package", chromiumPath)
		}
		t.Skipf("%s missing (apt-get install chromium)", chromiumPath)
	}
	e := newEnv(t, storetest.DSN(t, "sqlite"))
	ctx := context.Background()

	// Some movement over the last hours, so that the charts have bars.
	ps, err := e.st.People(ctx, store.PeopleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(-5 * time.Hour)
	for _, p := range ps {
		if _, err := e.st.SetStage(ctx, "test", store.Scope{}, []int64{p.ID}, muster.StageApproved, ""); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(2 * time.Hour)
	if _, err := e.st.SetStage(ctx, "test", store.Scope{}, []int64{ps[0].ID}, muster.StageDeparted, ""); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(3 * time.Hour)

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

	var rows []string
	for i := range 12 {
		cat := []string{"citizen", "siv_applicant", "refugee_referral", "other_at_risk"}[i%4]
		// Twelve different people in four families (resolution must not
		// merge any of them).
		given := []string{"Abdul Rahman", "Fatima", "Nasir", "Hamid", "Maryam", "Jawad", "Tariq", "Shabnam", "Yousuf", "Khalid", "Parwana", "Wahid"}[i]
		family := []string{"Rahimi", "Popal", "Wardak", "Sultani"}[i/3]
		rows = append(rows, fmt.Sprintf("ngo-e,e%d,K%d,%s,%s,%s,,,,%s,19%d,,AF,,,,,%s",
			i, i/3, map[bool]string{true: "principal", false: "child"}[i%3 == 0], given, family, []string{"M", "F"}[i%2], 60+i, cat))
	}
	csvPath := filepath.Join(t.TempDir(), "ngo-e.csv")
	if err := os.WriteFile(csvPath, []byte(csvOf(rows...)), 0o600); err != nil {
		t.Fatal(err)
	}

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
	var before, after, importMsg, out string
	step := 0
	logged := func(as ...chromedp.Action[chromedp.Void]) []chromedp.Action[chromedp.Void] {
		var out []chromedp.Action[chromedp.Void]
		for _, a := range as {
			out = append(out, a, chromedp.Func(func(context.Context, *chromedp.Target) error { step++; return nil }))
		}
		return out
	}
	err = chromedp.Do(tctx, logged(
		chromedp.Navigate(base+"/dashboard"), // redirected to the login form
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), "coord"),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#total-registered")),
		text("#total-registered", &before),
		text("#total-out", &out),
		chromedp.Navigate(base+"/import"),
		chromedp.WaitVisible(chromedp.CSS("#file")),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{csvPath}),
		chromedp.Click(chromedp.CSS("#upload")),
		chromedp.WaitVisible(chromedp.CSS("#import-ok")),
		text("#import-ok", &importMsg),
		chromedp.Navigate(base+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS("#total-registered")),
		text("#total-registered", &after),
	)...)
	if err != nil {
		dctx, dcancel := context.WithTimeout(bctx, 10*time.Second)
		defer dcancel()
		page, _ := chromedp.Run(dctx, chromedp.Text(chromedp.CSS("main")))
		loc, _ := chromedp.Run(dctx, chromedp.Location())
		t.Fatalf("browser: after step %d: %v\nat %s:\n%s", step, err, loc, page)
	}
	if before != "3" || after != "15" {
		t.Errorf("dashboard registered: %q before the upload, %q after; want 3 and 15", before, after)
	}
	if out != "1" {
		t.Errorf("dashboard out: %q, want 1", out)
	}
	if !strings.Contains(importMsg, "12 new people") {
		t.Errorf("import message %q", importMsg)
	}
	if got := e.status(store.Scope{}).Totals.Registered; got != 15 {
		t.Errorf("store has %d people, want 15", got)
	}
	if path := os.Getenv("MUSTER_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

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

// TestBrowser drives headless Chromium through the real server: sign in,
// upload a registration CSV, and see the dashboard count change. It skips
// when Chromium is not installed, except under CI, where it fails.
// MUSTER_SCREENSHOT=FILE saves a PNG of the final dashboard.
func TestBrowser(t *testing.T) {
	needChromium(t)
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

	base := e.listen(t)

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

	tctx, bctx := browser(t, 1280, 1100)
	text := textOf
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
		failedAt(t, bctx, step, err)
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

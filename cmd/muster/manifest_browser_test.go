package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"muster/internal/store"
)

// TestManifestPageInBrowser renders a printable manifest and reads it back
// in headless Chromium: every seat a row, the unaccompanied minor marked,
// and names shown as text, never markup.
func TestManifestPageInBrowser(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: CI must install Debian's chromium package", chromium)
		}
		t.Skipf("%s missing (apt-get install chromium)", chromium)
	}
	m := &store.FlightManifest{
		Flight: store.Flight{ID: "RCH871", Capacity: 4, Departs: time.Date(2026, 8, 20, 14, 30, 0, 0, time.UTC), Destination: "DOH", State: "open"},
		Seats: []store.ManifestSeat{
			{PersonID: 1, CaseID: 1, CaseRef: "C-000001", Name: "Abdul Rahman Rahimi", Sex: "M", DOB: "1986-08-03", Document: "P01234567", Boarded: true},
			{PersonID: 2, CaseID: 1, CaseRef: "C-000001", Name: "Fatima <b>Rahimi</b>", Sex: "F", DOB: "1988-03-12", Document: "P07654321"},
			{PersonID: 3, CaseID: 2, CaseRef: "C-000002", Name: "Zahra", Sex: "F", DOB: "2014", Minor: true, Unaccompanied: true},
		},
	}
	path := filepath.Join(t.TempDir(), "manifest.html")
	if err := writeFileWith(path, func(w io.Writer) error { return manifestTmpl.Execute(w, manifestPage(m)) }); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 60*time.Second)
	defer cancel()
	var rows int
	var unacc, heading string
	err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+path),
		chromedp.WaitVisible(chromedp.CSS("table")),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			rows, err = chromedp.Evaluate[int]("document.querySelectorAll('tbody tr').length")(ctx, tg)
			return err
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			unacc, err = chromedp.Text(chromedp.CSS("tr.unacc"))(ctx, tg)
			return err
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			heading, err = chromedp.Text(chromedp.CSS("h1"))(ctx, tg)
			return err
		}),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if rows != 3 || !strings.Contains(unacc, "UNACCOMPANIED") || !strings.Contains(unacc, "Zahra") || heading != "Passenger manifest RCH871" {
		t.Errorf("manifest page: %d rows, unaccompanied row %q, heading %q", rows, unacc, heading)
	}
	var name string
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
		name, err = chromedp.Text(chromedp.CSS("tbody tr:nth-child(2) td:nth-child(3)"))(ctx, tg)
		return err
	})); err != nil {
		t.Fatal(err)
	}
	if name != "Fatima <b>Rahimi</b>" {
		t.Errorf("a name with markup is shown as %q (must be escaped text)", name)
	}
}

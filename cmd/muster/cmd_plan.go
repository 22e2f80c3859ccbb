package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"muster"
	"muster/internal/pass"
	"muster/internal/schedule"
	"muster/internal/store"
)

func init() {
	register("plan", "call approved cases forward to gate windows and issue their passes", runPlan)
	register("pass", "render a called case's pass: --png, --svg or --html (printable)", runPass)
}

func runPlan(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "plan", "[--from TIME] [--days 3] [--lead 2h] [--notices FILE --lang en|prs|ps] [--db ...]")
	db, key := addDBFlags(fs)
	from := fs.String("from", "", "plan windows from this time (default now): 2026-08-20 06:00 (Kabul) or RFC 3339")
	days := fs.Int("days", 3, "days of opening hours to plan")
	lead := fs.Duration("lead", 0, "least notice a newly called case gets")
	maxNoShows := fs.Int("max-no-shows", 2, "send a case to standby after this many missed windows (0: never)")
	notices := fs.String("notices", "", "write call-forward messages for the SMS/WhatsApp gateway to this CSV")
	lang := fs.String("lang", "en", "notice language: en, prs (Dari) or ps (Pashto)")
	actor := fs.String("actor", "cli", "who plans, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return errUsage
	}
	opt := store.PlanOptions{Days: *days, Lead: *lead, MaxNoShows: *maxNoShows}
	if *from != "" {
		if opt.From, err = parseWhen(*from); err != nil {
			return err
		}
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Plan(ctx, *actor, opt)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tGATE\tWINDOW (Kabul)\tPEOPLE\tPASS")
	for _, c := range res.Calls {
		st, en := c.Start.In(schedule.Kabul), c.End.In(schedule.Kabul)
		fmt.Fprintf(tw, "%s\t%s\t%s-%s\t%d\t%s\n", c.CaseRef, c.Gate, st.Format("2006-01-02 15:04"), en.Format("15:04"), c.People, store.PassIDString(c.PassID))
	}
	tw.Flush()
	moved := 0
	for _, m := range res.Moved {
		if m.To != nil {
			moved++
		}
	}
	if op, err := s.Operation(ctx); err == nil {
		fmt.Fprintf(env.Stdout, "priorities: %s; %d per vulnerability point\n", strings.ReplaceAll(store.FormatWeights(res.Weights, op.Categories), ",", ", "), res.Weights.Vulnerability)
	}
	fmt.Fprintf(env.Stdout, "called %d case(s) (%d moved to a new window), %d kept their window, %d on standby, %d held for screening or approval, %d no-show(s)\n",
		len(res.Calls), moved, len(res.Assignments)-len(res.Calls), len(res.Standby), len(res.Held), len(res.NoShows))
	for _, m := range res.Moved {
		to := "standby"
		if m.To != nil {
			to = m.To.Gate + " " + m.To.Start.In(schedule.Kabul).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(env.Stdout, "moved %s from %s %s to %s: %s\n", store.CaseRef(m.CaseID), m.From.Gate, m.From.Start.In(schedule.Kabul).Format("2006-01-02 15:04"), to, m.Reason)
	}
	if *notices != "" {
		ns, err := s.CallNotices(ctx, *actor, res.Calls, *lang)
		if err != nil {
			return err
		}
		msgs, err := schedule.NewMessages(nil, schedule.Kabul)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(*notices, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		noPhone, err := schedule.WriteNotices(f, msgs, ns)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s: notices for %d case(s)", *notices, len(ns)-len(noPhone))
		if len(noPhone) > 0 {
			fmt.Fprintf(env.Stdout, "; %d case(s) have no phone: tell them another way:", len(noPhone))
			for _, id := range noPhone {
				fmt.Fprintf(env.Stdout, " %s", store.CaseRef(id))
			}
		}
		fmt.Fprintln(env.Stdout)
	}
	return nil
}

func runPass(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "pass", "CASE (--png FILE | --svg FILE | --html FILE | --text) [--size 512] [--db ...]")
	db, key := addDBFlags(fs)
	png := fs.String("png", "", "write the QR code as PNG")
	svg := fs.String("svg", "", "write the QR code as SVG")
	html := fs.String("html", "", "write the printable pass page")
	size := fs.Int("size", 512, "QR image size in pixels")
	text := fs.Bool("text", false, "also print the QR payload (to type or paste at a gate when a printer fails)")
	actor := fs.String("actor", "cli", "who renders, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (*png+*svg+*html == "" && !*text) {
		fs.Usage()
		return errUsage
	}
	caseID, ok := store.ParseCaseRef(pos[0])
	if !ok {
		return fmt.Errorf("%q is not a case number", pos[0])
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	cf, err := s.CallForwardOf(ctx, caseID)
	if err != nil {
		return err
	}
	write := func(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }
	if *png != "" {
		b, err := pass.QRPNG(cf.Token, *size)
		if err != nil {
			return err
		}
		if err := write(*png, b); err != nil {
			return err
		}
	}
	if *svg != "" {
		b, err := pass.QRSVG(cf.Token, *size)
		if err != nil {
			return err
		}
		if err := write(*svg, []byte(b)); err != nil {
			return err
		}
	}
	if *html != "" {
		f, err := os.OpenFile(*html, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		err = pass.WritePage(f, cf.Token, pass.PageData{CaseRef: cf.CaseRef, Gate: cf.Gate, Start: cf.Start, End: cf.End, People: cf.People, Loc: schedule.Kabul})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if err := s.AppendEvent(ctx, &muster.Event{Actor: *actor, Type: muster.EventExport, CaseID: caseID,
		Data: mustJSON(map[string]string{"what": "pass", "pass": store.PassIDString(cf.PassID)})}); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "pass %s: case %s, gate %s, %s-%s (Kabul), %d people\n", store.PassIDString(cf.PassID), cf.CaseRef, cf.Gate,
		cf.Start.In(schedule.Kabul).Format("2006-01-02 15:04"), cf.End.In(schedule.Kabul).Format("15:04"), cf.People)
	if *text {
		fmt.Fprintln(env.Stdout, cf.Token)
	}
	return nil
}

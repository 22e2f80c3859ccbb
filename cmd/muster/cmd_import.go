package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"muster/internal/intake"
	"muster/internal/ops"
	"muster/internal/store"
)

func init() {
	register("import", "import registrations from a CSV or XLSX file, all or nothing", runImport)
}

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "import", "FILE [--source NAME] [--mapping MAP] [--dry-run] [--skip-bad-rows] [--db ...] | --template")
	db, key := addDBFlags(fs)
	source := fs.String("source", "", "source (partner) name for files without a source column")
	mapping := fs.String("mapping", "", "mapping file for sheets with other headers")
	dryRun := fs.Bool("dry-run", false, "validate only; write nothing")
	skip := fs.Bool("skip-bad-rows", false, "import the good rows and write the rejected ones, with reasons, to --rejects")
	rejects := fs.String("rejects", "", "where --skip-bad-rows writes rejected rows (default FILE.rejects.csv)")
	template := fs.Bool("template", false, "write an empty registration template (to FILE, or stdout) and exit")
	actor := fs.String("actor", "cli", "who is importing, for the event log")
	dateOrder := fs.String("date-order", "", "how the file writes numeric dates: dmy or mdy (default: flag ambiguous ones and keep only their year)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *template {
		if len(pos) == 1 {
			f, err := os.Create(pos[0])
			if err != nil {
				return err
			}
			if err := intake.WriteTemplate(f); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}
		return intake.WriteTemplate(env.Stdout)
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	file := pos[0]
	opt := intake.Options{Source: *source, SkipBadRows: *skip}
	switch *dateOrder {
	case "":
	case "dmy":
		opt.DateOrder = intake.OrderDMY
	case "mdy":
		opt.DateOrder = intake.OrderMDY
	default:
		return fmt.Errorf("--date-order %q: dmy or mdy", *dateOrder)
	}
	if *mapping != "" {
		if opt.Mapping, err = intake.LoadMapping(*mapping); err != nil {
			return err
		}
	}
	// The operation's own categories decide which rows are valid. A dry run
	// against a database that does not exist yet uses the default set and
	// creates nothing.
	var s *store.Store
	dsn := dsnOf(env, *db)
	if _, statErr := os.Stat(dsn); !*dryRun || store.IsPostgres(dsn) || statErr == nil {
		if s, err = openStore(ctx, env, *db, *key); err != nil {
			return err
		}
		defer s.Close()
		op, err := s.Operation(ctx)
		if err != nil {
			return err
		}
		opt.Categories = op.Categories
	}
	start := time.Now()
	bar := newProgress(env.Stderr, "reading "+file)
	opt.Progress = func(n int) { bar.Set(n, 0) }
	res, err := intake.ReadFile(file, opt)
	bar.Done()
	if err != nil {
		return err
	}
	for i := range res.Rejected {
		fmt.Fprintln(env.Stderr, res.Rejected[i].Error())
	}
	if len(res.Rejected) > 0 && !*skip {
		fmt.Fprintf(env.Stderr, "%s: %d of %d rows rejected; nothing was imported (fix them, or use --skip-bad-rows)\n", file, res.RejectedRows(), res.Rows)
		return exitError{1}
	}
	if *dryRun {
		fmt.Fprintf(env.Stdout, "%s: %d rows valid, %d flagged, %d rejected (dry run: nothing written)\n", file, len(res.Records), res.Flagged, res.RejectedRows())
		if len(res.Rejected) > 0 {
			return exitError{1}
		}
		return nil
	}
	if len(res.Rejected) > 0 {
		path := *rejects
		if path == "" {
			path = file + ".rejects.csv"
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := intake.WriteRejects(f, res.Rejected); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "%s: %d rejected rows written to %s\n", file, res.RejectedRows(), path)
	}
	bar = newProgress(env.Stderr, "importing")
	n := len(res.Records)
	ir, err := s.Import(ctx, *actor, res.Records, func(done int) { bar.Set(done, n) })
	bar.Done()
	if err != nil {
		return fmt.Errorf("%s: nothing was imported: %w", file, err)
	}
	fmt.Fprintf(env.Stdout, "%s: %d rows: %d new, %d updated, %d unchanged, %d new cases, %d flagged, %d rejected (%.1fs)\n",
		file, res.Rows, ir.Created, ir.Updated, ir.Unchanged, ir.Cases, res.Flagged, res.RejectedRows(), time.Since(start).Seconds())
	// Registrations are resolved on arrival: the same person from several
	// sources becomes one person. Once a model is kept, only this file's
	// registrations are linked, against everyone resolved before.
	rs, err := ops.NewResolver(s).Resolve(ctx, *actor, ir.People)
	if err != nil {
		return fmt.Errorf("%s: imported, but resolution failed: %w", file, err)
	}
	if rs.Incremental {
		fmt.Fprintf(env.Stdout, "linked %d new or changed registrations against %d people: %d merged, %d pairs for a reviewer\n",
			rs.Registrations, rs.Clusters, rs.Merged, rs.Queued)
	} else {
		fmt.Fprintf(env.Stdout, "resolved %d registrations into %d people: %d merged, %d pairs for a reviewer\n",
			rs.Registrations, rs.Clusters-rs.Refused, rs.Merged, rs.Queued)
	}
	// Everyone new or changed is screened on arrival against the loaded lists.
	sc, err := ops.NewScreener(ctx, s, 0)
	if err != nil {
		return err
	}
	if sc.Entries() == 0 {
		fmt.Fprintln(env.Stderr, "no watchlists loaded: nobody was screened (muster lists load PATH)")
		return nil
	}
	sum, err := sc.ScreenPeople(ctx, *actor, append(ir.People, rs.Survivors...))
	if err != nil {
		return fmt.Errorf("%s: imported, but screening failed (run muster lists load to re-screen): %w", file, err)
	}
	fmt.Fprintf(env.Stdout, "screened %d people against %d list entries: %d new hits for a screener, %d reopened\n", sum.People, sc.Entries(), sum.NewHits, sum.Reopened)
	return nil
}

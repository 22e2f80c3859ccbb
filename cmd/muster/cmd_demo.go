package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"muster"
	"muster/internal/auth"
	"muster/internal/demo"
	"muster/internal/intake"
	"muster/internal/ops"
	"muster/internal/store"
	"muster/internal/vault"
	"muster/internal/web"
)

func init() {
	register("demo", "create a synthetic operation, run its stages and serve the UI", runDemo)
}

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "demo", "[--db PATH] [--addr HOST:PORT] [--families N] [--no-serve]")
	db := fs.String("db", "", "SQLite file for the demo operation (default: a new temporary folder)")
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve the UI on")
	families := fs.Int("families", 1500, "families to generate (about 3 people and 1.3 registrations each)")
	seed := fs.Uint64("seed", 2021, "random seed")
	noServe := fs.Bool("no-serve", false, "seed and exit without serving")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	dsn := *db
	if dsn == "" {
		dir, err := os.MkdirTemp("", "muster-demo-")
		if err != nil {
			return err
		}
		dsn = filepath.Join(dir, "muster.db")
	} else if store.IsPostgres(dsn) {
		return fmt.Errorf("the demo runs on the embedded SQLite file; for PostgreSQL use import and serve")
	} else if _, err := os.Stat(dsn); err == nil {
		return fmt.Errorf("%s exists: the demo creates a fresh operation; name a new file or remove it", dsn)
	}
	// The demo keeps its key beside its database so that it runs with no
	// set-up; production keeps the key on other media (README).
	keyFile := dsn + ".key"
	kek, _, err := vault.LoadOrCreateKEK(keyFile)
	if err != nil {
		return err
	}
	clock := time.Now().UTC()
	now := func() time.Time { return clock }
	s, err := store.Open(ctx, dsn, store.Options{KEK: kek, Now: now, OperationName: "Demo evacuation (synthetic data)"})
	if err != nil {
		return err
	}
	defer s.Close()

	// 1. Register: one file per partner, through the same intake as `muster import`.
	dataDir := filepath.Join(filepath.Dir(dsn), "demo-registrations")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return err
	}
	gen := demo.New(demo.Config{Seed: *seed, Families: *families, DupRate: 0.3, Planted: true})
	bySource := map[string][]demo.Row{}
	for rows := gen.Next(); rows != nil; rows = gen.Next() {
		for _, r := range rows {
			bySource[r[0]] = append(bySource[r[0]], r)
		}
	}
	sources := make([]string, 0, len(bySource))
	for src := range bySource {
		sources = append(sources, src)
	}
	sort.Strings(sources)
	start := time.Now()
	total := 0
	for _, src := range sources {
		path := filepath.Join(dataDir, src+".csv")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if err := demo.WriteCSV(f, bySource[src]); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		// The partners write numeric dates day first (dd/mm/yyyy), as
		// their mapping would say.
		res, err := intake.ReadFile(path, intake.Options{DateOrder: intake.OrderDMY})
		if err != nil {
			return err
		}
		if len(res.Rejected) > 0 {
			return fmt.Errorf("demo data rejected by intake: %v", res.Rejected[0].Error())
		}
		ir, err := s.Import(ctx, "demo:"+src, res.Records, nil)
		if err != nil {
			return err
		}
		total += ir.Created
		fmt.Fprintf(env.Stderr, "registered %-10s %5d rows (%d flagged)\n", src, res.Rows, res.Flagged)
	}
	fmt.Fprintf(env.Stderr, "registered %d rows in %.1fs; the files are in %s\n", total, time.Since(start).Seconds(), dataDir)

	// 2. Resolve: the same family sent by two partners becomes one.
	rs, err := ops.ResolveAll(ctx, s, "demo")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "resolved %d registrations: %d merged into other people, %d pairs for a reviewer\n", rs.Registrations, rs.Merged, rs.Queued)

	// 3. Screen everyone against the real UN list (embedded).
	un, err := demo.UNList()
	if err != nil {
		return err
	}
	sc, err := ops.NewScreener(ctx, s, 0)
	if err != nil {
		return err
	}
	ld, err := sc.LoadEntries(ctx, "demo", demo.UNListSource, un)
	if err != nil {
		return err
	}
	// Loading a list screens everyone against what it added.
	fmt.Fprintf(env.Stderr, "screened %d people against %d entries of the %s: %d hits for a screener\n",
		ld.Rescanned, ld.Lists[0].Entries, demo.UNListSource, ld.Rescreen.NewHits)

	// 4. Move people along, as coordinators and gates would over a day:
	// simulated decisions through the same store calls the UI makes.
	if err := simulateDay(ctx, s, &clock); err != nil {
		return err
	}
	clock = time.Now().UTC()

	// 5. An administrator to sign in with.
	pw := randomPassword()
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	if err := s.AddUser(ctx, "demo", &store.User{Name: "admin", Role: auth.RoleAdmin, PassHash: hash}); err != nil {
		return err
	}
	st, err := s.Status(ctx, store.Scope{})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "\n")
	writeStatus(env.Stderr, st)
	if *noServe {
		fmt.Fprintf(env.Stdout, "database: %s\nlogin: admin / %s\n", dsn, pw)
		return nil
	}
	// The demo's accounts have no second factor, so it serves without
	// requiring one; its logs go to a file beside the database.
	logf, err := os.OpenFile(filepath.Join(filepath.Dir(dsn), "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	cfg := web.Config{Logger: slog.New(slog.NewJSONHandler(logf, nil))}
	return serveUI(ctx, env, s, dsn, keyFile, *addr, cfg, func(url string) {
		fmt.Fprintf(env.Stdout, "\nmuster demo is serving at %s\nlogin: admin / password: %s\ndatabase: %s (key %s)\nstop with Ctrl-C\n", url, pw, dsn, keyFile)
	})
}

func randomPassword() string {
	b := make([]byte, 10)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// simulateDay walks a share of the screened registrants through the stages
// that follow screening, spreading departures over the last 24 hours so that
// the dashboard's throughput and backlog have something to show. Which
// people move is decided by case, so families move together.
func simulateDay(ctx context.Context, s *store.Store, clock *time.Time) error {
	people, err := s.People(ctx, store.PeopleFilter{})
	if err != nil {
		return err
	}
	// Nobody with a hit waiting for a screener moves on: muster never
	// calls such a person forward without a screener's decision.
	hits, err := s.Hits(ctx, store.HitFilter{})
	if err != nil {
		return err
	}
	held := map[int64]bool{}
	for _, h := range hits {
		if h.State != store.HitFalsePositive {
			held[h.PersonID] = true
		}
	}
	for _, p := range people {
		if held[p.ID] {
			held[-p.CaseID] = true
		}
	}
	byCase := map[int64][]int64{}
	var cases []int64
	for _, p := range people {
		if held[-p.CaseID] {
			continue
		}
		if _, ok := byCase[p.CaseID]; !ok {
			cases = append(cases, p.CaseID)
		}
		byCase[p.CaseID] = append(byCase[p.CaseID], p.ID)
	}
	end := *clock
	steps := []struct {
		stage muster.Stage
		share float64 // of all cases
	}{
		{muster.StageApproved, 0.6},
		{muster.StageCalled, 0.45}, {muster.StageCheckedIn, 0.35}, {muster.StageManifested, 0.3}, {muster.StageDeparted, 0.25},
	}
	for _, st := range steps {
		n := int(st.share * float64(len(cases)))
		// One transaction per hour of the day: departures spread over it,
		// more in the last hours; earlier stages all a day ago.
		buckets := map[int][]int64{}
		for i, c := range cases[:n] {
			h := 0
			if st.stage == muster.StageDeparted {
				h = 1 + int(23*float64(i)/float64(n))
			}
			buckets[h] = append(buckets[h], byCase[c]...)
		}
		for h := 0; h < 24; h++ {
			if len(buckets[h]) == 0 {
				continue
			}
			*clock = end.Add(-time.Duration(24-h) * time.Hour).Add(30 * time.Minute)
			if _, err := s.SetStage(ctx, "demo-simulation", store.Scope{}, buckets[h], st.stage, ""); err != nil {
				return err
			}
		}
	}
	// A few withdraw, a few do not show.
	var withdrawn, noShow []int64
	for i, c := range cases[len(cases)-len(cases)/20:] {
		if i%2 == 0 {
			noShow = append(noShow, byCase[c]...)
		} else {
			withdrawn = append(withdrawn, byCase[c]...)
		}
	}
	if _, err := s.SetStage(ctx, "demo-simulation", store.Scope{}, withdrawn, muster.StageWithdrawn, "simulated"); err != nil {
		return err
	}
	if _, err := s.SetStage(ctx, "demo-simulation", store.Scope{}, noShow, muster.StageNoShow, "simulated"); err != nil {
		return err
	}
	*clock = end
	return nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"muster/internal/demo"
	"muster/internal/intake"
	"muster/internal/store"
	"muster/internal/vault"
)

func init() {
	register("bench", "measure muster on generated data: bench import (100k rows), bench load (users, kill -9)", runBench)
}

func runBench(ctx context.Context, env *Env, args []string) error {
	if len(args) > 0 && args[0] == "load" {
		return benchLoad(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "link" {
		return benchLink(ctx, env, args[1:]) // cmd_bench_link.go
	}
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(env.Stderr, "usage: muster bench import [--rows N] [--db PATH|postgres://...]\n       muster bench load [--users 200] [--duration 5m] [--kill-after 2m30s]")
		return errUsage
	}
	fs := newFlags(env, "bench import", "[--rows N] [--db ...]")
	rows := fs.Int("rows", 100000, "registration rows to generate and import")
	db := fs.String("db", "", "database to import into (default: a new SQLite file in a temporary folder)")
	keepCSV := fs.String("csv", "", "also write the generated registrations to this CSV (to time muster import on them)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the import to this file")
	if _, err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "muster-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	csvPath := filepath.Join(dir, "registrations.csv")
	gen := demo.New(demo.Config{Seed: 1, Families: *rows, DupRate: 0.3})
	var all []demo.Row
	for r := gen.Next(); r != nil && len(all) < *rows; r = gen.Next() {
		all = append(all, r...)
	}
	all = all[:min(len(all), *rows)]
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	if err := demo.WriteCSV(f, all); err != nil {
		return err
	}
	f.Close()
	if *keepCSV != "" {
		b, err := os.ReadFile(csvPath)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*keepCSV, b, 0o600); err != nil {
			return err
		}
	}
	dsn := *db
	if dsn == "" {
		dsn = filepath.Join(dir, "muster.db")
	}
	kek, _ := vault.NewDEK()
	s, err := store.Open(ctx, dsn, store.Options{KEK: kek})
	if err != nil {
		return err
	}
	defer s.Close()

	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	res, err := intake.ReadFile(csvPath, intake.Options{})
	if err != nil {
		return err
	}
	t1 := time.Now()
	ir, err := s.Import(ctx, "bench", res.Records, nil)
	if err != nil {
		return err
	}
	t2 := time.Now()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(env.Stdout, "import %d rows (%d rejected, %d flagged) into %s: read+validate %.2fs, store %.2fs, total %.2fs (%.0f rows/s); %d people, %d cases; heap in use %d MiB\n",
		res.Rows, len(res.Rejected), res.Flagged, s.Dialect(), t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t2.Sub(t0).Seconds(),
		float64(res.Rows)/t2.Sub(t0).Seconds(), ir.Created, ir.Cases, ms.HeapInuse>>20)
	return nil
}

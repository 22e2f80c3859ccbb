package main

import (
	"context"
	"fmt"

	"muster/internal/ops"
)

func init() {
	register("lists", "load watchlist versions into the database and re-screen what they change", runLists)
}

func runLists(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "load" {
		fmt.Fprintln(env.Stderr, "usage: muster lists load PATH [PATH ...] [--db ...]\n\nPATH is a list file or folder: OFAC SDN or consolidated CSV, UN SC XML (detected).")
		return errUsage
	}
	fs := newFlags(env, "lists load", "PATH [PATH ...] [--db ...]")
	db, key := addDBFlags(fs)
	actor := fs.String("actor", "cli", "who loads, for the event log")
	paths, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		fs.Usage()
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	sc, err := ops.NewScreener(ctx, s, 0)
	if err != nil {
		return err
	}
	for _, p := range paths {
		res, err := sc.LoadPath(ctx, *actor, p)
		if err != nil {
			return err
		}
		for _, l := range res.Lists {
			fmt.Fprintf(env.Stdout, "%s: %s: %d entries, %d added, %d changed, %d removed (version %d)\n", p, l.List, l.Entries, l.Added, l.Changed, l.Removed, l.VersionID)
		}
		r := res.Rescreen
		fmt.Fprintf(env.Stdout, "re-screened %d people against what changed: %d new hits, %d reopened, %d decisions kept\n", res.Rescanned, r.NewHits, r.Reopened, r.Kept)
	}
	return nil
}

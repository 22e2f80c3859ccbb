package main

import (
	"context"
	"errors"
	"fmt"

	"muster/internal/store"
)

func init() {
	register("audit", "verify the hash-chained audit log (muster audit verify)", runAudit)
}

func runAudit(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(env.Stderr, "usage: muster audit verify [--db ...] [--key-file ...]")
		return errUsage
	}
	fs := newFlags(env, "audit verify", "[--db ...]")
	db, key := addDBFlags(fs)
	if _, err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.VerifyAudit(ctx)
	var ce *store.ChainError
	if errors.As(err, &ce) {
		fmt.Fprintf(env.Stderr, "audit chain BROKEN: first broken link is event %d: %s (%d events before it are whole)\n", ce.Seq, ce.Reason, n)
		return exitError{1}
	} else if err != nil {
		return err
	}
	replay, err := s.ReplayStages(ctx)
	if err != nil {
		return err
	}
	proj, err := s.ProjectedStages(ctx)
	if err != nil {
		return err
	}
	for id, st := range proj {
		if replay[id] != st {
			fmt.Fprintf(env.Stderr, "audit: person %d is counted at stage %q but the event log says %q\n", id, st, replay[id])
			return exitError{1}
		}
	}
	fmt.Fprintf(env.Stdout, "audit chain whole: %d events; counts agree with the event log for %d people\n", n, len(proj))
	return nil
}

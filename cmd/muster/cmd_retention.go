package main

import (
	"context"
	"fmt"
	"time"
)

func init() {
	register("retention", "erase the personal data of people who arrived more than a set time ago", runRetention)
}

func runRetention(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "retention", "--arrived-older-than DURATION [--db ...]")
	db, key := addDBFlags(fs)
	older := fs.Duration("arrived-older-than", 30*24*time.Hour, "erase people whose arrival is older than this (e.g. 720h)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if *older <= 0 {
		return fmt.Errorf("--arrived-older-than must be positive")
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.PurgeArrived(ctx, "cli:retention", time.Now().Add(-*older))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "erased the personal data of %d people who arrived before %s\n", n, time.Now().Add(-*older).UTC().Format(time.RFC3339))
	return nil
}

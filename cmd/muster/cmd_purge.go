package main

import (
	"context"
	"fmt"

	"muster/internal/store"
	"muster/internal/vault"
)

func init() {
	register("purge", "EMERGENCY: destroy the keys so the personal data can never be decrypted", runPurge)
}

func runPurge(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "purge", "--yes-destroy-all-data [--db ...] [--key-file ...]")
	db, key := addDBFlags(fs)
	yes := fs.Bool("yes-destroy-all-data", false, "confirm: the data becomes unrecoverable")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*yes {
		fmt.Fprintln(env.Stderr, "muster purge destroys the data key: every name, date and document in the database becomes unreadable, for good.\nRun again with --yes-destroy-all-data to do it.")
		return exitError{2}
	}
	dsn := dsnOf(env, *db)
	keyFile := keyFileOf(env, dsn, *key)
	// Destroy the key file first: if the database is unreachable, the
	// wrapped data key in it is still useless without this file.
	kerr := vault.DestroyKeyFile(keyFile)
	derr := store.Purge(ctx, dsn)
	switch {
	case kerr != nil && derr != nil:
		return fmt.Errorf("key file: %v; database: %v", kerr, derr)
	case kerr != nil:
		return fmt.Errorf("database purged, but the key file %s could not be destroyed: %w", keyFile, kerr)
	case derr != nil:
		return fmt.Errorf("key file destroyed, but the database could not be marked: %w", derr)
	}
	fmt.Fprintf(env.Stdout, "purged: key file %s overwritten and removed; data key destroyed in %s\n", keyFile, dsn)
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"

	"muster/internal/store"
	"muster/internal/vault"
)

// addDBFlags adds the --db and --key-file flags every database command takes.
func addDBFlags(fs *flag.FlagSet) (db, key *string) {
	db = fs.String("db", "", "database: a SQLite file or a postgres:// URL (default $MUSTER_DB or ./muster.db)")
	key = fs.String("key-file", "", "key-encryption key file, created (0600) when missing (default $MUSTER_KEY_FILE, or beside a SQLite file)")
	return db, key
}

// dsnOf resolves the database: the flag, then $MUSTER_DB, then ./muster.db.
func dsnOf(env *Env, dbFlag string) string {
	if dbFlag != "" {
		return dbFlag
	}
	if v := env.Getenv("MUSTER_DB"); v != "" {
		return v
	}
	return "muster.db"
}

// keyFileOf resolves the key file: the flag, then $MUSTER_KEY_FILE, then
// the SQLite file's name with ".key" (or ./muster-postgres.key for a
// PostgreSQL URL). Keeping the key beside the database is for the demo and
// for trying muster out: in production the key lives on other media (see
// README), so that a seized disk holds only ciphertext.
func keyFileOf(env *Env, dsn, keyFlag string) string {
	if store.IsPostgres(dsn) && keyFlag == "" && env.Getenv("MUSTER_KEY_FILE") == "" {
		return "muster-postgres.key"
	}
	return keyFileFrom(env, "MUSTER_KEY_FILE", dsn, keyFlag)
}

// keyFileFrom resolves a key file: the flag, then the environment
// variable envVar, then the database file's name with ".key".
func keyFileFrom(env *Env, envVar, file, keyFlag string) string {
	if keyFlag != "" {
		return keyFlag
	}
	if v := env.Getenv(envVar); v != "" {
		return v
	}
	return file + ".key"
}

// openStore opens the database named by the flags, creating the key file
// (and saying so on stderr) when it does not exist.
func openStore(ctx context.Context, env *Env, dbFlag, keyFlag string) (*store.Store, error) {
	dsn := dsnOf(env, dbFlag)
	keyFile := keyFileOf(env, dsn, keyFlag)
	kek, created, err := vault.LoadOrCreateKEK(keyFile)
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(env.Stderr, "muster: created key file %s (mode 0600); without it the database cannot be read: keep it on other media than the database in production\n", keyFile)
	}
	return store.Open(ctx, dsn, store.Options{KEK: kek})
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"muster/internal/ops"
	"muster/internal/store"
	"muster/internal/vault"
	"muster/internal/web"
)

func init() {
	register("serve", "serve the web UI and JSON API", runServe)
}

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "[--db ...] [--key-file ...] [--addr 127.0.0.1:8080] [--secure] [--require-totp=false]")
	db, key := addDBFlags(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	secure := fs.Bool("secure", false, "mark cookies Secure and send HSTS: set when a TLS proxy fronts muster")
	requireTOTP := fs.Bool("require-totp", true, "refuse sign-in to accounts (other than gate) without a TOTP second factor; --require-totp=false only for trials")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	dsn := dsnOf(env, *db)
	return serveUI(ctx, env, s, dsn, keyFileOf(env, dsn, *key), *addr, web.Config{Secure: *secure, RequireTOTP: *requireTOTP},
		func(url string) { fmt.Fprintf(env.Stdout, "muster is serving at %s (stop with Ctrl-C)\n", url) })
}

// serveUI serves the web UI on s until ctx ends or the database is purged:
// `muster serve` and `muster demo` both run it. cfg carries the caller's
// choices; serveUI adds the store, the logger, the screener and the purge.
func serveUI(ctx context.Context, env *Env, s *store.Store, dsn, keyFile, addr string, cfg web.Config, ready func(url string)) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	sc, err := ops.NewScreener(ctx, s, 0)
	if err != nil {
		return err
	}
	// JSON logs on stderr carry ids only; internal/web never logs a name,
	// document, phone or search query.
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(env.Stderr, nil))
	}
	cfg.Store, cfg.Screener = s, sc
	// The admin's purge button does what `muster purge` does, then stops
	// the server, whose memory still holds the data key.
	cfg.Purge = func(ctx context.Context) error {
		kerr := vault.DestroyKeyFile(keyFile)
		derr := store.Purge(ctx, dsn)
		time.AfterFunc(2*time.Second, stop) // let the confirmation page go out
		return errors.Join(kerr, derr)
	}
	srv := web.New(cfg)
	// A purge by anyone else (the CLI, another server on the same
	// database) stops this one too.
	go func() {
		if srv.WatchPurge(ctx, 2*time.Second) == nil {
			fmt.Fprintln(env.Stderr, "muster: the database was purged; stopping")
			stop()
		}
	}()
	return srv.ListenAndServe(ctx, addr, ready)
}

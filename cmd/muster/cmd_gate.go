package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"muster/internal/gate"
	"muster/internal/vault"
)

func init() {
	register("gate", "gate device mode: local replica, scanner page, offline check-in, sync", runGate)
}

func runGate(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "gate", "--server URL --gate NAME [--db PATH] [--key-file PATH] [--addr 127.0.0.1:8089] [--token TOKEN] | --offline-from BUNDLE --bundle-key KEY")
	server := fs.String("server", "", "the muster server's URL")
	name := fs.String("gate", "", "this gate's name")
	db := fs.String("db", "", "the gate's replica file (default gate-NAME.db)")
	keyFlag := fs.String("key-file", "", "key-encryption key file of the replica, created (0600) when missing; destroyed by a purge (default $MUSTER_GATE_KEY_FILE, or the replica's name plus .key; never the server's $MUSTER_KEY_FILE, which a gate purge would destroy)")
	addr := fs.String("addr", "127.0.0.1:8089", "where the officer's page listens (keep it on localhost)")
	token := fs.String("token", "", "gate device token from 'muster gates token NAME' (default $MUSTER_GATE_TOKEN)")
	offline := fs.String("offline-from", "", "load this sealed bundle ('muster gates bundle NAME --out FILE') and work without a server")
	bundleKey := fs.String("bundle-key", "", "the key 'muster gates bundle' printed for that bundle (default $MUSTER_BUNDLE_KEY)")
	every := fs.Duration("sync", 5*time.Second, "how often to sync with the server")
	grace := fs.Duration("grace", 15*time.Minute, "accept passes this long before and after their window")
	purgeAfter := fs.Duration("purge-after-offline", 0, "destroy the replica when the server has not been reached for this long (e.g. 12h); a revoked token purges at once")
	purgeNow := fs.Bool("purge", false, "destroy this gate's replica and its key file now and exit")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	path := *db
	if path == "" && *name != "" {
		path = "gate-" + *name + ".db"
	}
	if *purgeNow {
		if path == "" {
			fs.Usage()
			return errUsage
		}
		keyFile := gateKeyFileOf(env, path, *keyFlag)
		if err := gate.PurgeFiles(path, keyFile); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "gate replica %s and key file %s overwritten and removed\n", path, keyFile)
		return nil
	}
	if len(pos) != 0 || *name == "" || (*server == "" && *offline == "") {
		fs.Usage()
		return errUsage
	}
	tok := *token
	if tok == "" {
		tok = env.Getenv("MUSTER_GATE_TOKEN")
	}
	if *server != "" && tok == "" {
		return fmt.Errorf("a gate token is needed to reach the server: --token or $MUSTER_GATE_TOKEN")
	}
	// The replica is sealed as the server's database is, under its own key
	// file (flag, $MUSTER_GATE_KEY_FILE, beside the file).
	keyFile := gateKeyFileOf(env, path, *keyFlag)
	kek, created, err := vault.LoadOrCreateKEK(keyFile)
	if err != nil {
		return err
	}
	defer vault.Zero(kek)
	if created {
		fmt.Fprintf(env.Stderr, "muster: created key file %s (mode 0600); without it the gate replica cannot be read: keep it on other media than the replica in production\n", keyFile)
	}
	bkey := *bundleKey
	if bkey == "" {
		bkey = env.Getenv("MUSTER_BUNDLE_KEY")
	}
	if *offline != "" && bkey == "" {
		return fmt.Errorf("--offline-from needs the bundle's key: --bundle-key or $MUSTER_BUNDLE_KEY (printed by muster gates bundle)")
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, nil))
	return gate.Run(ctx, gate.Config{Server: *server, Gate: *name, Token: tok, DB: path, KeyFile: keyFile, KEK: kek, Addr: *addr, OfflineFrom: *offline, OfflineKey: bkey,
		SyncEvery: *every, Grace: *grace, Logger: log, PurgeAfterOffline: *purgeAfter,
		Ready: func(a string) { fmt.Fprintf(env.Stdout, "gate %s: open http://%s/ on this device\n", *name, a) }})
}

// gateKeyFileOf resolves a gate replica's key file: the flag, then
// $MUSTER_GATE_KEY_FILE, then the replica's name with ".key". Not
// $MUSTER_KEY_FILE: that is the server's, and a gate purges its key file.
func gateKeyFileOf(env *Env, replica, keyFlag string) string {
	return keyFileFrom(env, "MUSTER_GATE_KEY_FILE", replica, keyFlag)
}

// Package storetest gives tests a fresh database on each engine: a SQLite
// file in a temporary folder and a new PostgreSQL database, so that every
// store test runs on both. PostgreSQL tests skip when no server answers,
// unless CI is set, where they fail.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgresURL is the server tests use; MUSTER_TEST_PG overrides it.
func PostgresURL() string {
	if u := os.Getenv("MUSTER_TEST_PG"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// Engines lists the engines to run on: "sqlite" always, "postgres" unless
// MUSTER_TEST_ENGINES narrows the list.
func Engines() []string {
	if e := os.Getenv("MUSTER_TEST_ENGINES"); e != "" {
		return strings.Split(e, ",")
	}
	return []string{"sqlite", "postgres"}
}

// Each runs fn once per engine as a subtest, with the DSN of a fresh, empty
// database.
func Each(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, engine := range Engines() {
		t.Run(engine, func(t *testing.T) {
			fn(t, DSN(t, engine))
		})
	}
}

// DSN returns a fresh database of the engine, dropped when the test ends.
func DSN(t testing.TB, engine string) string {
	t.Helper()
	switch engine {
	case "sqlite":
		return filepath.Join(t.TempDir(), "muster.db")
	case "postgres":
		return NewPostgres(t)
	}
	t.Fatalf("unknown engine %q", engine)
	return ""
}

// NewPostgres creates a new database on the test server and returns its URL.
func NewPostgres(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s does not answer (CI must start it): %v", base, err)
		}
		t.Skipf("PostgreSQL at %s does not answer: %v", base, err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "muster_test_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

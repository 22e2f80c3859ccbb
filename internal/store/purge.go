package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"
)

// Purge destroys the data key inside the database: the wrapped key is
// overwritten with random bytes and deleted, and the database is marked
// purged so that no new key is ever created in its place. It needs no key
// (an emergency must not wait for one) and opens the database itself. With
// the key file destroyed too (vault.DestroyKeyFile), nothing left on the
// machine, nor any copy of the database, decrypts the personal data.
func Purge(ctx context.Context, dsn string) error {
	s := &Store{now: time.Now, dsn: dsn, closing: make(chan struct{})}
	var err error
	if IsPostgres(dsn) {
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", dsn)
	} else {
		s.dialect = SQLite
		s.db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(30000)&_pragma=secure_delete(1)&_txlock=immediate")
	}
	if err != nil {
		return err
	}
	defer s.db.Close()
	if err := s.migrate(ctx); err != nil {
		return fmt.Errorf("purge %s: %w", redact(dsn), err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, LENGTH(wrapped) FROM keyring`)
	if err != nil {
		return err
	}
	type key struct {
		id int64
		n  int
	}
	var keys []key
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.id, &k.n); err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, k)
	}
	rows.Close()
	for _, k := range keys {
		junk := make([]byte, k.n)
		rand.Read(junk)
		if _, err := tx.ExecContext(ctx, `UPDATE keyring SET wrapped = $1 WHERE id = $2`, junk, k.id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM keyring`); err != nil {
		return err
	}
	// Sessions and TOTP secrets would still let someone in: end them all.
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked = 1`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key = 'purged'`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('purged', $1)`, fmt.Sprint(time.Now().UTC().Unix())); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Old row versions may linger in the write-ahead log or as dead tuples.
	if s.dialect == SQLite {
		if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return err
		}
		_, err = s.db.ExecContext(ctx, `VACUUM`)
		return err
	}
	_, err = s.db.ExecContext(ctx, `VACUUM FULL keyring`)
	return err
}

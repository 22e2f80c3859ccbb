// Package store is the only package that speaks SQL. It keeps muster's
// state in an embedded SQLite file (the default) or in PostgreSQL (to run
// several servers on one database), with one schema and, wherever the two
// engines allow, one SQL text.
//
// Personal data is sealed by internal/vault before it reaches SQL: the
// tables hold ids, categories, stages and partner names in clear, and
// everything about a person only as ciphertext and keyed blind indexes.
// Every change appends an event to a hash chain in the same transaction.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	_ "modernc.org/sqlite"             // registers driver "sqlite"

	"muster"
	"muster/internal/vault"
)

//go:embed migrations
var migrations embed.FS

// Dialect names the database engine behind a Store.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options configure Open.
type Options struct {
	// KEK is the key-encryption key (from the operator's key file). It
	// wraps the data key stored in the database.
	KEK []byte
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// OperationName names a new operation created by Open on an empty
	// database; ignored when the database already has one.
	OperationName string
}

// Store is an open muster database. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	vault   *vault.Vault
	now     func() time.Time
	dsn     string
	chains  sync.Map // *sql.Tx -> *chainState

	groupOnce sync.Once
	group     chan *pendingEvent
	closing   chan struct{} // closed by Close
	closeOnce sync.Once

	statusMu    sync.Mutex
	statusCache map[string]cachedStatus // by partner scope
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (creating if needed) the database named by dsn: a file path
// for SQLite or a postgres:// URL. It applies migrations and unlocks the
// data key with opt.KEK, creating the data key on a new database. It returns
// an error with code EPURGED when the data key was destroyed.
func Open(ctx context.Context, dsn string, opt Options) (_ *Store, err error) {
	s := &Store{now: opt.Now, dsn: dsn, closing: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if IsPostgres(dsn) {
		s.dialect = Postgres
		s.db, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
		}
		s.db.SetMaxOpenConns(16)
		// Keep them open: database/sql keeps two idle by default and
		// closes the rest after each use, and a new PostgreSQL connection
		// is a process start and a handshake. Under 200 gates syncing at
		// once that churn, not the queries, held check-ins to 120/s.
		s.db.SetMaxIdleConns(16)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		s.dialect = SQLite
		// WAL lets readers run beside the one writer; immediate transactions
		// take the write lock at BEGIN so two writers queue on the busy
		// timeout instead of failing on upgrade; synchronous=FULL so that an
		// acknowledged commit survives a power cut too; secure_delete so that
		// purged key material is overwritten in the file; checkpoints off
		// the committing connection (see checkpointer).
		q := "?_pragma=busy_timeout(30000)&_pragma=journal_mode(WAL)" +
			"&_pragma=synchronous(FULL)&_pragma=secure_delete(1)&_pragma=temp_store(2)&_pragma=cache_size(-65536)" +
			"&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
		s.db, err = sql.Open("sqlite", "file:"+dsn+q)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", dsn, err)
		}
		s.db.SetMaxOpenConns(4)
		s.db.SetMaxIdleConns(4) // a new connection re-runs the pragmas
		defer func() {
			if err == nil {
				go s.checkpointer(checkpointEvery)
			}
		}()
	}
	defer func() {
		if err != nil {
			s.db.Close()
		}
	}()
	if err := s.db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	if err := s.migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate %s: %w", redact(dsn), err)
	}
	if err := s.unlock(ctx, opt); err != nil {
		return nil, err
	}
	return s, nil
}

// checkpointEvery is how often the SQLite write-ahead log is copied back
// into the database file.
const checkpointEvery = 500 * time.Millisecond

// checkpointer copies the write-ahead log into the database file in the
// background until the store closes. SQLite's automatic checkpoint would
// run inside whichever commit crossed the log's size limit: that commit,
// and every gate and user waiting behind it, paid for copying and syncing
// a thousand pages (the tail of the gate check-in latency). A passive
// checkpoint waits for nobody; writers go on appending to the log while it
// runs.
func (s *Store) checkpointer(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		// An error (busy, closed) is retried at the next tick; the log
		// only grows meanwhile, nothing is lost.
		s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
		cancel()
	}
}

// redact hides a password in a PostgreSQL URL.
func redact(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 && IsPostgres(dsn) {
		if j := strings.Index(dsn, "://"); j > 0 {
			if k := strings.Index(dsn[j+3:i], ":"); k >= 0 {
				return dsn[:j+3+k] + ":***" + dsn[i:]
			}
		}
	}
	return dsn
}

// Close closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	return s.db.Close()
}

// Dialect returns the engine behind s.
func (s *Store) Dialect() Dialect { return s.dialect }

// Vault returns the unlocked vault, for packages that seal their own data.
func (s *Store) Vault() *vault.Vault { return s.vault }

func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/" + string(s.dialect)
	files, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		// Two servers starting at once on an empty database must not both migrate.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041947)`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return err
	}
	for _, f := range files {
		name := path.Base(f)
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		for _, stmt := range splitSQL(string(body)) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// splitSQL splits a migration into statements at semicolons that end a line.
func splitSQL(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if st := strings.TrimSpace(cur.String()); st != ";" {
				out = append(out, strings.TrimSuffix(st, ";"))
			}
			cur.Reset()
		}
	}
	if st := strings.TrimSpace(cur.String()); st != "" {
		out = append(out, st)
	}
	return out
}

// unlock loads the data key, creating it (and the operation) on a new
// database.
func (s *Store) unlock(ctx context.Context, opt Options) error {
	if len(opt.KEK) != vault.KeySize {
		return errors.New("no key-encryption key given (use --key-file)")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7041948)`); err != nil {
			return err
		}
	}
	var wrapped []byte
	err = tx.QueryRowContext(ctx, `SELECT wrapped FROM keyring WHERE purpose = 'dek'`).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		var purged int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM meta WHERE key = 'purged'`).Scan(&purged); err != nil {
			return err
		}
		if purged > 0 {
			return muster.Errorf(muster.EPURGED, "this database was purged: its data key is destroyed and its personal data cannot be decrypted")
		}
		dek, err := vault.NewDEK()
		if err != nil {
			return err
		}
		if wrapped, err = vault.Wrap(opt.KEK, dek); err != nil {
			return err
		}
		now := s.now().UnixMicro()
		if _, err := tx.ExecContext(ctx, `INSERT INTO keyring (purpose, wrapped, created) VALUES ('dek', $1, $2)`, wrapped, now); err != nil {
			return err
		}
		name := opt.OperationName
		if name == "" {
			name = "muster operation"
		}
		cats := make([]string, len(muster.DefaultCategories))
		for i, c := range muster.DefaultCategories {
			cats[i] = string(c)
		}
		for k, v := range map[string]string{"operation": name, "categories": strings.Join(cats, ","), "created": fmt.Sprint(now)} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)`, k, v); err != nil {
				return err
			}
		}
		if s.vault, err = vault.New(dek); err != nil {
			return err
		}
		vault.Zero(dek)
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain (id, seq, hash) VALUES (1, 0, $1)`, s.headMAC(0, nil)); err != nil {
			return err
		}
		defer s.dropChain(tx)
		if err := s.appendEvent(ctx, tx, &muster.Event{Actor: "system", Type: muster.EventKeyCreated}); err != nil {
			return err
		}
		if err := s.flushChain(ctx, tx); err != nil {
			return err
		}
		return tx.Commit()
	} else if err != nil {
		return err
	}
	dek, err := vault.Unwrap(opt.KEK, wrapped)
	if err != nil {
		return muster.Errorf(muster.EUNAUTHORIZED, "%v", err)
	}
	s.vault, err = vault.New(dek)
	vault.Zero(dek)
	if err != nil {
		return err
	}
	return tx.Commit()
}

// Operation returns the operation this database holds.
func (s *Store) Operation(ctx context.Context) (*muster.Operation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key, value FROM meta WHERE key IN ('operation', 'categories', 'created')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	op := &muster.Operation{ID: 1}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		switch k {
		case "operation":
			op.Name = v
		case "categories":
			for _, c := range strings.Split(v, ",") {
				if c != "" {
					op.Categories = append(op.Categories, muster.Category(c))
				}
			}
		case "created":
			var us int64
			fmt.Sscan(v, &us)
			op.Created = time.UnixMicro(us).UTC()
		}
	}
	return op, rows.Err()
}

// SetCategories configures the operation's eligibility categories.
func (s *Store) SetCategories(ctx context.Context, actor string, cats []muster.Category) error {
	if len(cats) == 0 {
		return muster.Errorf(muster.EINVALID, "an operation needs at least one category")
	}
	names := make([]string, len(cats))
	for i, c := range cats {
		if c == "" || strings.ContainsAny(string(c), ", ") {
			return muster.Errorf(muster.EINVALID, "category %q: use lower-case words joined by _", c)
		}
		names[i] = string(c)
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE key = 'categories'`, strings.Join(names, ",")); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: "operation.categories", At: now, Data: jsonRaw(names)})
	})
}

// write runs fn in a transaction, committing when it returns nil. The clock
// is read once so that every row of the transaction carries the same time.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx, now time.Time) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	defer s.dropChain(tx)
	if err := fn(tx, s.now().UTC()); err != nil {
		return mapErr(err)
	}
	if err := s.flushChain(ctx, tx); err != nil {
		return mapErr(err)
	}
	return mapErr(tx.Commit())
}

// mapErr maps driver errors to muster error codes in one place.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var me *muster.Error
	if errors.As(err, &me) {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint failed"), strings.Contains(msg, "SQLSTATE 23505"):
		return &wrapped{muster.Errorf(muster.ECONFLICT, "already exists"), err}
	case errors.Is(err, sql.ErrNoRows):
		return &wrapped{muster.Errorf(muster.ENOTFOUND, "not found"), err}
	}
	return err
}

// wrapped keeps the driver error for logs while presenting the muster error.
type wrapped struct {
	user *muster.Error
	err  error
}

func (w *wrapped) Error() string { return w.user.Error() + ": " + w.err.Error() }
func (w *wrapped) Unwrap() []error {
	return []error{w.user, w.err}
}

// SetOperationName renames the operation.
func (s *Store) SetOperationName(ctx context.Context, actor, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return muster.Errorf(muster.EINVALID, "an operation needs a name")
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE key = 'operation'`, name); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: "operation.renamed", At: now, Data: jsonRaw(map[string]string{"name": name})})
	})
}

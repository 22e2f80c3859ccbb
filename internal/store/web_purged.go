package store

import "context"

// Purged reports whether the database was purged (by any process: the CLI
// or another server). A server sharing the database polls it, because its
// own memory still holds the data key after someone else's purge: it must
// stop serving rather than go on decrypting.
func (s *Store) Purged(ctx context.Context) (bool, error) {
	var marked, deks int
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM meta WHERE key = 'purged'), (SELECT COUNT(*) FROM keyring WHERE purpose = 'dek')`).Scan(&marked, &deks)
	if err != nil {
		return false, err
	}
	return marked > 0 || deks == 0, nil
}

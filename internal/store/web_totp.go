package store

import (
	"context"
	"strconv"
)

// UseTOTPStep records that a user signed in with the TOTP code of step and
// reports whether the step was new: false means a code of this step or a
// later one was already used, so the code is a replay (RFC 6238 section
// 5.2). It is kept in the database, not in a server's memory, so that a
// code used on one server is refused by every other server on the same
// database, and after a restart. The meta table holds it under
// "totp_step:ID" so that no migration is needed.
func (s *Store) UseTOTPStep(ctx context.Context, userID, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(meta.value AS BIGINT) < CAST(excluded.value AS BIGINT)`,
		"totp_step:"+strconv.FormatInt(userID, 10), strconv.FormatInt(step, 10))
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

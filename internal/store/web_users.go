package store

import (
	"context"
	"database/sql"
	"time"

	"muster"
)

// Users returns every account by name, without password hashes or TOTP
// secrets: TOTPSecret is "enrolled" or "" so that an account list can say
// which accounts have a second factor without opening the secrets.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, role, partner, gate, totp_sealed IS NOT NULL AND LENGTH(totp_sealed) > 0, failed, locked_until, disabled, created FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var totp bool
		var locked, disabled, created int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.Partner, &u.Gate, &totp, &u.Failed, &locked, &disabled, &created); err != nil {
			return nil, err
		}
		if totp {
			u.TOTPSecret = "enrolled"
		}
		u.LockedUntil, u.Created, u.Disabled = time.UnixMicro(locked).UTC(), time.UnixMicro(created).UTC(), disabled != 0
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetUserDisabled disables (ending every session) or re-enables an
// account, with an event naming the actor. A phished partner account is
// shut at once this way, on every server.
func (s *Store) SetUserDisabled(ctx context.Context, actor string, userID int64, disabled bool) error {
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		d := 0
		if disabled {
			d = 1
		}
		res, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1, failed = 0, locked_until = 0 WHERE id = $2`, d, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return muster.Errorf(muster.ENOTFOUND, "no user %d", userID)
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET revoked = 1 WHERE user_id = $1`, userID); err != nil {
				return err
			}
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: "user.disabled", At: now, Data: jsonRaw(map[string]any{"user_id": userID, "disabled": disabled})})
	})
}

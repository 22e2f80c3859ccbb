package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"strconv"
	"time"

	"muster"
)

// User is a staff or partner account, or a gate device.
type User struct {
	ID          int64
	Name        string
	Role        string
	Partner     string // the organisation a partner user belongs to
	Gate        string // the gate a gate officer or device serves
	PassHash    string // argon2id, encoded by internal/auth
	TOTPSecret  string // base32, opened from its sealed column; "" = not enrolled
	Failed      int
	LockedUntil time.Time
	Disabled    bool
	Created     time.Time
}

// AddUser creates an account. It returns ECONFLICT if the name is taken.
func (s *Store) AddUser(ctx context.Context, actor string, u *User) error {
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var totp []byte
		if u.TOTPSecret != "" {
			var err error
			if totp, err = s.vault.Seal([]byte(u.TOTPSecret), "totp"); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO users (name, role, partner, gate, pw_hash, totp_sealed, created) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			u.Name, u.Role, u.Partner, u.Gate, u.PassHash, totp, now.UnixMicro()).Scan(&u.ID)
		if err != nil {
			if muster.ErrorCode(mapErr(err)) == muster.ECONFLICT {
				return muster.Errorf(muster.ECONFLICT, "user %q already exists", u.Name)
			}
			return err
		}
		u.Created = now
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: muster.EventUserAdded, At: now,
			Data: jsonRaw(map[string]any{"user_id": u.ID, "role": u.Role, "partner": u.Partner, "gate": u.Gate})})
	})
}

// SetTOTP enrols (or with "" removes) a user's second factor.
func (s *Store) SetTOTP(ctx context.Context, actor string, userID int64, secret string) error {
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		var sealed []byte
		if secret != "" {
			var err error
			if sealed, err = s.vault.Seal([]byte(secret), "totp"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_sealed = $1 WHERE id = $2`, sealed, userID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: "user.totp", At: now, Data: jsonRaw(map[string]any{"user_id": userID, "enrolled": secret != ""})})
	})
}

func (s *Store) scanUser(row *sql.Row) (*User, error) {
	var u User
	var totp []byte
	var locked, created, disabled int64
	err := row.Scan(&u.ID, &u.Name, &u.Role, &u.Partner, &u.Gate, &u.PassHash, &totp, &u.Failed, &locked, &disabled, &created)
	if err == sql.ErrNoRows {
		return nil, muster.Errorf(muster.ENOTFOUND, "no such user")
	} else if err != nil {
		return nil, err
	}
	if len(totp) > 0 {
		b, err := s.vault.Open(totp, "totp")
		if err != nil {
			return nil, err
		}
		u.TOTPSecret = string(b)
	}
	u.LockedUntil, u.Created, u.Disabled = time.UnixMicro(locked).UTC(), time.UnixMicro(created).UTC(), disabled != 0
	return &u, nil
}

const userCols = `id, name, role, partner, gate, pw_hash, totp_sealed, failed, locked_until, disabled, created`

// UserByName returns an account by login name.
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	return s.scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = $1`, name))
}

// UserByID returns an account by id.
func (s *Store) UserByID(ctx context.Context, id int64) (*User, error) {
	return s.scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// LoginFailed counts a failed login and locks the account for lock when
// the count reaches max. It records the failure as an event.
func (s *Store) LoginFailed(ctx context.Context, userID int64, max int, lock time.Duration) error {
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed = failed + 1,
			locked_until = CASE WHEN failed + 1 >= $1 THEN $2 ELSE locked_until END WHERE id = $3`, max, now.Add(lock).UnixMicro(), userID); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: "system", Type: muster.EventLoginFailed, At: now, Data: jsonRaw(map[string]any{"user_id": userID})})
	})
}

// Session is a signed-in browser or device.
type Session struct {
	UserID  int64
	CSRF    string
	Created time.Time
	Expires time.Time
}

// tokenHash is how session and device tokens are stored: a stolen
// database holds no usable token.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateSession records a successful login: it resets the failure count and
// stores the session under the hash of its token (a stolen database holds no
// usable session token).
func (s *Store) CreateSession(ctx context.Context, token string, sess Session) error {
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed = 0, locked_until = 0 WHERE id = $1`, sess.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)`,
			tokenHash(token), sess.UserID, sess.CSRF, now.UnixMicro(), sess.Expires.UnixMicro()); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: "user:" + itoa(sess.UserID), Type: muster.EventLogin, At: now})
	})
}

// SessionByToken returns the live session for token, or ENOTFOUND if it
// does not exist, expired or was revoked.
func (s *Store) SessionByToken(ctx context.Context, token string) (*Session, error) {
	var sess Session
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT user_id, csrf, created, expires FROM sessions WHERE token_hash = $1 AND revoked = 0 AND expires > $2`,
		tokenHash(token), s.now().UnixMicro()).Scan(&sess.UserID, &sess.CSRF, &created, &expires)
	if err == sql.ErrNoRows {
		return nil, muster.Errorf(muster.EUNAUTHORIZED, "session expired or revoked: sign in again")
	} else if err != nil {
		return nil, err
	}
	sess.Created, sess.Expires = time.UnixMicro(created).UTC(), time.UnixMicro(expires).UTC()
	return &sess, nil
}

// RevokeSession ends one session.
func (s *Store) RevokeSession(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked = 1 WHERE token_hash = $1`, tokenHash(token))
	return err
}

// RevokeUserSessions ends every session of a user.
func (s *Store) RevokeUserSessions(ctx context.Context, userID int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE sessions SET revoked = 1 WHERE user_id = $1`, userID)
	return err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

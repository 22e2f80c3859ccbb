package store

import (
	"context"
	"database/sql"
	"time"

	"muster"
)

// FlagRetentionPurged marks a person whose personal data retention erased.
const FlagRetentionPurged = "retention_purged"

// PurgeArrived erases the personal data of people who arrived before
// `before`: their sealed fields, every version of their registrations, their
// blind indexes and the sealed explanations of their hits. Ids, category,
// stage and the event chain stay, so the counts remain right. It returns
// how many people it erased.
func (s *Store) PurgeArrived(ctx context.Context, actor string, before time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		if err := s.countsChanged(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT p.id FROM persons p
			WHERE p.stage = $1 AND p.flags NOT LIKE '%retention_purged%'
			AND (SELECT MAX(e.at) FROM events e WHERE e.person_id = p.id AND e.to_stage = $1) < $2`,
			string(muster.StageArrived), before.UnixMicro())
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		emptyPerson, err := s.vault.Seal([]byte(`{}`), "person")
		if err != nil {
			return err
		}
		emptyReg, err := s.vault.Seal([]byte(`{}`), "registration")
		if err != nil {
			return err
		}
		emptyHit, err := s.vault.Seal([]byte(`{}`), "hit")
		if err != nil {
			return err
		}
		for _, id := range ids {
			var flags string
			if err := tx.QueryRowContext(ctx, `SELECT flags FROM persons WHERE id = $1`, id).Scan(&flags); err != nil {
				return err
			}
			if flags != "" {
				flags += ","
			}
			if err := s.unblindPerson(ctx, tx, id); err != nil {
				return err
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`UPDATE persons SET sealed = $1, flags = $2, updated = $3 WHERE id = $4`, []any{emptyPerson, flags + FlagRetentionPurged, now.UnixMicro(), id}},
				{`UPDATE registration_versions SET sealed = $1 WHERE registration_id IN (SELECT id FROM registrations WHERE person_id = $2)`, []any{emptyReg, id}},
				{`UPDATE hits SET sealed = $1 WHERE person_id = $2`, []any{emptyHit, id}},
			} {
				if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
					return err
				}
			}
			n++
		}
		return s.appendEvent(ctx, tx, &muster.Event{Actor: actor, Type: "retention.purged", At: now,
			Data: jsonRaw(map[string]any{"people": n, "arrived_before": before.UTC().Format(time.RFC3339)})})
	})
	return n, err
}

package store

import (
	"context"
	"time"

	"muster"
)

// Follow calls fn with every event appended after seq, in chain order,
// polling every interval until ctx ends. Servers sharing one PostgreSQL
// database keep what they hold in memory (name indexes, blocking indexes,
// caches) current this way, whoever wrote the event. fn runs on Follow's
// goroutine; an error from it stops Follow and is returned. Follow
// returns ctx.Err() when ctx ends.
func (s *Store) Follow(ctx context.Context, seq int64, interval time.Duration, fn func([]muster.Event) error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for {
			evs, err := s.Events(ctx, EventFilter{AfterSeq: seq, Limit: 5000})
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				break // a passing database error: try again at the next tick
			}
			if len(evs) == 0 {
				break
			}
			if err := fn(evs); err != nil {
				return err
			}
			seq = evs[len(evs)-1].Seq
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

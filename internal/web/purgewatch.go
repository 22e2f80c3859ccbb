package web

import (
	"context"
	"time"
)

// WatchPurge polls the database every interval and, once it was purged by
// anyone (`muster purge`, or the purge button on another server sharing a
// PostgreSQL database), makes this server answer every request with 410
// Gone and returns nil. The caller should then stop the server: its memory
// still holds the data key. WatchPurge returns ctx.Err() when ctx ends.
func (s *Server) WatchPurge(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		purged, err := s.store.Purged(ctx)
		if err == nil && purged {
			s.purged.Store(true)
			s.log.Warn("database purged: refusing every request")
			return nil
		}
		// A passing database error: try again at the next tick.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

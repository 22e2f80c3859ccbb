package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"muster"
	"muster/internal/auth"
)

// PurgePhrase must be typed to confirm an emergency purge.
const PurgePhrase = "DESTROY ALL DATA"

type purgeData struct {
	Phrase string
	Error  string
	Done   bool
}

func (s *Server) purgeForm(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.render(w, r, rq, http.StatusOK, "purge", "Emergency purge", purgeData{Phrase: PurgePhrase})
}

// purge destroys the keys through Config.Purge after the admin typed the
// phrase and their password again (a session left open on a seized laptop
// must not be enough to purge, nor a slip of the mouse). From then on the
// server answers every request with 410 Gone.
func (s *Server) purge(w http.ResponseWriter, r *http.Request, rq *request) error {
	d := purgeData{Phrase: PurgePhrase}
	if strings.TrimSpace(r.PostFormValue("confirm")) != PurgePhrase {
		d.Error = "Type the phrase exactly to confirm."
		return s.render(w, r, rq, http.StatusUnprocessableEntity, "purge", "Emergency purge", d)
	}
	if err := auth.VerifyPassword(r.PostFormValue("password"), rq.user.PassHash); err != nil {
		d.Error = "Wrong password."
		return s.render(w, r, rq, http.StatusUnprocessableEntity, "purge", "Emergency purge", d)
	}
	if s.cfg.Purge == nil {
		return muster.Errorf(muster.EINVALID, "this server was started without a purge hook; run `muster purge --yes-destroy-all-data` on the machine")
	}
	// Record who purged while the chain can still be written; the purge
	// itself must not wait on it.
	if err := s.store.AppendEvent(r.Context(), &muster.Event{Actor: rq.actor(), Type: muster.EventPurge}); err != nil {
		s.log.Error("purge event", "req", rq.info.id, "err", err)
	}
	s.log.Warn("purge requested", "req", rq.info.id, "user_id", rq.user.ID)
	// The purge runs to the end even if the browser goes away.
	err := s.cfg.Purge(context.WithoutCancel(r.Context()))
	s.purged.Store(true)
	if err != nil {
		s.log.Error("purge", "req", rq.info.id, "err", err)
		return errors.New("the purge did not finish; run `muster purge --yes-destroy-all-data` on the machine now")
	}
	s.log.Warn("purged", "req", rq.info.id, "user_id", rq.user.ID)
	d.Done = true
	return s.render(w, r, rq, http.StatusOK, "purge", "Purged", d)
}

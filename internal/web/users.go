package web

import (
	"fmt"
	"net/http"

	"muster"
	"muster/internal/store"
)

type usersData struct {
	Users []store.User
	Me    int64
	Done  string
}

// users lists accounts for administrators: role, organisation, gate,
// second factor, lockout. Accounts are created with `muster user add`
// (the password never passes through a browser form).
func (s *Server) users(w http.ResponseWriter, r *http.Request, rq *request) error {
	us, err := s.store.Users(r.Context())
	if err != nil {
		return err
	}
	d := usersData{Users: us, Me: rq.user.ID}
	switch r.URL.Query().Get("done") {
	case "signout":
		d.Done = "Every session of that account is ended."
	case "disabled":
		d.Done = "The account is disabled and its sessions ended."
	case "enabled":
		d.Done = "The account is enabled again."
	}
	return s.render(w, r, rq, http.StatusOK, "users", "Accounts", d)
}

// userAction ends an account's sessions, or disables or re-enables it:
// what an administrator does the moment an account is thought phished.
func (s *Server) userAction(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	action := r.PostFormValue("action")
	switch action {
	case "signout":
		if err := s.store.RevokeUserSessions(ctx, u.ID); err != nil {
			return err
		}
		if err := s.store.AppendEvent(ctx, &muster.Event{Actor: rq.actor(), Type: "user.signout", Data: []byte(fmt.Sprintf(`{"user_id":%d}`, u.ID))}); err != nil {
			return err
		}
	case "disable", "enable":
		if u.ID == rq.user.ID {
			return muster.Errorf(muster.EINVALID, "you cannot disable your own account")
		}
		if err := s.store.SetUserDisabled(ctx, rq.actor(), u.ID, action == "disable"); err != nil {
			return err
		}
		action += "d"
	default:
		return muster.Errorf(muster.EINVALID, "unknown action")
	}
	s.log.Info("account action", "req", rq.info.id, "user_id", rq.user.ID, "target_user_id", u.ID, "action", action)
	http.Redirect(w, r, "/admin/users?done="+action, http.StatusSeeOther)
	return nil
}

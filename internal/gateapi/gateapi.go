// Package gateapi is the server side of gate mode: the two endpoints a gate
// device calls, authenticated by a device token scoped to one gate
// (store.NewGateToken, revocable with store.RevokeGateTokens):
//
//	GET  /api/gate/bundle?gate=NAME[&since=SEQ]  the gate's replica snapshot (304 when nothing changed since SEQ)
//	POST /api/gate/sync                          check-ins from the gate's outbox, idempotent by event id
//
// Handler returns an http.Handler that the web server mounts at /api/gate/.
package gateapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"muster"
	"muster/internal/store"
)

// MaxBatch is the most check-ins one sync request may carry; gates send
// their outbox in batches of at most this many.
const MaxBatch = 1000

// Options configure Handler.
type Options struct {
	Logger *slog.Logger // nil: slog.Default()
}

// SyncRequest is the body of POST /api/gate/sync.
type SyncRequest struct {
	Gate     string          `json:"gate"`
	CheckIns []store.CheckIn `json:"checkins"`
}

// Handler serves the gate API over s.
func Handler(s *store.Store, opt Options) http.Handler {
	h := &handler{s: s, log: opt.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/gate/bundle", h.bundle)
	mux.HandleFunc("POST /api/gate/sync", h.sync)
	return mux
}

type handler struct {
	s   *store.Store
	log *slog.Logger
}

// auth returns the gate the request's bearer token is for, and checks it
// is the gate the request names.
func (h *handler) auth(r *http.Request, gate string) (string, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return "", muster.Errorf(muster.EUNAUTHORIZED, "gate token required (Authorization: Bearer ...)")
	}
	g, err := h.s.GateOfToken(r.Context(), tok)
	if err != nil {
		return "", err
	}
	if gate != g {
		return "", muster.Errorf(muster.EFORBIDDEN, "this token is for another gate")
	}
	return g, nil
}

func (h *handler) bundle(w http.ResponseWriter, r *http.Request) {
	gate, err := h.auth(r, r.URL.Query().Get("gate"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64); since > 0 {
		seq, err := h.s.LastSeq(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if seq == since {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	snap, err := h.s.GateSnapshot(r.Context(), gate)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

func (h *handler) sync(w http.ResponseWriter, r *http.Request) {
	var req SyncRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20))
	if err := dec.Decode(&req); err != nil {
		h.fail(w, r, muster.Errorf(muster.EINVALID, "bad sync body: %v", err))
		return
	}
	gate, err := h.auth(r, req.Gate)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(req.CheckIns) > MaxBatch {
		h.fail(w, r, muster.Errorf(muster.EINVALID, "at most %d check-ins per request", MaxBatch))
		return
	}
	res, err := h.s.RecordCheckIns(r.Context(), gate, req.CheckIns)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(res.Duplicates) > 0 || len(res.Rejected) > 0 {
		h.log.Warn("gate sync", "gate", gate, "checkins", len(req.CheckIns), "duplicates", len(res.Duplicates), "rejected", len(res.Rejected))
	}
	writeJSON(w, http.StatusOK, res)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

var statusOf = map[string]int{
	muster.EINVALID:      http.StatusBadRequest,
	muster.EUNAUTHORIZED: http.StatusUnauthorized,
	muster.EFORBIDDEN:    http.StatusForbidden,
	muster.ENOTFOUND:     http.StatusNotFound,
	muster.ECONFLICT:     http.StatusConflict,
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := muster.ErrorCode(err)
	status, ok := statusOf[code]
	msg := muster.ErrorMessage(err)
	if !ok {
		status, msg = http.StatusInternalServerError, "internal error"
		// The error text of a store failure names no person: ids at most.
		h.log.Error("gate api", "path", r.URL.Path, "err", err)
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		status = http.StatusRequestEntityTooLarge
	}
	writeJSON(w, status, map[string]string{"error": msg, "code": code})
}

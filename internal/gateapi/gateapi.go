// Package gateapi is the server side of gate mode: the two endpoints a gate
// device calls, authenticated by a device token scoped to one gate
// (store.NewGateToken, revocable with store.RevokeGateTokens):
//
//	GET  /api/gate/bundle?gate=NAME[&since=VERSION]  the gate's replica snapshot (304 when it is still VERSION)
//	POST /api/gate/sync                          check-ins from the gate's outbox, idempotent by event id
//
// Handler returns an http.Handler that the web server mounts at /api/gate/.
package gateapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

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
	h := &handler{s: s, log: opt.Logger, c: &committer{s: s}}
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
	c   *committer
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
	if since := r.URL.Query().Get("since"); since != "" {
		v, err := h.s.GateVersion(r.Context(), gate)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if v == since {
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
	res, err := h.c.record(r.Context(), gate, req.CheckIns)
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

// committer groups the sync requests that arrive while a commit is running
// into the next transaction (group commit), so that 200 gates syncing at
// once cost a few commits, not 200 queued ones. Each request still gets
// its own result; if a grouped transaction fails, its requests are retried
// one by one so that one request cannot fail another's.
type committer struct {
	s       *store.Store
	mu      sync.Mutex
	queue   []*pending
	running bool
}

type pending struct {
	req  store.GateCheckIns
	res  *store.SyncResult
	err  error
	done chan struct{}
}

// maxGroup bounds the check-ins of one grouped transaction.
const maxGroup = 4 * MaxBatch

func (c *committer) record(ctx context.Context, gate string, cis []store.CheckIn) (*store.SyncResult, error) {
	p := &pending{req: store.GateCheckIns{Gate: gate, CheckIns: cis}, done: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, p)
	if !c.running {
		c.running = true
		go c.loop()
	}
	c.mu.Unlock()
	select {
	case <-p.done:
		return p.res, p.err
	case <-ctx.Done():
		// The commit goes on without us; the gate resends and the event
		// ids make that harmless.
		return nil, ctx.Err()
	}
}

// loop commits queued requests until the queue is empty, then exits.
func (c *committer) loop() {
	for {
		c.mu.Lock()
		n, k := 0, 0
		for k < len(c.queue) && (k == 0 || n+len(c.queue[k].req.CheckIns) <= maxGroup) {
			n += len(c.queue[k].req.CheckIns)
			k++
		}
		batch := c.queue[:k:k]
		c.queue = c.queue[k:]
		if len(batch) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.commit(batch)
	}
}

func (c *committer) commit(batch []*pending) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reqs := make([]store.GateCheckIns, len(batch))
	for i, p := range batch {
		reqs[i] = p.req
	}
	res, err := c.s.RecordCheckInsBatch(ctx, reqs)
	if err != nil && len(batch) > 1 {
		for _, p := range batch {
			c.commit([]*pending{p})
		}
		return
	}
	for i, p := range batch {
		if err != nil {
			p.err = err
		} else {
			p.res = res[i]
		}
		close(p.done)
	}
}

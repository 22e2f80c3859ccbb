package gate

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"muster/internal/mrz"
	"muster/internal/pass"
	"muster/internal/store"
	"muster/internal/vault"
)

// Config configures a gate device. Nothing below main reads flags or the
// environment: the command fills this in.
type Config struct {
	Server string // the muster server's base URL; "" to run from OfflineFrom alone
	Gate   string // this gate's name
	Token  string // the gate device token (muster gates token NAME)
	DB     string // the replica file
	// KeyFile holds the key-encryption key that wraps the replica's data
	// key (default DB + ".key"; keep it on other media in production).
	// Open creates it (mode 0600) when missing and KEK is nil; Purge
	// destroys it.
	KeyFile string
	// KEK, when set, is KeyFile's key already read by the caller (the
	// command reads it to say on stderr when it created one).
	KEK         []byte
	Addr        string // where the officer's page listens; default 127.0.0.1:8089
	OfflineFrom string // a sealed bundle file (muster gates bundle NAME) to load at start
	OfflineKey  string // the key that opens it, printed by muster gates bundle
	Client      *http.Client
	SyncEvery   time.Duration    // default 5s
	Batch       int              // check-ins per sync request; default 500
	Grace       time.Duration    // accepted before and after a window; default 15m
	Now         func() time.Time // default time.Now
	Logger      *slog.Logger
	// Listener, when set, is used instead of listening on Addr (tests).
	Listener net.Listener
	// Ready is called with the page's address once it serves.
	Ready func(addr string)
	// PurgeAfterOffline, when set, destroys the replica once the device
	// has not reached the server for that long: a gate laptop lost or
	// seized out of contact erases what it holds. A revoked device token
	// (the server's 401) purges at once.
	PurgeAfterOffline time.Duration
}

// ErrPurged is what Serve returns after the device destroyed its replica.
var ErrPurged = errors.New("gate: the replica was purged (device token revoked, or offline too long)")

// ErrTokenRevoked means the server refused the device token.
var ErrTokenRevoked = errors.New("the server refused this device's token")

// Gate is an open gate device: its replica, the officer's current case and
// the scanner's partial input.
type Gate struct {
	cfg Config
	r   *replica
	log *slog.Logger

	mu      sync.Mutex
	current string   // pass id of the case being admitted
	lines   []string // MRZ lines typed so far
	last    *Result  // what the page shows
	csrf    string

	started time.Time
	purged  bool

	syncMu   sync.Mutex // one sync at a time
	stMu     sync.Mutex // guards lastSync and lastErr
	lastSync time.Time
	lastErr  string
	skew     time.Duration // this device's clock minus the server's, at the last answer
}

// Open opens (creating) the replica and loads cfg.OfflineFrom when set.
func Open(ctx context.Context, cfg Config) (*Gate, error) {
	if cfg.Gate == "" {
		return nil, errors.New("gate: no gate name")
	}
	if cfg.DB == "" {
		cfg.DB = "gate-" + cfg.Gate + ".db"
	}
	if cfg.KeyFile == "" {
		cfg.KeyFile = cfg.DB + ".key"
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8089"
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = 5 * time.Second
	}
	if cfg.Batch <= 0 || cfg.Batch > 1000 {
		cfg.Batch = 500
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	kek := cfg.KEK
	if kek == nil {
		k, created, err := vault.LoadOrCreateKEK(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("gate: %w", err)
		}
		if created {
			cfg.Logger.Info("gate: created key file (mode 0600); keep it on other media than the replica in production", "key_file", cfg.KeyFile)
		}
		defer vault.Zero(k)
		kek = k
	}
	cfg.KEK = nil // the replica holds the unwrapped data key; the gate needs no other
	r, err := openReplica(ctx, cfg.DB, kek)
	if errors.Is(err, vault.ErrWrongKey) {
		return nil, fmt.Errorf("gate: key file %s does not open replica %s (another device's key file, or the replica was purged): %w", cfg.KeyFile, cfg.DB, err)
	} else if err != nil {
		return nil, err
	}
	g := &Gate{cfg: cfg, r: r, log: cfg.Logger, csrf: store.NewEventID(), started: cfg.Now()}
	if gname, err := r.meta(ctx, "gate"); err != nil {
		r.close()
		return nil, err
	} else if gname != "" && gname != cfg.Gate {
		r.close()
		return nil, fmt.Errorf("gate: replica %s belongs to gate %q, not %q", cfg.DB, gname, cfg.Gate)
	}
	if cfg.OfflineFrom != "" {
		if err := g.LoadFile(ctx, cfg.OfflineFrom); err != nil {
			r.close()
			return nil, err
		}
	}
	return g, nil
}

// Close closes the replica.
func (g *Gate) Close() error { return g.r.close() }

// LoadFile loads a sealed bundle written by `muster gates bundle`, opened
// with cfg.OfflineKey.
func (g *Gate) LoadFile(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	snap, err := OpenBundle(b, g.cfg.OfflineKey, g.cfg.Gate)
	if err != nil {
		return fmt.Errorf("gate: %s: %w", path, err)
	}
	return g.r.load(ctx, snap)
}

// Counts returns the outbox's state.
func (g *Gate) Counts(ctx context.Context) (Counts, error) { return g.r.counts(ctx) }

// Run serves the officer's page and syncs with the server every
// cfg.SyncEvery until ctx ends; with the server unreachable it keeps
// admitting from the replica and catches up when the server returns.
func Run(ctx context.Context, cfg Config) error {
	g, err := Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	return g.Serve(ctx)
}

// Serve serves the page and runs the sync loop until ctx ends.
func (g *Gate) Serve(ctx context.Context) error {
	ln := g.cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", g.cfg.Addr); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: g.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if g.cfg.Ready != nil {
		g.cfg.Ready(ln.Addr().String())
	}
	var wg sync.WaitGroup
	purged := make(chan struct{})
	if g.cfg.Server != "" || g.cfg.PurgeAfterOffline > 0 {
		wg.Go(func() {
			t := time.NewTicker(g.cfg.SyncEvery)
			defer t.Stop()
			for {
				if g.cfg.Server != "" {
					err := g.Sync(ctx)
					if errors.Is(err, ErrTokenRevoked) {
						g.log.Warn("gate device token refused by the server: purging", "gate", g.cfg.Gate)
						g.purgeNow(purged)
						return
					}
					if err != nil && ctx.Err() == nil {
						g.log.Warn("gate sync failed; working from the replica", "gate", g.cfg.Gate, "err", err)
					}
				}
				if g.offlineTooLong() {
					g.log.Warn("gate offline longer than allowed: purging", "gate", g.cfg.Gate, "limit", g.cfg.PurgeAfterOffline.String())
					g.purgeNow(purged)
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	var result error
	select {
	case <-ctx.Done():
	case <-purged:
		result = ErrPurged
	case err := <-errc:
		wg.Wait()
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	wg.Wait()
	return result
}

// offlineTooLong reports whether the device has gone without a successful
// sync (or, never synced, since it started) for longer than allowed.
func (g *Gate) offlineTooLong() bool {
	if g.cfg.PurgeAfterOffline <= 0 {
		return false
	}
	g.stMu.Lock()
	last := g.lastSync
	g.stMu.Unlock()
	if last.IsZero() {
		last = g.started
	}
	return g.cfg.Now().Sub(last) > g.cfg.PurgeAfterOffline
}

func (g *Gate) purgeNow(done chan struct{}) {
	if err := g.Purge(); err != nil {
		g.log.Error("gate purge failed", "gate", g.cfg.Gate, "err", err)
	}
	close(done)
}

// Purge destroys the replica: it closes the database, forgets the data
// key and the decrypted passes held in memory, and overwrites and removes
// the replica's files (the main file, the write-ahead log and its index)
// and its key file. Check-ins not yet synced are lost with it; that is the
// point when a device is seized. Scans after a purge are refused.
func (g *Gate) Purge() error {
	g.syncMu.Lock()
	defer g.syncMu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.purged {
		return nil
	}
	g.purged = true
	g.r.close()
	return PurgeFiles(g.cfg.DB, g.cfg.KeyFile)
}

// PurgeFiles overwrites and removes a replica's files and its key file
// (keyFile "" means the default, db + ".key"). Either alone would do, as
// the data key is kept only wrapped inside the replica; both go so that
// nothing on the device is left to try.
func PurgeFiles(db, keyFile string) error {
	if keyFile == "" {
		keyFile = db + ".key"
	}
	var errs []error
	for _, f := range []string{db, db + "-wal", db + "-shm", db + "-journal", keyFile} {
		errs = append(errs, vault.DestroyKeyFile(f))
	}
	return errors.Join(errs...)
}

// Sync sends the outbox (in batches, each acknowledged before the next) and
// then pulls the gate's snapshot. Every step is safe to repeat: the server
// keys check-ins by the event id minted here.
func (g *Gate) Sync(ctx context.Context) error {
	g.syncMu.Lock()
	defer g.syncMu.Unlock()
	err := g.push(ctx)
	if err == nil {
		err = g.pull(ctx)
	}
	g.stMu.Lock()
	defer g.stMu.Unlock()
	if err != nil {
		g.lastErr = err.Error()
		return err
	}
	g.lastErr, g.lastSync = "", g.cfg.Now()
	return nil
}

func (g *Gate) request(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	u, err := url.JoinPath(g.cfg.Server, path)
	if err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	if method == http.MethodGet {
		u += "?gate=" + url.QueryEscape(g.cfg.Gate)
		if v, _ := g.r.meta(ctx, "version"); v != "" {
			u += "&since=" + url.QueryEscape(v)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+g.cfg.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	// Windows are judged by this device's clock: say so when it is off.
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		skew := g.cfg.Now().Sub(d)
		g.stMu.Lock()
		g.skew = skew
		g.stMu.Unlock()
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
		defer resp.Body.Close()
		var e struct{ Error string }
		json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&e)
		if resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("%s %s: %w: %s", method, path, ErrTokenRevoked, e.Error)
		}
		return nil, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, e.Error)
	}
	return resp, nil
}

func (g *Gate) push(ctx context.Context) error {
	for {
		cis, err := g.r.pending(ctx, g.cfg.Batch)
		if err != nil || len(cis) == 0 {
			return err
		}
		body, err := json.Marshal(map[string]any{"gate": g.cfg.Gate, "checkins": cis})
		if err != nil {
			return err
		}
		resp, err := g.request(ctx, http.MethodPost, "/api/gate/sync", body)
		if err != nil {
			return err
		}
		var res store.SyncResult
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("sync answer: %w", err)
		}
		if err := g.r.acknowledge(ctx, &res); err != nil {
			return err
		}
		if len(res.Accepted)+len(res.Rejected) == 0 {
			return errors.New("sync: the server acknowledged nothing")
		}
		if len(res.Duplicates) > 0 {
			g.log.Warn("gate sync: people admitted twice (both kept, flagged on the server)", "gate", g.cfg.Gate, "count", len(res.Duplicates))
		}
	}
}

func (g *Gate) pull(ctx context.Context) error {
	resp, err := g.request(ctx, http.MethodGet, "/api/gate/bundle", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return nil
	}
	var snap store.GateSnapshot
	if err := json.NewDecoder(resp.Body).Decode(&snap); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if snap.Gate != g.cfg.Gate {
		return fmt.Errorf("snapshot is for gate %q", snap.Gate)
	}
	return g.r.load(ctx, &snap)
}

// Reasons the page shows, beyond pass.Reason's.
const (
	ReasonFlagged      = "flagged"      // a screening hold: refer to a screener
	ReasonMRZInvalid   = "mrz_invalid"  // a check digit or the layout failed
	ReasonUnknownCase  = "unknown_case" // no pass for that case at this gate
	ReasonNoPass       = "no_pass"      // a document scanned with no case open and none found
	ReasonWaiting      = "waiting"      // more MRZ lines expected
	ReasonNotReady     = "not_ready"    // no bundle yet: sync or load a bundle
	ReasonGateClosed   = "gate_closed"  // the coordinator closed the gate
	ReasonUnrecognised = "unrecognised" // neither pass, MRZ nor case number
	ReasonNoDocument   = "no_document"  // admitted without a document (none on file)
	ReasonNotOnPass    = "document_not_on_pass"
)

// Result is the outcome of one input, as the officer sees it.
type Result struct {
	OK       bool      `json:"ok"`
	Reason   string    `json:"reason,omitempty"`
	Message  string    `json:"message"`
	Pass     *PassView `json:"pass,omitempty"`
	Admitted int       `json:"admitted"` // index of the person just admitted, else -1
}

// PassView is the case being admitted.
type PassView struct {
	PassID  string       `json:"pass_id"`
	CaseID  int64        `json:"case_id"`
	CaseRef string       `json:"case_ref"`
	Start   time.Time    `json:"start"`
	End     time.Time    `json:"end"`
	People  []PersonView `json:"people"`
}

// PersonView is one person on it.
type PersonView struct {
	Index    int    `json:"index"`
	Summary  string `json:"summary"`
	Admitted bool   `json:"admitted"`
	Flagged  bool   `json:"flagged"`
	HasDoc   bool   `json:"has_document"`
}

func view(p *passRow) *PassView {
	v := &PassView{PassID: p.PassID, CaseID: p.CaseID, CaseRef: p.CaseRef, Start: p.Start, End: p.End}
	for _, per := range p.People {
		v.People = append(v.People, PersonView{Index: per.Index, Summary: per.Summary, Admitted: per.Admitted, Flagged: per.Flagged, HasDoc: per.HasDoc})
	}
	return v
}

func red(reason, format string, args ...any) *Result {
	return &Result{Reason: reason, Message: fmt.Sprintf(format, args...), Admitted: -1}
}

// reasonText is what the officer reads for each refusal.
var reasonText = map[string]string{
	string(pass.ReasonMalformed):    "not a muster pass (or a bad scan): scan again",
	string(pass.ReasonUnknownKey):   "bad signature: forged or from another operation. Do not admit",
	string(pass.ReasonBadSignature): "bad signature: altered or forged. Do not admit",
	string(pass.ReasonRevoked):      "revoked pass. Do not admit",
	string(pass.ReasonWrongGate):    "wrong gate",
	string(pass.ReasonExpired):      "expired pass",
	string(pass.ReasonTooEarly):     "too early",
	string(pass.ReasonTooLate):      "too late",
	string(pass.ReasonUsed):         "already used: everyone on this pass has been admitted",
	ReasonFlagged:                   "flagged: refer to screener. Do not admit",
}

func refusal(err error) *Result {
	r := string(pass.ReasonOf(err))
	msg := reasonText[r]
	var pe *pass.Error
	if errors.As(err, &pe) && pe.Detail != "" {
		msg += " (" + pe.Detail + ")"
	}
	return red(r, "%s", msg)
}

// Scan handles one line from the scanner or the keyboard: a pass's QR
// payload, a line of a passport or ID card MRZ (the device waits for the
// remaining lines), a whole MRZ, or a case number. A document scanned with
// a case open admits that person when the document is bound to the pass.
func (g *Gate) Scan(ctx context.Context, input string) *Result {
	g.mu.Lock()
	purged := g.purged
	g.mu.Unlock()
	if purged {
		return red("purged", "this device purged its data: it cannot admit anyone")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	res, err := g.scan(ctx, strings.TrimSpace(input))
	if err != nil {
		g.log.Error("gate scan", "gate", g.cfg.Gate, "err", err)
		res = red("error", "the gate device failed (%s): try again", "replica error")
	}
	g.last = res
	return res
}

func (g *Gate) scan(ctx context.Context, in string) (*Result, error) {
	b := g.r.bundle()
	if b == nil {
		return red(ReasonNotReady, "this gate has no pass list yet: connect to the server or load a bundle"), nil
	}
	if g.r.isClosed() {
		return red(ReasonGateClosed, "this gate is closed by the coordinator: admit nobody"), nil
	}
	up := strings.ToUpper(in)
	switch {
	case in == "":
		return red(ReasonUnrecognised, "nothing scanned"), nil
	case strings.HasPrefix(up, pass.Prefix45) || strings.HasPrefix(in, pass.Prefix64):
		g.lines = nil
		return g.scanPass(ctx, b, in)
	case isMRZText(up):
		return g.scanMRZ(ctx, b, up)
	}
	if id, ok := store.ParseCaseRef(in); ok {
		g.lines = nil
		return g.openCase(ctx, id)
	}
	if g.current != "" && len(store.NormDoc(in)) >= 4 {
		return g.typedDocument(ctx, b, in)
	}
	return red(ReasonUnrecognised, "not a pass, an MRZ or a case number"), nil
}

func (g *Gate) scanPass(ctx context.Context, b *pass.Bundle, token string) (*Result, error) {
	now := g.cfg.Now()
	var dbErr error
	c, err := b.Verify(token, pass.Check{Gate: g.cfg.Gate, Now: now, Grace: g.cfg.Grace,
		Revoked: func(id uint64) bool {
			r, err := g.r.revoked(ctx, store.PassIDString(id))
			if err != nil {
				dbErr = err
				return true
			}
			return r
		}})
	if dbErr != nil {
		return nil, dbErr
	}
	if err != nil {
		return refusal(err), nil
	}
	p, err := g.r.passByID(ctx, store.PassIDString(c.PassID))
	if err != nil {
		return nil, err
	}
	if p == nil || len(p.People) != len(c.People) {
		return red(ReasonUnknownCase, "genuine pass, but its case is not in this gate's list yet (or was moved): sync, or send to the coordinator"), nil
	}
	for i := range p.People {
		if !hmac.Equal(p.People[i].Hash[:], c.People[i][:]) {
			return red(string(pass.ReasonBadSignature), "pass does not match this gate's list: send to the coordinator"), nil
		}
	}
	return g.open(p)
}

// open makes p the current case after the checks that need no signature.
func (g *Gate) open(p *passRow) (*Result, error) {
	for _, per := range p.People {
		if per.Flagged {
			g.current = ""
			r := red(ReasonFlagged, "%s", reasonText[ReasonFlagged])
			return r, nil
		}
	}
	left := 0
	for _, per := range p.People {
		if !per.Admitted {
			left++
		}
	}
	if left == 0 {
		g.current = ""
		r := red(string(pass.ReasonUsed), "%s", reasonText[string(pass.ReasonUsed)])
		r.Pass = view(p)
		return r, nil
	}
	g.current = p.PassID
	return &Result{OK: true, Message: fmt.Sprintf("case %s: %d of %d to admit. Scan each person's passport or ID card", p.CaseRef, left, len(p.People)),
		Pass: view(p), Admitted: -1}, nil
}

// window checks a replica pass (opened by case number or document, with no
// signed token in hand) as Verify checks a token.
func (g *Gate) window(ctx context.Context, p *passRow) (*Result, error) {
	rev, err := g.r.revoked(ctx, p.PassID)
	if err != nil {
		return nil, err
	}
	now := g.cfg.Now()
	switch {
	case rev:
		return red(string(pass.ReasonRevoked), "%s", reasonText[string(pass.ReasonRevoked)]), nil
	case now.Before(p.Start.Add(-g.cfg.Grace)):
		return red(string(pass.ReasonTooEarly), "too early (window opens %s)", p.Start.Format(time.RFC3339)), nil
	case now.After(p.End.Add(g.cfg.Grace)):
		return red(string(pass.ReasonTooLate), "too late (window closed %s)", p.End.Format(time.RFC3339)), nil
	}
	return nil, nil
}

func (g *Gate) openCase(ctx context.Context, caseID int64) (*Result, error) {
	p, err := g.r.passByCase(ctx, caseID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		g.current = ""
		return red(ReasonUnknownCase, "case %s is not called to this gate", store.CaseRef(caseID)), nil
	}
	if r, err := g.window(ctx, p); r != nil || err != nil {
		g.current = ""
		return r, err
	}
	return g.open(p)
}

// isMRZText reports whether s looks like MRZ text: the MRZ alphabet only,
// at least one filler, and a line length a document uses.
func isMRZText(s string) bool {
	if !strings.Contains(s, "<") {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '<' || r == '\n' || r == '\r') {
			return false
		}
	}
	return true
}

func (g *Gate) scanMRZ(ctx context.Context, b *pass.Bundle, in string) (*Result, error) {
	for _, l := range strings.FieldsFunc(in, func(r rune) bool { return r == '\n' || r == '\r' }) {
		g.lines = append(g.lines, l)
	}
	text := strings.Join(g.lines, "\n")
	total := len(strings.Join(g.lines, ""))
	complete := false
	switch {
	case len(g.lines) == 1 && (total == 88 || total == 90 || total == 72):
		complete = true
	case len(g.lines) == 2 && total == 88, len(g.lines) == 3 && total == 90, len(g.lines) == 2 && total == 72:
		complete = true
	case len(g.lines) < 3 && (total == 30 || total == 60 || total == 44 || total == 36):
		r := red(ReasonWaiting, "MRZ line %d read: scan the rest of the document", len(g.lines))
		if p, _ := g.r.passByID(ctx, g.current); p != nil {
			r.Pass = view(p)
		}
		return r, nil
	}
	g.lines = nil
	if !complete {
		return red(ReasonMRZInvalid, "could not read the MRZ (wrong length): scan again"), nil
	}
	m, err := mrz.ParseText(g.cfg.Now(), text)
	if err != nil {
		return red(ReasonMRZInvalid, "could not read the MRZ: scan again"), nil
	}
	if !m.Valid {
		return red(ReasonMRZInvalid, "document check failed (%s): inspect the document, scan again", strings.Join(m.Errors, ", ")), nil
	}
	return g.document(ctx, b, m.DocumentNumber, "mrz")
}

func (g *Gate) typedDocument(ctx context.Context, b *pass.Bundle, number string) (*Result, error) {
	return g.document(ctx, b, number, "typed")
}

// document admits the holder of a document number: on the current case
// when one is open, else on whichever pass at this gate binds it.
func (g *Gate) document(ctx context.Context, b *pass.Bundle, number, method string) (*Result, error) {
	hs, err := g.r.hashes(ctx, g.current)
	if err != nil {
		return nil, err
	}
	var (
		last    string
		want    pass.Hash
		refusal *Result
	)
	for _, ph := range hs {
		if ph.passID != last {
			last = ph.passID
			pid, err := store.ParsePassID(ph.passID)
			if err != nil {
				continue
			}
			want = pass.HashDocument(b.DocKey, pid, number)
		}
		if want == (pass.Hash{}) || !hmac.Equal(ph.hash[:], want[:]) {
			continue
		}
		p, err := g.r.passByID(ctx, ph.passID)
		if err != nil {
			return nil, err
		}
		if p == nil || ph.idx >= len(p.People) {
			continue
		}
		if g.current == "" {
			// The document may be on an old pass too (moved, used): a
			// refusal counts only when no other pass admits it.
			r, err := g.window(ctx, p)
			if err != nil {
				return nil, err
			}
			if r == nil {
				if r, err = g.open(p); err != nil {
					return nil, err
				}
				if r.OK {
					return g.admit(ctx, p, ph.idx, method)
				}
			}
			refusal = r
			continue
		}
		return g.admit(ctx, p, ph.idx, method)
	}
	if refusal != nil {
		return refusal, nil
	}
	r := red(ReasonNotOnPass, "this document is not on the pass: do not admit on this pass")
	if g.current == "" {
		r = red(ReasonNoPass, "no pass at this gate holds this document: scan the pass or type the case number")
	} else if p, _ := g.r.passByID(ctx, g.current); p != nil {
		r.Pass = view(p)
	}
	return r, nil
}

func (g *Gate) admit(ctx context.Context, p *passRow, i int, method string) (*Result, error) {
	per := p.People[i]
	if per.Flagged {
		return red(ReasonFlagged, "%s", reasonText[ReasonFlagged]), nil
	}
	if per.Admitted {
		r := red(string(pass.ReasonUsed), "already admitted: person %d of %d (%s)", i+1, len(p.People), per.Summary)
		r.Pass = view(p)
		return r, nil
	}
	wrote, err := g.r.admit(ctx, p, i, method, g.cfg.Now())
	if err != nil {
		return nil, err
	}
	if !wrote {
		r := red(string(pass.ReasonUsed), "already admitted: person %d of %d", i+1, len(p.People))
		r.Pass = view(p)
		return r, nil
	}
	p2, err := g.r.passByID(ctx, p.PassID)
	if err != nil {
		return nil, err
	}
	left := 0
	for _, q := range p2.People {
		if !q.Admitted {
			left++
		}
	}
	msg := fmt.Sprintf("ADMIT person %d of %d (%s)", i+1, len(p.People), per.Summary)
	if left == 0 {
		msg += ": case complete"
		g.current = ""
	} else {
		msg += fmt.Sprintf(": %d still to come", left)
	}
	return &Result{OK: true, Message: msg, Pass: view(p2), Admitted: i}, nil
}

// AdmitWithoutDocument admits person idx of the current case when no
// document is on file for them: an officer's decision, recorded as such.
func (g *Gate) AdmitWithoutDocument(ctx context.Context, passID string, idx int) *Result {
	g.mu.Lock()
	defer g.mu.Unlock()
	res, err := func() (*Result, error) {
		if passID != g.current {
			return red(ReasonNoPass, "open the case first (scan its pass or type its number)"), nil
		}
		p, err := g.r.passByID(ctx, passID)
		if err != nil || p == nil {
			return red(ReasonUnknownCase, "case not in this gate's list"), err
		}
		if idx < 0 || idx >= len(p.People) || p.People[idx].HasDoc {
			return red(ReasonNotOnPass, "this person has a document on file: scan it"), nil
		}
		return g.admit(ctx, p, idx, ReasonNoDocument)
	}()
	if err != nil {
		g.log.Error("gate admit", "gate", g.cfg.Gate, "err", err)
		res = red("error", "the gate device failed: try again")
	}
	g.last = res
	return res
}

// Clear closes the current case.
func (g *Gate) Clear() {
	g.mu.Lock()
	g.current, g.lines, g.last = "", nil, nil
	g.mu.Unlock()
}

// Status is the device's state for the page and /status.
type Status struct {
	Gate     string    `json:"gate"`
	Counts   Counts    `json:"counts"`
	LastSync time.Time `json:"last_sync"`
	SyncErr  string    `json:"sync_error,omitempty"`
	Online   bool      `json:"online"`
	// ClockSkew is set when this device's clock is more than two minutes
	// off the server's: windows would be judged wrongly.
	ClockSkew string `json:"clock_skew,omitempty"`
}

func (g *Gate) status(ctx context.Context) Status {
	c, _ := g.r.counts(ctx)
	g.stMu.Lock()
	defer g.stMu.Unlock()
	st := Status{Gate: g.cfg.Gate, Counts: c, LastSync: g.lastSync, SyncErr: g.lastErr, Online: g.lastErr == "" && !g.lastSync.IsZero()}
	if g.skew > 2*time.Minute || g.skew < -2*time.Minute {
		st.ClockSkew = g.skew.Round(time.Second).String()
	}
	return st
}

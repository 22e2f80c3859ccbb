package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"muster"
	"muster/internal/gate"
	"muster/internal/schedule"
	"muster/internal/store"
)

func init() {
	register("gates", "gate administration: gates add|list|close|open|set-capacity|token|revoke-tokens|bundle", runGates)
	register("revoke", "revoke a pass (copied or forwarded): its case is called again with a new pass", runRevoke)
}

const gatesSynopsis = `SUBCOMMAND ...
  add NAME --capacity 150 --window 30m --open 06:00-18:00
  list
  close NAME | open NAME
  set-capacity NAME N
  token NAME              print a new gate device token (shown once)
  revoke-tokens NAME      revoke every token of the gate (a lost device)
  bundle NAME --out FILE  write the gate's snapshot, sealed, for muster gate --offline-from
                          (prints the key that opens it, once)`

func runGates(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "gates", gatesSynopsis)
	db, key := addDBFlags(fs)
	capacity := fs.Int("capacity", 150, "people per window")
	window := fs.Duration("window", 30*time.Minute, "window length")
	hours := fs.String("open", "06:00-18:00", "opening hours, local time HH:MM-HH:MM")
	out := fs.String("out", "", "bundle: file to write")
	actor := fs.String("actor", "cli", "who acts, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	sub, rest := pos[0], pos[1:]
	need := map[string]int{"add": 1, "list": 0, "close": 1, "open": 1, "set-capacity": 2, "token": 1, "revoke-tokens": 1, "bundle": 1}
	n, ok := need[sub]
	if !ok || len(rest) != n {
		fs.Usage()
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	switch sub {
	case "add":
		open, close, err := parseHours(*hours)
		if err != nil {
			return err
		}
		if err := s.AddGate(ctx, *actor, store.GateConfig{Name: rest[0], Open: open, Close: close, Window: *window, Capacity: *capacity}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "gate %s: %d people per %s, open %s\n", rest[0], *capacity, *window, *hours)
	case "list":
		gs, err := s.Gates(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "GATE\tOPEN\tWINDOW\tCAPACITY\tSTATE")
		for _, g := range gs {
			state := "open"
			if g.Closed {
				state = "CLOSED"
			}
			fmt.Fprintf(tw, "%s\t%s-%s\t%s\t%d\t%s\n", g.Name, hhmm(g.Open), hhmm(g.Close), g.Window, g.Capacity, state)
		}
		return tw.Flush()
	case "close", "open":
		if err := s.SetGateClosed(ctx, *actor, rest[0], sub == "close"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "gate %s %sed; run muster plan to move the cases called to it\n", rest[0], strings.TrimSuffix(sub, "e"))
	case "set-capacity":
		var c int
		if _, err := fmt.Sscan(rest[1], &c); err != nil {
			return fmt.Errorf("capacity %q is not a number", rest[1])
		}
		if err := s.SetGateCapacity(ctx, *actor, rest[0], c); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "gate %s: %d people per window; run muster plan to apply\n", rest[0], c)
	case "token":
		tok, err := s.NewGateToken(ctx, *actor, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, tok)
	case "revoke-tokens":
		n, err := s.RevokeGateTokens(ctx, *actor, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked %d token(s) of gate %s\n", n, rest[0])
	case "bundle":
		if *out == "" {
			return fmt.Errorf("bundle: name the file with --out")
		}
		snap, err := s.GateSnapshot(ctx, rest[0])
		if err != nil {
			return err
		}
		b, bundleKey, err := gate.SealBundle(snap)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o600); err != nil {
			return err
		}
		if err := s.AppendEvent(ctx, &muster.Event{Actor: *actor, Type: muster.EventExport, Data: mustJSON(map[string]any{"what": "gate bundle", "gate": rest[0], "passes": len(snap.Passes)})}); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wrote %s: %d passes for gate %s, sealed\n", *out, len(snap.Passes), rest[0])
		fmt.Fprintf(env.Stdout, "bundle key (shown once; give it to the gate officer apart from the file, for muster gate --bundle-key):\n%s\n", bundleKey)
	}
	return nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func hhmm(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// parseHours reads "06:00-18:00".
func parseHours(s string) (open, close time.Duration, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		if open, err = parseClock(a); err == nil {
			close, err = parseClock(b)
		}
	}
	if !ok || err != nil || close <= open {
		return 0, 0, fmt.Errorf("--open %q: want HH:MM-HH:MM, closing after opening", s)
	}
	return open, close, nil
}

func parseClock(s string) (time.Duration, error) {
	var h, m int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m > 0) {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// parseWhen reads a time: RFC 3339, or "2006-01-02 15:04" / "2006-01-02T15:04"
// in the operation's local time (Kabul).
func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, schedule.Kabul); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want 2026-08-20T14:30:00Z or 2026-08-20 19:00 (Kabul)", s)
}

func runRevoke(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "revoke", "PASSID [--reason TEXT] [--db ...]")
	db, key := addDBFlags(fs)
	reason := fs.String("reason", "revoked by coordinator", "why, for the event log")
	actor := fs.String("actor", "cli", "who acts, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	id, err := store.ParsePassID(pos[0])
	if err != nil {
		return err
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RevokePass(ctx, *actor, id, *reason); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "pass %s revoked; gates refuse it from their next sync\n", store.PassIDString(id))
	return nil
}

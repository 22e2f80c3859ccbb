package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"muster/internal/mrz"
)

func init() {
	register("mrz", "parse a passport or ID card MRZ and verify its check digits", runMRZ)
}

// runMRZ prints the parsed MRZ as JSON and exits 1 when it is not valid, so
// that scripts can rely on the exit code alone. A single argument holding the
// lines separated by newlines is accepted too, as a scanner pastes them.
func runMRZ(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "mrz", "LINE1 LINE2 [LINE3]")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 1 && strings.ContainsAny(pos[0], "\r\n"):
	case len(pos) == 2 || len(pos) == 3:
	default:
		fs.Usage()
		return errUsage
	}
	m, err := mrz.ParseText(time.Now(), strings.Join(pos, "\n"))
	if err != nil {
		// Not laid out as an MRZ at all: still answer in JSON so that a
		// caller parsing stdout sees valid=false.
		m = &mrz.MRZ{Errors: []string{"format"}}
		fmt.Fprintf(env.Stderr, "muster mrz: %v\n", err)
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	if !m.Valid {
		return exitError{1}
	}
	return nil
}

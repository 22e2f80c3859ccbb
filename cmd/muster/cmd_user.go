package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/skip2/go-qrcode"

	"muster/internal/auth"
	"muster/internal/store"
)

func init() {
	register("user", "manage accounts: user add|totp|signout", runUser)
}

const userSynopsis = `add NAME --role ROLE [--partner ORG] [--gate NAME] [--password-file F] [--totp] [--db ...]
       muster user totp NAME [--db ...]        (enrol, or re-enrol, a second factor)
       muster user signout NAME [--db ...]     (revoke every session of NAME)

roles: ` + "admin, coordinator, caseworker, screener, gate, partner" + `
Without --password-file the password is read from the first line of standard input.`

func runUser(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "usage: muster user %s\n", userSynopsis)
		return errUsage
	}
	switch args[0] {
	case "add":
		return runUserAdd(ctx, env, args[1:])
	case "totp":
		return runUserTOTP(ctx, env, args[1:])
	case "signout":
		return runUserSignout(ctx, env, args[1:])
	case "-h", "--help", "help":
		fmt.Fprintf(env.Stderr, "usage: muster user %s\n", userSynopsis)
		return nil
	}
	fmt.Fprintf(env.Stderr, "muster user: unknown subcommand %q\nusage: muster user %s\n", args[0], userSynopsis)
	return errUsage
}

func runUserAdd(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "user add", "NAME --role ROLE [--partner ORG] [--gate NAME] [--password-file F | password on stdin] [--totp]")
	db, key := addDBFlags(fs)
	role := fs.String("role", "", "role: "+strings.Join(auth.Roles, ", "))
	partner := fs.String("partner", "", "organisation (source name) a partner account belongs to; it sees only what that source submitted")
	gate := fs.String("gate", "", "gate a gate account serves")
	pwFile := fs.String("password-file", "", "file whose first line is the password (default: first line of standard input)")
	withTOTP := fs.Bool("totp", false, "enrol a TOTP second factor and print its otpauth:// URI")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	name := strings.TrimSpace(pos[0])
	if name == "" || strings.ContainsAny(name, " \t\r\n:") {
		return fmt.Errorf("account name %q: use letters, digits, dots or dashes, no spaces or colons", pos[0])
	}
	if err := auth.CheckAccount(*role, *partner, *gate); err != nil {
		return err
	}
	pw, err := readPassword(env, *pwFile)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	u := &store.User{Name: name, Role: *role, Partner: *partner, Gate: *gate, PassHash: hash}
	var uri string
	if *withTOTP {
		if u.TOTPSecret, uri, err = auth.NewTOTP("muster", name); err != nil {
			return err
		}
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.AddUser(ctx, "cli", u); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "added %s (%s", name, *role)
	if *partner != "" {
		fmt.Fprintf(env.Stdout, ", partner %s", *partner)
	}
	if *gate != "" {
		fmt.Fprintf(env.Stdout, ", gate %s", *gate)
	}
	fmt.Fprintln(env.Stdout, ")")
	if uri != "" {
		printEnrolment(env, uri)
	} else if auth.NeedsSecondFactor(*role) {
		fmt.Fprintf(env.Stderr, "muster: %s has no second factor; enrol one with: muster user totp %s\n", name, name)
	}
	return nil
}

// printEnrolment prints the otpauth URI and, for a phone to scan, the same
// URI as a QR code drawn in text.
func printEnrolment(env *Env, uri string) {
	fmt.Fprintf(env.Stdout, "TOTP enrolment URI (scan or paste into an authenticator app; it is shown only now):\n%s\n", uri)
	if q, err := qrcode.New(uri, qrcode.Medium); err == nil {
		fmt.Fprint(env.Stdout, q.ToSmallString(false))
	}
}

func runUserTOTP(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "user totp", "NAME")
	db, key := addDBFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := s.UserByName(ctx, pos[0])
	if err != nil {
		return err
	}
	secret, uri, err := auth.NewTOTP("muster", u.Name)
	if err != nil {
		return err
	}
	if err := s.SetTOTP(ctx, "cli", u.ID, secret); err != nil {
		return err
	}
	printEnrolment(env, uri)
	return nil
}

func runUserSignout(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "user signout", "NAME")
	db, key := addDBFlags(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := s.UserByName(ctx, pos[0])
	if err != nil {
		return err
	}
	if err := s.RevokeUserSessions(ctx, u.ID); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "every session of %s is revoked\n", u.Name)
	return nil
}

// readPassword reads the first line of the file, or of standard input.
func readPassword(env *Env, file string) (string, error) {
	var sc *bufio.Scanner
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		sc = bufio.NewScanner(f)
	} else {
		if f, ok := env.Stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				// No dependency to turn echo off: say so, and point to the file.
				fmt.Fprint(env.Stderr, "password (it shows as you type; --password-file avoids that): ")
			}
		}
		sc = bufio.NewScanner(env.Stdin)
	}
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", err
		}
		return "", fmt.Errorf("no password given: pass --password-file or write it on standard input")
	}
	pw := strings.TrimRight(sc.Text(), "\r")
	if len(pw) < auth.MinPasswordLen {
		return "", fmt.Errorf("password too short: use at least %d characters", auth.MinPasswordLen)
	}
	return pw, nil
}

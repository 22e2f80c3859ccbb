package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"muster"
	"muster/internal/store"
)

func init() {
	register("stage", "move people or whole cases to a stage (one event each)", runStage)
}

func runStage(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "stage", "STAGE (--person ID,... | --case REF,... | --from STAGE) [--reason TEXT] [--db ...]")
	db, key := addDBFlags(fs)
	persons := fs.String("person", "", "comma-separated person ids")
	cases := fs.String("case", "", "comma-separated case numbers (C-000042); moves every member")
	from := fs.String("from", "", "move everyone now at this stage")
	reason := fs.String("reason", "", "why, for the event log")
	actor := fs.String("actor", "cli", "who decides, for the event log")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	to := muster.Stage(pos[0])
	if !to.Valid() {
		var names []string
		for _, s := range muster.Stages {
			names = append(names, string(s))
		}
		return fmt.Errorf("unknown stage %q: one of %s", pos[0], strings.Join(names, ", "))
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	var ids []int64
	for _, f := range splitIDs(*persons) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return fmt.Errorf("--person: %q is not a person id", f)
		}
		ids = append(ids, id)
	}
	for _, f := range splitIDs(*cases) {
		cid, ok := store.ParseCaseRef(f)
		if !ok {
			return fmt.Errorf("--case: %q is not a case number", f)
		}
		c, err := s.Case(ctx, store.Scope{}, cid)
		if err != nil {
			return err
		}
		ids = append(ids, c.Members...)
	}
	if *from != "" {
		ps, err := s.People(ctx, store.PeopleFilter{Stage: muster.Stage(*from)})
		if err != nil {
			return err
		}
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("nobody to move: name --person, --case or --from")
	}
	n, err := s.SetStage(ctx, *actor, store.Scope{}, ids, to, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%d people moved to %s (%d already there)\n", n, to, len(ids)-n)
	return nil
}

func splitIDs(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

package main

import (
	"context"
	"fmt"
	"strings"

	"muster"
)

func init() {
	register("operation", "show or set the operation's name and eligibility categories", runOperation)
}

func runOperation(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "operation", "[--name NAME] [--categories a,b,c] [--db ...]")
	db, key := addDBFlags(fs)
	name := fs.String("name", "", "rename the operation")
	cats := fs.String("categories", "", "set the eligibility categories, in priority order, comma-separated (lower-case words joined by _)")
	actor := fs.String("actor", "cli", "who changes it, for the event log")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	if *name != "" {
		if err := s.SetOperationName(ctx, *actor, *name); err != nil {
			return err
		}
	}
	if *cats != "" {
		var cs []muster.Category
		for _, c := range strings.Split(*cats, ",") {
			cs = append(cs, muster.Category(strings.TrimSpace(c)))
		}
		if err := s.SetCategories(ctx, *actor, cs); err != nil {
			return err
		}
	}
	op, err := s.Operation(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(op.Categories))
	for i, c := range op.Categories {
		names[i] = string(c)
	}
	fmt.Fprintf(env.Stdout, "operation: %s\ncategories: %s\n", op.Name, strings.Join(names, ", "))
	return nil
}

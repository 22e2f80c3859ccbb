package main

import (
	"context"
	"fmt"
	"strings"

	"muster"
	"muster/internal/store"
)

func init() {
	register("operation", "show or set the operation's name, eligibility categories and call-forward priorities", runOperation)
}

func runOperation(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "operation", "[--name NAME] [--categories a,b,c] [--weights a=100,b=50] [--vulnerability-weight N] [--db ...]")
	db, key := addDBFlags(fs)
	name := fs.String("name", "", "rename the operation")
	cats := fs.String("categories", "", "set the eligibility categories, in priority order, comma-separated (lower-case words joined by _)")
	weights := fs.String("weights", "", "set call-forward priority weights of categories, comma-separated category=number (higher first; others keep theirs)")
	vulnWeight := fs.Int("vulnerability-weight", -1, "set the weight of one vulnerability point (elderly, infant, declared need, unaccompanied minors)")
	actor := fs.String("actor", "cli", "who changes it, for the event log")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	// Parse before opening the database: a typo costs nothing.
	var catWeights map[muster.Category]int
	if *weights != "" {
		var err error
		if catWeights, err = store.ParseWeights(*weights); err != nil {
			return err
		}
	}
	var vw *int
	if *vulnWeight >= 0 {
		vw = vulnWeight
	} else if *vulnWeight != -1 {
		return fmt.Errorf("--vulnerability-weight %d: use a whole number from 0", *vulnWeight)
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
	if err := s.SetWeights(ctx, *actor, catWeights, vw); err != nil {
		return err
	}
	op, err := s.Operation(ctx)
	if err != nil {
		return err
	}
	w, err := s.Weights(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(op.Categories))
	for i, c := range op.Categories {
		names[i] = string(c)
	}
	fmt.Fprintf(env.Stdout, "operation: %s\ncategories: %s\nweights: %s\nvulnerability weight: %d (per point; at most %d points a case)\n",
		op.Name, strings.Join(names, ", "), strings.ReplaceAll(store.FormatWeights(w, op.Categories), ",", ", "), w.Vulnerability, store.MaxVulnerability)
	return nil
}

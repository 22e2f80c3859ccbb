package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"muster"
	"muster/internal/store"
)

func init() {
	register("status", "count people by category and stage: registered, out, still left", runStatus)
}

func runStatus(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "status", "[--json] [--partner ORG] [--db ...]")
	db, key := addDBFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	partner := fs.String("partner", "", "count only what this partner submitted")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openStore(ctx, env, *db, *key)
	if err != nil {
		return err
	}
	defer s.Close()
	st, err := s.Status(ctx, store.Scope{Partner: *partner})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return writeStatus(env.Stdout, st)
}

// shortStage is a column heading for a stage.
var shortStage = map[muster.Stage]string{
	muster.StageRegistered: "regist", muster.StageResolved: "resolv", muster.StageScreened: "screen",
	muster.StageApproved: "approv", muster.StageCalled: "called", muster.StageCheckedIn: "chk-in",
	muster.StageManifested: "manif", muster.StageDeparted: "depart", muster.StageArrived: "arrive",
	muster.StageWithdrawn: "withdr", muster.StageNoShow: "noshow", muster.StageDenied: "denied",
}

func writeStatus(w io.Writer, st *store.Status) error {
	fmt.Fprintf(w, "%s: %d people (%d registrations)\n", st.Operation, st.Totals.Registered, st.Registrations)
	fmt.Fprintf(w, "registered %d   out %d   still left %d   (withdrawn %d, denied %d, no-show %d)\n",
		st.Totals.Registered, st.Totals.Out, st.Totals.StillLeft, st.Totals.Withdrawn, st.Totals.Denied, st.Totals.NoShow)
	sc := st.Screening
	fmt.Fprintf(w, "screened %d   pending hits %d (%d people)   escalated %d   cleared %d   confirmed matches %d\n",
		sc.Screened, sc.PendingHits, sc.PeoplePending, sc.Escalated, sc.Cleared, sc.Confirmed)
	if st.BacklogHours != nil {
		fmt.Fprintf(w, "backlog clears in %.1f h at the last 24 h rate\n", *st.BacklogHours)
	} else {
		fmt.Fprintln(w, "backlog: nobody departed in the last 24 h")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
	head := []string{"category"}
	for _, s := range st.Stages {
		head = append(head, shortStage[s])
	}
	fmt.Fprintln(tw, strings.Join(append(head, "total"), "\t")+"\t")
	for _, c := range st.Categories {
		row := []string{string(c)}
		total := 0
		for _, s := range st.Stages {
			n := st.Counts[c][s]
			total += n
			row = append(row, fmt.Sprint(n))
		}
		fmt.Fprintln(tw, strings.Join(append(row, fmt.Sprint(total)), "\t")+"\t")
	}
	row := []string{"all"}
	for _, s := range st.Stages {
		row = append(row, fmt.Sprint(st.ByStage[s]))
	}
	fmt.Fprintln(tw, strings.Join(append(row, fmt.Sprint(st.Totals.Registered)), "\t")+"\t")
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprint(w, "\ndeparted per hour, last 24 h:")
	for _, n := range st.Throughput {
		fmt.Fprintf(w, " %d", n)
	}
	fmt.Fprintln(w)
	return nil
}

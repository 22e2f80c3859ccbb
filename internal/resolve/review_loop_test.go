package resolve

import (
	"context"
	"encoding/csv"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

var (
	loopSplink = flag.String("loop.splink", "", "TestReviewerLoop: a Splink demo CSV with its cluster column (historical_50k)")
	loopN      = flag.Int("loop.n", 0, "TestReviewerLoop: answer at most this many review pairs (default all)")
	loopWeight = flag.Float64("loop.weight", 0, "TestReviewerLoop: the labels' prior weight (default LabelPrior)")
)

// readSplinkTruth reads a Splink demo CSV and its cluster column.
func readSplinkTruth(t testing.TB, path string) (*Data, []int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ReadSplink(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "cluster")
	if col < 0 {
		t.Fatalf("%s: no cluster column", path)
	}
	truth := make([]int, 0, len(rows)-1)
	for _, r := range rows[1:] {
		truth = append(truth, atoi(r[col]))
	}
	return d, truth
}

// reviewerLoop runs the loop a crisis team runs: resolve, let reviewers
// answer the review queue (here from the truth, strongest pairs first, at
// most n), resolve again with their answers. It returns the pair F1 before,
// after with the answers as constraints only (labels weigh nothing against
// EM), and after with the answers also refining m.
func reviewerLoop(t *testing.T, d *Data, truth []int, options func(*Data) Options, n int) (before, constraints, refined float64, labels int) {
	t.Helper()
	ctx := context.Background()
	opt := options(d)
	opt.KeepCandidates = true
	res, err := Resolve(ctx, d, opt)
	if err != nil {
		t.Fatal(err)
	}
	_, _, before = pairF1(res.Cluster, truth)
	queue := res.Review(0.5)
	if n > 0 && len(queue) > n {
		queue = queue[:n]
	}
	var must, cannot [][2]int32
	for _, p := range queue {
		if truth[p.I] == truth[p.J] {
			must = append(must, [2]int32{int32(p.I), int32(p.J)})
		} else {
			cannot = append(cannot, [2]int32{int32(p.I), int32(p.J)})
		}
	}
	run := func(weight float64) float64 {
		opt := options(d)
		opt.MustLink, opt.CannotLink, opt.LabelWeight = must, cannot, weight
		res, err := Resolve(ctx, d, opt)
		if err != nil {
			t.Fatal(err)
		}
		p, r, f := pairF1(res.Cluster, truth)
		t.Logf("label weight %g: precision %.4f recall %.4f F1 %.4f (%d labels)", weight, p, r, f, res.Model.Labels)
		return f
	}
	t.Logf("review queue %d pairs from 0.5: answered %d (%d same, %d different)", len(res.Review(0.5)), len(queue), len(must), len(cannot))
	return before, run(1e12), run(*loopWeight), len(must)
}

// TestReviewerLoop: reviewers' answers to the queue make the next run
// better, never worse; the labels' share of the gain (refining m beyond the
// constraints) is logged. On historical_50k when -loop.splink is given.
func TestReviewerLoop(t *testing.T) {
	var d *Data
	var truth []int
	options := SplinkOptions
	if *loopSplink != "" {
		d, truth = readSplinkTruth(t, *loopSplink)
	} else {
		recs, tr := synth(8000, 21)
		d, truth, options = registrations(t, recs), tr, RegistrationOptions
	}
	before, constraints, refined, labels := reviewerLoop(t, d, truth, options, *loopN)
	t.Logf("F1 %.4f before review; %.4f with the answers as constraints; %.4f when %d same-person answers also refine m", before, constraints, refined, labels)
	if refined < before {
		t.Errorf("answering the review queue lowered F1: %.4f -> %.4f", before, refined)
	}
}

package resolve

import (
	"context"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRefineM(t *testing.T) {
	// One field with three levels (exact, close, different); 4 bits per
	// field in a comparison vector, field 1 null throughout.
	g := func(l0 int) uint64 { return uint64(l0) | nullLevel<<4 }
	em := [][]float64{{0.9, 0.08, 0.02}, {0.5, 0.5}}
	cases := []struct {
		name   string
		labels []uint64
		prior  float64
		want   [][]float64
	}{
		{"no labels keep EM's m", nil, 50, em},
		{"labels agreeing with EM change nothing", []uint64{g(0), g(0), g(0), g(0), g(0), g(0), g(0), g(0), g(0), g(1)}, 10,
			[][]float64{{0.9, 0.09, 0.01}, {0.5, 0.5}}},
		{"as many labels as the prior weigh half", []uint64{g(1), g(1), g(1), g(1), g(1), g(2), g(2), g(2), g(2), g(2)}, 10,
			[][]float64{{0.45, 0.29, 0.26}, {0.5, 0.5}}},
		{"a label null on a field says nothing of it", []uint64{nullLevel | nullLevel<<4}, 10, em},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := refineM(em, c.labels, c.prior)
			if d := cmp.Diff(c.want, got, cmpopts.EquateApprox(0, 0.011)); d != "" {
				t.Errorf("refineM (-want +got):\n%s", d)
			}
			for f := range got {
				s := 0.0
				for _, v := range got[f] {
					s += v
				}
				if math.Abs(s-1) > 1e-9 {
					t.Errorf("field %d: m sums to %v", f, s)
				}
			}
		})
	}
}

// Reviewers' "same person" decisions are labels: the matches they label
// (the doubtful ones the model scored low) teach m what a match looks
// like, so true matches the reviewers never saw score higher too, and
// precision holds.
func TestLabelsRefineM(t *testing.T) {
	recs, truth := synth(12000, 13)
	base := resolveRecords(t, recs)
	// True matches among the candidates that the model doubts most.
	var doubted [][2]int32
	for _, ij := range base.Candidates {
		i, j := int(ij>>32), int(ij&0xFFFFFFFF)
		if truth[i] != truth[j] {
			continue
		}
		if _, _, veto := base.Score(i, j); !veto && base.Cluster[i] != base.Cluster[j] {
			doubted = append(doubted, [2]int32{int32(i), int32(j)})
		}
	}
	if len(doubted) < 20 {
		t.Fatalf("only %d doubted true matches: the test needs a noisier population", len(doubted))
	}
	var labelled, unseen [][2]int32
	for k, p := range doubted {
		if k%2 == 0 {
			labelled = append(labelled, p)
		} else {
			unseen = append(unseen, p)
		}
	}
	d := registrations(t, recs)
	opt := RegistrationOptions(d)
	opt.MustLink = labelled
	res, err := Resolve(context.Background(), d, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Model.Labels != len(labelled) || base.Model.Labels != 0 {
		t.Errorf("Labels = %d (no labels: %d), want %d (0)", res.Model.Labels, base.Model.Labels, len(labelled))
	}
	mean := func(r *Result, ps [][2]int32) float64 {
		s := 0.0
		for _, p := range ps {
			w, _, _ := r.Score(int(p[0]), int(p[1]))
			s += w
		}
		return s / float64(len(ps))
	}
	before, after := mean(base, unseen), mean(res, unseen)
	t.Logf("%d labels; unseen doubted matches' mean weight %.2f -> %.2f", len(labelled), before, after)
	if after <= before {
		t.Errorf("unseen doubted matches' mean weight %.2f -> %.2f: labels taught nothing", before, after)
	}
	p0, r0, f0 := pairF1(base.Cluster, truth)
	p1, r1, f1 := pairF1(res.Cluster, truth)
	t.Logf("without labels precision %.4f recall %.4f F1 %.4f; with %.4f %.4f %.4f", p0, r0, f0, p1, r1, f1)
	if p1 < p0-0.005 || f1 < f0 {
		t.Errorf("labels cost quality: precision %.4f -> %.4f, F1 %.4f -> %.4f", p0, p1, f0, f1)
	}
}

// A Linker learns from reviewers between batch runs: each Learn refines
// EM's m with every label given, so the same labels give the same model
// whatever came before, and no labels give EM's m back.
func TestLinkerLearn(t *testing.T) {
	recs, truth := synth(6000, 17)
	d := registrations(t, recs)
	opt := RegistrationOptions(d)
	opt.KeepCandidates = true
	res, err := Resolve(context.Background(), d, opt)
	if err != nil {
		t.Fatal(err)
	}
	var same [][2]int
	for _, ij := range res.Candidates {
		i, j := int(ij>>32), int(ij&0xFFFFFFFF)
		if truth[i] == truth[j] && res.Cluster[i] != res.Cluster[j] {
			same = append(same, [2]int{i, j})
		}
	}
	if len(same) < 5 {
		t.Fatalf("%d missed true matches to label", len(same))
	}
	cluster := make([]int64, len(res.Cluster))
	for i, c := range res.Cluster {
		cluster[i] = int64(c)
	}
	lk, err := NewLinker(d, RegistrationOptions(d), res.Model, cluster)
	if err != nil {
		t.Fatal(err)
	}
	em := res.Model.M
	weight := func() float64 {
		s := 0.0
		for _, p := range same {
			w, _ := lk.score(int32(p[0]), int32(p[1]), 0)
			s += w
		}
		return s / float64(len(same))
	}
	w0 := weight()
	if n := lk.Learn(append(same, [2]int{0, 0}, [2]int{-1, 3}, [2]int{1, 1 << 30})); n != len(same) {
		t.Errorf("Learn used %d labels of %d valid", n, len(same))
	}
	m1 := lk.Model()
	if m1.Labels != len(same) || cmp.Equal(m1.M, em) || !cmp.Equal(m1.EM, em) {
		t.Errorf("after Learn: Labels %d, M changed %v, EM kept %v", m1.Labels, !cmp.Equal(m1.M, em), cmp.Equal(m1.EM, em))
	}
	w1 := weight()
	t.Logf("%d labels: their mean weight %.2f -> %.2f", len(same), w0, w1)
	if w1 <= w0 {
		t.Errorf("labelled matches' mean weight %.2f -> %.2f", w0, w1)
	}
	lk.Learn(same)
	if !cmp.Equal(lk.Model().M, m1.M) {
		t.Error("learning the same labels again changed m")
	}
	if lk.Learn(nil); !cmp.Equal(lk.Model().M, em) || lk.Model().Labels != 0 {
		t.Error("no labels did not give EM's m back")
	}
	if !cmp.Equal(res.Model.M, em) {
		t.Error("Learn changed the batch run's model in place")
	}
}

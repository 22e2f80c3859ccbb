package ops

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"muster"
	"muster/internal/demo"
	"muster/internal/intake"
	"muster/internal/resolve"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// background returns about n registrations of the demo's synthetic
// families, read through intake as an import would read them: a model
// needs a population to learn from (MinModelRecords).
func background(t testing.TB, n int) []muster.Record {
	t.Helper()
	gen := demo.New(demo.Config{Seed: 5, Families: n, DupRate: 0.3})
	var rows []demo.Row
	for r := gen.Next(); r != nil && len(rows) < n; r = gen.Next() {
		rows = append(rows, r...)
	}
	var buf bytes.Buffer
	if err := demo.WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	res, err := intake.Read(&buf, "background.csv", intake.FormatCSV, intake.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rejected) > 0 {
		t.Fatalf("background: %d rows rejected: %v", len(res.Rejected), res.Rejected[0].Error())
	}
	return res.Records
}

func openTestStore(t testing.TB, dsn string) *store.Store {
	t.Helper()
	kek := make([]byte, 32)
	rand.Read(kek)
	s, err := store.Open(context.Background(), dsn, store.Options{KEK: kek})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// family is the fixture of TestResolveInStore without the fourth spelling.
func family() []muster.Record {
	M, F := muster.SexMale, muster.SexFemale
	return []muster.Record{
		rec("webform", "w1", "W1", "principal", "Abdul Rahman", "Rahimi", "Abdul Karim", "", M, 1986, 8, 3, "P01234567", "+93700123456"),
		rec("ngo-alpha", "a1", "A1", "principal", "Abdurrahman", "Rahemi", "Abdulkarim", "عبدالرحمن رحیمی", M, 1986, 8, 3, "P01234567", ""),
		rec("consular", "c1", "C1", "principal", "Abd al-Rahman", "Raheemi", "Abdul Karim", "", M, 1986, 8, 3, "", "+93700123456"),
		rec("webform", "w2", "W1", "child", "Mohammad", "Rahimi", "Abdul Rahman", "", M, 2010, 2, 1, "", ""),
		rec("webform", "w3", "W1", "child", "Ahmad", "Rahimi", "Abdul Rahman", "", M, 2012, 5, 9, "", ""),
		rec("webform", "w4", "W1", "child", "Maryam", "Rahimi", "Abdul Rahman", "", F, 2014, 11, 20, "", ""),
		rec("ngo-alpha", "a9", "A9", "principal", "Mohammad", "Karimi", "Gul", "", M, 1979, 1, 1, "P99887766", ""),
		rec("consular", "c9", "C9", "principal", "Mohammad", "Karimi", "Noor", "", M, 1991, 6, 15, "P11223344", ""),
	}
}

func fourthSpelling() muster.Record {
	return rec("mp-office", "m1", "M1", "principal", "", "", "Abdul Karim", "عبدالرحمن رحیمی", muster.SexMale, 1986, 0, 0, "", "+93700123456")
}

func importAndResolve(t *testing.T, s *store.Store, r *Resolver, recs ...muster.Record) (store.ImportResult, ResolveSummary) {
	t.Helper()
	ctx := context.Background()
	ir, err := s.Import(ctx, "t", recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := r.Resolve(ctx, "resolver", ir.People)
	if err != nil {
		t.Fatal(err)
	}
	return ir, sum
}

func people(t *testing.T, s *store.Store) int {
	t.Helper()
	st, err := s.Status(context.Background(), store.Scope{})
	if err != nil {
		t.Fatal(err)
	}
	return st.Totals.Registered
}

// TestResolveIncremental: the first import is resolved in full and keeps a
// model; a later import of a fourth spelling of a man already resolved from
// three is linked on its own against the people in memory and merges into
// him, as one merge event that undo takes back; the children stay apart.
func TestResolveIncremental(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTestStore(t, dsn)
		bg := background(t, MinModelRecords)
		ir, sum := importAndResolve(t, s, NewResolver(s), append(family(), bg...)...)
		if sum.Incremental || sum.Merged < 2 {
			t.Errorf("first import: %+v, want a full run merging three spellings", sum)
		}
		if m, err := s.ResolveModel(ctx); err != nil || m == nil {
			t.Fatalf("no model kept: %v", err)
		}
		man := ir.People[0]
		// A new process (a CLI import) builds its Linker from the store.
		before := people(t, s)
		ir2, sum := importAndResolve(t, s, NewResolver(s), fourthSpelling())
		t.Logf("%+v", sum)
		if !sum.Incremental || sum.Registrations != 1 || sum.Merged != 1 {
			t.Fatalf("fourth spelling: %+v, want one registration linked incrementally and merged", sum)
		}
		if regs, _ := s.Registrations(ctx, store.Scope{}, man); len(regs) != 4 {
			t.Errorf("Abdul Rahman has %d registrations, want 4", len(regs))
		}
		if n := people(t, s); n != before {
			t.Errorf("%d people, want %d as before", n, before)
		}
		for _, child := range ir.People[3:6] {
			if _, err := s.Person(ctx, "", store.Scope{}, child); err != nil {
				t.Errorf("child %d was merged away: %v", child, err)
			}
		}
		evs, err := s.Events(ctx, store.EventFilter{Type: muster.EventMerged, PersonID: ir2.People[0]})
		if err != nil || len(evs) != 1 {
			t.Fatalf("merge events of the new person: %d, %v", len(evs), err)
		}
		if err := s.Unmerge(ctx, "rev", evs[0].Seq); err != nil {
			t.Fatal(err)
		}
		if n := people(t, s); n != before+1 {
			t.Errorf("%d people after undo, want %d", n, before+1)
		}
		checkResolveConsistent(t, s)
	})
}

// TestResolveIncrementalCannotLink: reviewers' "different people" hold for
// registrations linked on arrival, whether the decision came from undoing
// a merge or from the review queue, and in a Resolver kept between imports
// (a server's) as in a new one.
func TestResolveIncrementalCannotLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTestStore(t, dsn)
		kept := NewResolver(s)
		ir, _ := importAndResolve(t, s, kept, append(family(), background(t, MinModelRecords)...)...)
		man := ir.People[0]
		ir2, sum := importAndResolve(t, s, kept, fourthSpelling())
		if sum.Merged != 1 {
			t.Fatalf("fourth spelling not merged: %+v", sum)
		}
		evs, _ := s.Events(ctx, store.EventFilter{Type: muster.EventMerged, PersonID: ir2.People[0]})
		if len(evs) != 1 {
			t.Fatalf("%d merge events", len(evs))
		}
		// A human undoes the merge: they are two people.
		if err := s.Unmerge(ctx, "rev", evs[0].Seq); err != nil {
			t.Fatal(err)
		}
		fourth := ir2.People[0]
		// A fifth spelling that fits both arrives; it may join one, never
		// bring the two together again.
		fifth := rec("ngo-beta", "b1", "B1", "principal", "Abdulrahman", "Rahimi", "Abdul Kareem", "", muster.SexMale, 1986, 8, 3, "", "+93700123456")
		for name, r := range map[string]*Resolver{"kept": kept, "new": NewResolver(s)} {
			fifth.SourceID = "b-" + name
			_, sum := importAndResolve(t, s, r, fifth)
			t.Logf("%s: %+v", name, sum)
			if !sum.Incremental {
				t.Errorf("%s: not incremental: %+v", name, sum)
			}
			for _, id := range []int64{man, fourth} {
				if _, err := s.Person(ctx, "", store.Scope{}, id); err != nil {
					t.Errorf("%s: person %d was merged away against an undone merge: %v", name, id, err)
				}
			}
		}
		// From the review queue: a reviewer says the next registration is
		// not the man, before it is linked.
		sixth := rec("ngo-gamma", "g1", "G1", "principal", "Abdul Rahman", "Rahimi", "Abdul Karim", "", muster.SexMale, 1986, 8, 3, "P01234567", "")
		ir6, err := s.Import(ctx, "t", []muster.Record{sixth}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddReviews(ctx, "t", []store.ReviewPair{{PersonA: man, PersonB: ir6.People[0], Score: 0.6, Explanation: []byte(`[]`)}}); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rs {
			if p.PersonB == ir6.People[0] || p.PersonA == ir6.People[0] {
				if _, err := s.DecideReview(ctx, "rev", store.Scope{}, p.ID, store.ReviewDifferent, "different tazkira"); err != nil {
					t.Fatal(err)
				}
			}
		}
		sum, err = kept.Resolve(ctx, "resolver", ir6.People)
		if err != nil {
			t.Fatal(err)
		}
		// It may join the fourth spelling's person (nobody said otherwise),
		// never the man.
		regs, err := s.Registrations(ctx, store.Scope{}, man)
		if err != nil {
			t.Fatalf("the man: %v (%+v)", err, sum)
		}
		for _, rg := range regs {
			if rg.Record.Source == sixth.Source {
				t.Errorf("merged into the man against a reviewer's decision: %s/%s (%+v)", rg.Record.Source, rg.Record.SourceID, sum)
			}
		}
		checkResolveConsistent(t, s)
	})
}

// A reviewer's "same person" reaches the Linker's model without a full
// run: the kept Resolver learns it when it sees the decision, a new one
// when it builds its Linker.
func TestResolverLearnsFromReviews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTestStore(t, dsn)
		kept := NewResolver(s)
		importAndResolve(t, s, kept, append(family(), background(t, MinModelRecords)...)...)
		if kept.lk == nil || kept.lk.Model().Labels != 0 {
			t.Fatal("no Linker after the first import, or labels from nowhere")
		}
		regs, regOf := registrationOf(t, s)
		a, b := regs[len(regs)-1].PersonID, regs[len(regs)-2].PersonID
		if a == b || regOf[a] == 0 || regOf[b] == 0 {
			t.Fatalf("people %d and %d: registrations %d and %d", a, b, regOf[a], regOf[b])
		}
		if _, err := s.AddReviews(ctx, "t", []store.ReviewPair{{PersonA: a, PersonB: b, RegA: regOf[a], RegB: regOf[b], Score: 0.6, Explanation: []byte(`[]`)}}); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
		if err != nil || len(rs) == 0 {
			t.Fatalf("reviews %v, %v", rs, err)
		}
		for _, p := range rs {
			if p.RegA == min(regOf[a], regOf[b]) || p.RegA == max(regOf[a], regOf[b]) {
				if _, err := s.DecideReview(ctx, "rev", store.Scope{}, p.ID, store.ReviewSame, "same tazkira"); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, r := range map[string]*Resolver{"kept": kept, "new": NewResolver(s)} {
			next := rec("ngo-delta", "d-"+name, "D-"+name, "principal", "Zarghona", "Sadat", "Wali", "", muster.SexFemale, 1979, 1, 9, "", "")
			if _, sum := importAndResolve(t, s, r, next); !sum.Incremental {
				t.Fatalf("%s: not incremental: %+v", name, sum)
			}
			if got := r.lk.Model().Labels; got != 1 {
				t.Errorf("%s Resolver's model learnt from %d labels, want 1", name, got)
			}
		}
		checkResolveConsistent(t, s)
	})
}

// TestResolveIncrementalFamilies: an import links its registrations a case
// at a time against the people already resolved, so a family registered
// again by another source merges as a family (its children too, who
// match their records only weakly), the only match between two unrelated
// families goes to a reviewer with its registrations named, a sibling is
// never merged into a brother, and a lone registration links as before.
func TestResolveIncrementalFamilies(t *testing.T) {
	M, F := muster.SexMale, muster.SexFemale
	held := []muster.Record{
		rec("ngo-c", "c1", "C-5", "principal", "Sayed Jalal", "Hashimi", "Sayed Kamal", "", M, 1978, 2, 11, "", "+93788123001"),
		rec("ngo-c", "c2", "C-5", "spouse", "Nadia", "Hashimi", "Abdul Qadir", "", F, 1983, 6, 30, "", ""),
		rec("ngo-c", "c3", "C-5", "child", "Fatima", "Hashimi", "Sayed Jalal", "", F, 2009, 4, 2, "", ""),
		rec("ngo-c", "c4", "C-5", "child", "Mustafa", "Hashimi", "Sayed Jalal", "", M, 2012, 9, 17, "", ""),
		rec("ngo-d", "d1", "D-1", "principal", "Mohammad", "Sultani", "", "", M, 1980, 0, 0, "", ""),
		rec("ngo-d", "d2", "D-1", "spouse", "Freshta", "Sultani", "", "", F, 1986, 1, 20, "", ""),
		rec("ngo-d", "d3", "D-1", "child", "Omid", "Sultani", "", "", M, 2012, 8, 8, "", ""),
		rec("ngo-f", "f1", "F-1", "principal", "Zahir", "Wardak", "Gul Agha", "", M, 1962, 3, 3, "", "+93700999888"),
		rec("ngo-f", "f2", "F-1", "child", "Ahmad", "Wardak", "Zahir", "", M, 1990, 6, 15, "P1234567", ""),
		rec("ngo-f", "f3", "F-1", "child", "Mahmood", "Wardak", "Zahir", "", M, 1993, 2, 1, "", ""),
	}
	tests := []struct {
		name   string
		arrive []muster.Record
		same   [][2]string // source ids that end as one person
		apart  [][2]string // and as two
		review [][2]string // pairs queued for a reviewer
	}{{
		name: "a family of four merges as a family",
		// Record by record (before AddCase) the children stayed apart.
		arrive: []muster.Record{
			rec("mp-office", "m1", "M-2", "principal", "Syed Jalal", "Hashemi", "Syed Kamal", "", M, 1978, 2, 11, "", "+93788123001"),
			rec("mp-office", "m2", "M-2", "spouse", "Nadiya", "Hashemi", "Abdulqadir", "", F, 1983, 6, 30, "", ""),
			// Children given without family name, sex or date of birth.
			rec("mp-office", "m3", "M-2", "child", "Fatema", "", "Syed Jalal", "", "", 0, 0, 0, "", ""),
			rec("mp-office", "m4", "M-2", "child", "Mostafa", "", "Syed Jalal", "", "", 0, 0, 0, "", ""),
		},
		same:  [][2]string{{"c1", "m1"}, {"c2", "m2"}, {"c3", "m3"}, {"c4", "m4"}},
		apart: [][2]string{{"c3", "c4"}, {"m1", "m2"}},
	}, {
		name: "the only match between two families is held for review",
		arrive: []muster.Record{
			// Two fathers who share a common name and a birth year, and
			// nothing else.
			rec("webform", "e1", "E-9", "principal", "Mohammad", "Sultani", "", "", "", 1980, 0, 0, "", ""),
			rec("webform", "e2", "E-9", "spouse", "Shakila", "Sultani", "", "", F, 1991, 11, 3, "", ""),
			rec("webform", "e3", "E-9", "child", "Yalda", "Sultani", "", "", F, 2015, 2, 14, "", ""),
		},
		apart: [][2]string{{"d1", "e1"}, {"d2", "e2"}, {"d3", "e3"}},
		// Record by record the fathers merged.
		review: [][2]string{{"d1", "e1"}},
	}, {
		name: "a sibling stays apart from his brothers",
		arrive: []muster.Record{
			rec("consular", "s1", "S-4", "principal", "Zaheer", "Wardag", "Gul Aga", "", M, 1962, 3, 3, "", "+93700999888"),
			rec("consular", "s2", "S-4", "child", "Ahmed", "Wardag", "Zaheer", "", M, 1990, 6, 15, "P1234567", ""),
			rec("consular", "s3", "S-4", "child", "Hamid", "Wardag", "Zaheer", "", M, 1991, 9, 9, "", ""),
		},
		same:  [][2]string{{"f1", "s1"}, {"f2", "s2"}},
		apart: [][2]string{{"f2", "s3"}, {"f3", "s3"}, {"f2", "f3"}},
	}, {
		name:   "a lone registration links on its own",
		arrive: []muster.Record{rec("webform", "w7", "", "principal", "Sayyid Jalal", "Hashimi", "Sayed Kamal", "", M, 1978, 2, 11, "", "")},
		same:   [][2]string{{"c1", "w7"}},
	}}
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTestStore(t, dsn)
		importAndResolve(t, s, NewResolver(s), append(held, background(t, MinModelRecords)...)...)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// A new process each time, as muster import is.
				_, sum := importAndResolve(t, s, NewResolver(s), tt.arrive...)
				if !sum.Incremental {
					t.Fatalf("not linked incrementally: %+v", sum)
				}
				regs, err := s.LiveRegistrations(ctx)
				if err != nil {
					t.Fatal(err)
				}
				type reg struct{ id, person int64 }
				of := map[string]reg{}
				for _, rg := range regs {
					of[rg.Record.SourceID] = reg{rg.RegID, rg.PersonID}
				}
				var failed []string
				for _, p := range tt.same {
					if of[p[0]].person != of[p[1]].person {
						failed = append(failed, "apart "+p[0]+" "+p[1])
					}
				}
				for _, p := range tt.apart {
					if of[p[0]].person == of[p[1]].person {
						failed = append(failed, "merged "+p[0]+" "+p[1])
					}
				}
				rs, err := s.Reviews(ctx, store.ReviewFilter{State: store.ReviewPending})
				if err != nil {
					t.Fatal(err)
				}
				queued := map[[2]int64]bool{}
				for _, q := range rs {
					queued[[2]int64{min(q.RegA, q.RegB), max(q.RegA, q.RegB)}] = true
				}
				for _, p := range tt.review {
					a, b := of[p[0]].id, of[p[1]].id
					if !queued[[2]int64{min(a, b), max(a, b)}] {
						failed = append(failed, "not queued "+p[0]+" "+p[1])
					}
				}
				if diff := cmp.Diff([]string(nil), failed); diff != "" {
					t.Errorf("(-want +got)\n%s\n%+v", diff, sum)
				}
			})
		}
		checkResolveConsistent(t, s)
	})
}

// BenchmarkResolverBuild is what each muster import pays before it links
// anything: the Linker built from the store's registrations (read and
// decrypted, then indexed), on SQLite, for -ops.build registrations; ns/op
// counts the read twice.
func BenchmarkResolverBuild(b *testing.B) {
	ctx := context.Background()
	s := openTestStore(b, storetest.DSN(b, "sqlite"))
	r := NewResolver(s)
	if _, err := r.Resolve(ctx, "t", importAll(b, s, background(b, *buildN))); err != nil {
		b.Fatal(err)
	}
	body, err := s.ResolveModel(ctx)
	if err != nil {
		b.Fatal(err)
	}
	model, err := resolve.LoadModel(body)
	if err != nil {
		b.Fatal(err)
	}
	// The store's read is also timed alone: build's CPU less read's is
	// the Linker's.
	var readCPU, buildCPU time.Duration
	for b.Loop() {
		c := cpuTime()
		if _, err := s.LiveRegistrations(ctx); err != nil {
			b.Fatal(err)
		}
		readCPU += cpuTime() - c
		c = cpuTime()
		r := NewResolver(s)
		if err := r.build(ctx, model); err != nil {
			b.Fatal(err)
		}
		buildCPU += cpuTime() - c
	}
	b.ReportMetric(buildCPU.Seconds()/float64(b.N), "build-cpu-s/op")
	b.ReportMetric(readCPU.Seconds()/float64(b.N), "read-cpu-s/op")
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var buildN = flag.Int("ops.build", 20_000, "BenchmarkResolverBuild: registrations in the store")

func importAll(t testing.TB, s *store.Store, recs []muster.Record) []int64 {
	ir, err := s.Import(context.Background(), "t", recs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ir.People
}

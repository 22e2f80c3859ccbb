package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"muster"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

func newKEK(t testing.TB) []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

func open(t testing.TB, dsn string, kek []byte) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{KEK: kek, OperationName: "test op"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// family returns a case of n people from one source.
func family(source, caseRef string, n int, cat muster.Category) []muster.Record {
	given := []string{"Abdul Rahman", "Fatima", "Mohammad Nabi", "Zahra", "Habibullah", "Maryam"}
	var out []muster.Record
	for i := 0; i < n; i++ {
		rel := "child"
		if i == 0 {
			rel = "principal"
		}
		out = append(out, muster.Record{
			Source: source, SourceID: fmt.Sprintf("%s-%d", caseRef, i), CaseRef: caseRef, Relationship: rel,
			Given: given[i%len(given)], Family: "Rahimi" + caseRef, Father: "Karim", NativeName: "عبدالرحمن رحیمی",
			Sex: muster.SexMale, DOB: muster.Date{Year: 1980 + i, Month: 5, Day: 12, Precision: muster.PrecisionDay},
			Passport: fmt.Sprintf("P%s%03d", caseRef, i), Phones: []string{fmt.Sprintf("+9370012%04d", i)},
			Emails: []string{fmt.Sprintf("rahimi%d@example.org", i)}, Category: cat,
		})
	}
	return out
}

func TestStoreOpenKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := newKEK(t)
		s := open(t, dsn, kek)
		op, err := s.Operation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if op.Name != "test op" || len(op.Categories) != len(muster.DefaultCategories) {
			t.Errorf("operation = %+v", op)
		}
		s.Close()
		// The same key opens it again; another key does not.
		open(t, dsn, kek).Close()
		_, err = store.Open(ctx, dsn, store.Options{KEK: newKEK(t)})
		if muster.ErrorCode(err) != muster.EUNAUTHORIZED {
			t.Errorf("open with wrong key: err = %v, want code %s", err, muster.EUNAUTHORIZED)
		}
	})
}

func TestStoreImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn, newKEK(t))
		recs := append(family("ngo-a", "A1", 4, muster.CategorySIVApplicant), family("ngo-b", "B7", 2, muster.CategoryCitizen)...)
		recs[2].Category = "" // a member without a category travels in the case's
		res, err := s.Import(ctx, "tester", recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(store.ImportResult{Rows: 6, Created: 6, Cases: 2}, res, cmpopts.IgnoreFields(store.ImportResult{}, "People")); diff != "" {
			t.Errorf("first import (-want +got):\n%s", diff)
		}
		// Same rows again: nothing changes.
		res, err = s.Import(ctx, "tester", recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(store.ImportResult{Rows: 6, Unchanged: 6}, res, cmpopts.IgnoreFields(store.ImportResult{}, "People")); diff != "" {
			t.Errorf("re-import (-want +got):\n%s", diff)
		}
		// One changed row updates its person, keeps the old version.
		recs[1].Phones = []string{"+93799000111"}
		res, err = s.Import(ctx, "tester", recs[:2], nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(store.ImportResult{Rows: 2, Updated: 1, Unchanged: 1}, res, cmpopts.IgnoreFields(store.ImportResult{}, "People")); diff != "" {
			t.Errorf("update (-want +got):\n%s", diff)
		}
		ids, err := s.FindBy(ctx, store.Scope{}, "phone", "+93799000111")
		if err != nil || len(ids) != 1 {
			t.Fatalf("FindBy phone = %v, %v", ids, err)
		}
		// The replaced phone no longer finds this person (another family's
		// member has the same number).
		if old, _ := s.FindBy(ctx, store.Scope{}, "phone", "+93700120001"); len(old) != 1 || old[0] == ids[0] {
			t.Errorf("the replaced phone finds %v (updated person %d)", old, ids[0])
		}
		p, err := s.Person(ctx, "tester", store.Scope{}, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if p.Given != "Fatima" || p.Stage != muster.StageRegistered || p.Category != muster.CategorySIVApplicant {
			t.Errorf("person = %+v", p)
		}
		regs, err := s.Registrations(ctx, store.Scope{}, p.ID)
		if err != nil || len(regs) != 1 || regs[0].Version != 2 {
			t.Fatalf("registrations = %+v, %v", regs, err)
		}
		c, err := s.Case(ctx, store.Scope{}, p.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Members) != 4 || c.Partner != "ngo-a" || c.PrincipalID == 0 || c.Category != muster.CategorySIVApplicant {
			t.Errorf("case = %+v", c)
		}
		// Partner scope: ngo-b sees neither the person nor the case.
		if _, err := s.Person(ctx, "", store.Scope{Partner: "ngo-b"}, p.ID); muster.ErrorCode(err) != muster.ENOTFOUND {
			t.Errorf("partner ngo-b read ngo-a's person: %v", err)
		}
		if _, err := s.Case(ctx, store.Scope{Partner: "ngo-b"}, p.CaseID); muster.ErrorCode(err) != muster.ENOTFOUND {
			t.Errorf("partner ngo-b read ngo-a's case: %v", err)
		}
		if all, _ := s.Status(ctx, store.Scope{}); all.Counts[muster.CategorySIVApplicant][muster.StageRegistered] != 4 {
			t.Errorf("SIV applicants = %d, want 4 (the member without a category inherits the case's)", all.Counts[muster.CategorySIVApplicant][muster.StageRegistered])
		}
		st, err := s.Status(ctx, store.Scope{Partner: "ngo-b"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Totals.Registered != 2 || st.Counts[muster.CategoryCitizen][muster.StageRegistered] != 2 {
			t.Errorf("ngo-b status = %+v", st.Totals)
		}
		for _, q := range []struct {
			q    string
			want int
		}{{"PA1001", 1}, {"pa1-001", 1}, {"rahimiA1", 4}, {"Fatima RahimiA1", 1}, {"fatima", 2}, {"rahimi0@example.org", 2}, {store.CaseRef(p.CaseID), 4}, {"nobody", 0}} {
			got, err := s.Search(ctx, store.Scope{}, q.q, 50)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != q.want {
				t.Errorf("Search(%q) found %d, want %d", q.q, len(got), q.want)
			}
		}
	})
}

func TestStoreImportIsAtomic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn, newKEK(t))
		recs := family("ngo-a", "A1", 5, muster.CategoryCitizen)
		recs[3].SourceID = ""
		if _, err := s.Import(ctx, "tester", recs, nil); err == nil {
			t.Fatal("import with a bad record succeeded")
		}
		st, err := s.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Totals.Registered != 0 || st.Registrations != 0 {
			t.Errorf("after failed import: %+v", st.Totals)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n != 1 {
			t.Errorf("VerifyAudit = %d, %v; want only the key event", n, err)
		}
	})
}

func TestStoreStagesAndStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		now := time.Date(2021, 8, 26, 17, 30, 0, 0, time.UTC)
		s, err := store.Open(ctx, dsn, store.Options{KEK: newKEK(t), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Import(ctx, "t", family("ngo-a", "A1", 6, muster.CategoryDualNational), nil); err != nil {
			t.Fatal(err)
		}
		people, err := s.People(ctx, store.PeopleFilter{})
		if err != nil || len(people) != 6 {
			t.Fatalf("People = %d, %v", len(people), err)
		}
		ids := func(ps []*muster.Person) []int64 {
			var out []int64
			for _, p := range ps {
				out = append(out, p.ID)
			}
			return out
		}(people)
		for _, st := range []muster.Stage{muster.StageResolved, muster.StageScreened, muster.StageApproved, muster.StageCalled, muster.StageCheckedIn, muster.StageManifested} {
			if _, err := s.SetStage(ctx, "t", store.Scope{}, ids[:4], st, ""); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(-2 * time.Hour)
		if _, err := s.SetStage(ctx, "t", store.Scope{}, ids[:1], muster.StageDeparted, ""); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Hour)
		if _, err := s.SetStage(ctx, "t", store.Scope{}, ids[1:3], muster.StageDeparted, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStage(ctx, "t", store.Scope{}, ids[5:6], muster.StageWithdrawn, "found another route"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStage(ctx, "t", store.Scope{}, ids[:1], "flying", ""); muster.ErrorCode(err) != muster.EINVALID {
			t.Errorf("unknown stage: err = %v", err)
		}
		st, err := s.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		want := store.Totals{Registered: 6, Out: 3, StillLeft: 2, Withdrawn: 1}
		if diff := cmp.Diff(want, st.Totals); diff != "" {
			t.Errorf("totals (-want +got):\n%s", diff)
		}
		if st.Counts[muster.CategoryDualNational][muster.StageDeparted] != 3 || st.ByStage[muster.StageManifested] != 1 {
			t.Errorf("counts = %v", st.Counts)
		}
		if st.Throughput[23] != 2 || st.Throughput[21] != 1 {
			t.Errorf("throughput = %v", st.Throughput)
		}
		if st.BacklogHours == nil || *st.BacklogHours <= 0 {
			t.Errorf("backlog = %v", st.BacklogHours)
		}
		replay, err := s.ReplayStages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		proj, err := s.ProjectedStages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(proj, replay); diff != "" {
			t.Errorf("event log and projection disagree (-projection +events):\n%s", diff)
		}
	})
}

func TestStoreAuditChain(t *testing.T) {
	tamper := []struct {
		name string
		sql  string
	}{
		{"deleted", `DELETE FROM events WHERE seq = 3`},
		{"edited", `UPDATE events SET actor = 'mallory' WHERE seq = 4`},
		{"reordered", `UPDATE events SET seq = -2 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = -2`},
		{"cut off the end", `DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)`},
		{"stage forged", `UPDATE events SET to_stage = 'departed' WHERE seq = 5`},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, dsn string) {
				ctx := context.Background()
				kek := newKEK(t)
				s := open(t, dsn, kek)
				if _, err := s.Import(ctx, "t", family("ngo-a", "A1", 6, muster.CategoryCitizen), nil); err != nil {
					t.Fatal(err)
				}
				n, err := s.VerifyAudit(ctx)
				if err != nil || n != 7 {
					t.Fatalf("VerifyAudit before tampering = %d, %v", n, err)
				}
				s.Close()
				raw := rawDB(t, dsn)
				for _, stmt := range strings.Split(tc.sql, "; ") {
					if _, err := raw.Exec(stmt); err != nil {
						t.Fatal(err)
					}
				}
				raw.Close()
				s = open(t, dsn, kek)
				_, err = s.VerifyAudit(ctx)
				var ce *store.ChainError
				if !errors.As(err, &ce) {
					t.Fatalf("VerifyAudit after %s: err = %v, want a ChainError", tc.name, err)
				}
				if ce.Seq < 2 || ce.Seq > 7 {
					t.Errorf("broken link at %d", ce.Seq)
				}
			})
		})
	}
}

func rawDB(t testing.TB, dsn string) *sql.DB {
	driver, src := "sqlite", "file:"+dsn
	if store.IsPostgres(dsn) {
		driver, src = "pgx", dsn
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestStoreNoPersonalDataInClear greps the raw database for every personal
// value inserted.
func TestStoreNoPersonalDataInClear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn, newKEK(t))
		recs := family("ngo-a", "Q9", 3, muster.CategoryCitizen)
		if _, err := s.Import(ctx, "t", recs, nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
		dump := dumpAll(t, dsn)
		for _, r := range recs {
			for _, v := range []string{r.Given, r.Family, r.NativeName, r.Passport, r.Phones[0], r.Emails[0], "Karim", "1980-05-12"} {
				if bytes.Contains(dump, []byte(v)) {
					t.Errorf("raw database holds %q in clear", v)
				}
			}
		}
	})
}

// dumpAll returns every byte of the SQLite files, or every PostgreSQL row
// as text.
func dumpAll(t *testing.T, dsn string) []byte {
	if !store.IsPostgres(dsn) {
		var all []byte
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			b, err := os.ReadFile(dsn + suffix)
			if err == nil {
				all = append(all, b...)
			}
		}
		return all
	}
	db := rawDB(t, dsn)
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var all bytes.Buffer
	for _, tb := range tables {
		rows, err := db.Query(`SELECT CAST(t.* AS TEXT) FROM ` + tb + ` t`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			all.WriteString(s)
			all.WriteByte('\n')
		}
		rows.Close()
	}
	return all.Bytes()
}

func TestStorePurge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := newKEK(t)
		s := open(t, dsn, kek)
		if _, err := s.Import(ctx, "t", family("ngo-a", "A1", 2, muster.CategoryCitizen), nil); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if err := store.Purge(ctx, dsn); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(ctx, dsn, store.Options{KEK: kek})
		if muster.ErrorCode(err) != muster.EPURGED {
			t.Fatalf("open after purge: err = %v, want %s", err, muster.EPURGED)
		}
	})
}

func TestStoreConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		kek := newKEK(t)
		open(t, dsn, kek).Close()
		// Two handles on one database, as two processes would have.
		a, b := open(t, dsn, kek), open(t, dsn, kek)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				s := a
				if w%2 == 1 {
					s = b
				}
				for i := 0; i < 5; i++ {
					if _, err := s.Import(ctx, "w", family(fmt.Sprintf("ngo-%d", w), fmt.Sprint(i), 2, muster.CategoryCitizen), nil); err != nil {
						errs <- err
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		st, err := b.Status(ctx, store.Scope{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Totals.Registered != 80 {
			t.Errorf("registered = %d, want 80", st.Totals.Registered)
		}
		if n, err := a.VerifyAudit(ctx); err != nil || n != 81 {
			t.Errorf("VerifyAudit = %d, %v", n, err)
		}
	})
}

func TestStoreRetentionPurgesArrived(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		now := time.Date(2021, 9, 1, 12, 0, 0, 0, time.UTC)
		s, err := store.Open(ctx, dsn, store.Options{KEK: newKEK(t), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		recs := family("ngo-a", "R1", 3, muster.CategoryCitizen)
		ir, err := s.Import(ctx, "t", recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetStage(ctx, "t", store.Scope{}, ir.People[:2], muster.StageArrived, ""); err != nil {
			t.Fatal(err)
		}
		now = now.Add(40 * 24 * time.Hour)
		n, err := s.PurgeArrived(ctx, "retention", now.Add(-30*24*time.Hour))
		if err != nil || n != 2 {
			t.Fatalf("PurgeArrived = %d, %v", n, err)
		}
		p, err := s.Person(ctx, "", store.Scope{}, ir.People[0])
		if err != nil {
			t.Fatal(err)
		}
		if p.Given != "" || len(p.Documents) != 0 || p.Stage != muster.StageArrived {
			t.Errorf("after retention: %+v", p)
		}
		if regs, _ := s.Registrations(ctx, store.Scope{}, p.ID); len(regs) != 1 || regs[0].Record.Given != "" {
			t.Errorf("registration after retention: %+v", regs)
		}
		if ids, _ := s.FindBy(ctx, store.Scope{}, "doc", recs[0].Passport); len(ids) != 0 {
			t.Errorf("purged person still found by document: %v", ids)
		}
		if q, _ := s.Person(ctx, "", store.Scope{}, ir.People[2]); q.Given == "" {
			t.Error("a person who has not arrived lost their data")
		}
		st, _ := s.Status(ctx, store.Scope{})
		if st.Totals.Out != 2 || st.Totals.Registered != 3 {
			t.Errorf("counts after retention: %+v", st.Totals)
		}
		if n, _ := s.PurgeArrived(ctx, "retention", now); n != 0 {
			t.Errorf("second run erased %d again", n)
		}
		if _, err := s.VerifyAudit(ctx); err != nil {
			t.Error(err)
		}
	})
}

// TestStoreGroupCommitOfEvents appends events from many goroutines at
// once: each is acknowledged only once committed, none is lost, and the
// chain stays whole.
func TestStoreGroupCommitOfEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := open(t, dsn, newKEK(t))
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- s.AppendEvent(ctx, &muster.Event{Actor: fmt.Sprintf("user:%d", i), Type: muster.EventRead, PersonID: int64(i + 1)})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		evs, err := s.Events(ctx, store.EventFilter{Type: muster.EventRead})
		if err != nil || len(evs) != 200 {
			t.Fatalf("%d read events, %v", len(evs), err)
		}
		if n, err := s.VerifyAudit(ctx); err != nil || n != 201 {
			t.Errorf("VerifyAudit = %d, %v", n, err)
		}
	})
}

package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"muster/internal/auth"
	"muster/internal/demo"
	"muster/internal/intake"
	"muster/internal/store"
)

// BenchmarkPages renders the main pages over a SQLite operation of about
// 10,000 people from the demo generator, through intake and the store as
// in production. Run: go test -run '^$' -bench Pages ./internal/web
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	dsn := filepath.Join(b.TempDir(), "muster.db")
	kek := make([]byte, 32)
	rand.Read(kek)
	st, err := store.Open(ctx, dsn, store.Options{KEK: kek})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	gen := demo.New(demo.Config{Seed: 7, Families: 3000, DupRate: 0.2})
	var rows []demo.Row
	for r := gen.Next(); r != nil; r = gen.Next() {
		rows = append(rows, r...)
	}
	var buf bytes.Buffer
	if err := demo.WriteCSV(&buf, rows); err != nil {
		b.Fatal(err)
	}
	res, err := intake.Read(&buf, "demo.csv", intake.FormatCSV, intake.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Import(ctx, "bench", res.Records, nil); err != nil {
		b.Fatal(err)
	}
	people, _ := st.People(ctx, store.PeopleFilter{Limit: 1})
	hash, _ := auth.HashPassword(testPassword, fastParams)
	u := &store.User{Name: "coord", Role: auth.RoleCoordinator, PassHash: hash}
	if err := st.AddUser(ctx, "bench", u); err != nil {
		b.Fatal(err)
	}
	tok := auth.Token(32)
	if err := st.CreateSession(ctx, tok, store.Session{UserID: u.ID, CSRF: "x", Expires: time.Now().Add(time.Hour)}); err != nil {
		b.Fatal(err)
	}
	srv := New(Config{Store: st})
	b.Logf("%d registrations, %d rejected", len(res.Records), len(res.Rejected))
	for _, p := range []string{"/dashboard", "/api/status", "/search?q=" + rows[0][5], fmt.Sprintf("/person/%d", people[0].ID), fmt.Sprintf("/case/%d", people[0].CaseID)} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", p, nil)
				req.AddCookie(&http.Cookie{Name: "muster_session", Value: tok})
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%s: %d", p, w.Code)
				}
			}
		})
	}
}

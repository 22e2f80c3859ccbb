package gateapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"muster"
	"muster/internal/gateapi"
	"muster/internal/store"
	"muster/internal/store/storetest"
)

// benchSetup opens a store with one gate, people called to it, and
// devices tokens; it returns the gate's snapshot.
func benchSetup(tb testing.TB, dsn string, people, devices int) (*store.Store, *store.GateSnapshot, []string) {
	tb.Helper()
	ctx := context.Background()
	kek := make([]byte, 32)
	rand.Read(kek)
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	s, err := store.Open(ctx, dsn, store.Options{KEK: kek, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.AddGate(ctx, "c", store.GateConfig{Name: "Abbey", Open: 0, Close: 24 * time.Hour, Window: 12 * time.Hour, Capacity: people}); err != nil {
		tb.Fatal(err)
	}
	recs := make([]muster.Record, people)
	for i := range recs {
		recs[i] = muster.Record{Source: "b", SourceID: fmt.Sprint(i), CaseRef: fmt.Sprint(i / 4), Given: "G", Family: fmt.Sprint("F", i/4), Passport: fmt.Sprintf("B%07d", i)}
	}
	if _, err := s.Import(ctx, "b", recs, nil); err != nil {
		tb.Fatal(err)
	}
	ps, _ := s.People(ctx, store.PeopleFilter{})
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	if _, err := s.SetStage(ctx, "b", store.Scope{}, ids, muster.StageApproved, ""); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Plan(ctx, "c", store.PlanOptions{Days: 1}); err != nil {
		tb.Fatal(err)
	}
	snap, err := s.GateSnapshot(ctx, "Abbey")
	if err != nil {
		tb.Fatal(err)
	}
	toks := make([]string, devices)
	for i := range toks {
		if toks[i], err = s.NewGateToken(ctx, "c", "Abbey"); err != nil {
			tb.Fatal(err)
		}
	}
	return s, snap, toks
}

// BenchmarkGateCheckin has 200 simulated gate devices on loopback each
// send its check-ins one request at a time, as a gate does after each
// admission, and reports the latency percentiles of a sync request. In
// "paced-1s" each device sends one check-in a second (200 a second in all,
// about ten times what 200 gate lanes admit: a person takes well over ten
// seconds at a gate), in "paced-400ms" 500 a second; in "saturated"
// every device sends the next as soon as the last is answered, so latency
// is queueing behind the database's commits.
func BenchmarkGateCheckin(b *testing.B) {
	for _, mode := range []struct {
		name string
		gap  time.Duration
	}{{"paced-1s", time.Second}, {"paced-400ms", 400 * time.Millisecond}, {"saturated", 0}} {
		for _, engine := range storetest.Engines() {
			b.Run(mode.name+"/"+engine, func(b *testing.B) { benchCheckin(b, engine, mode.gap) })
		}
	}
}

func benchCheckin(b *testing.B, engine string, gap time.Duration) {
	{
		{
			const devices, perDevice = 200, 5
			dsn := storetest.DSN(b, engine)
			if engine == "sqlite" {
				dsn = filepath.Join(b.TempDir(), "bench.db")
			}
			s, snap, toks := benchSetup(b, dsn, devices*perDevice, devices)
			srv := httptest.NewServer(gateapi.Handler(s, gateapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
			defer srv.Close()
			type item struct {
				person int64
				pass   string
			}
			var items []item
			for _, p := range snap.Passes {
				for _, per := range p.People {
					items = append(items, item{per.PersonID, p.PassID})
				}
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: devices}}
			// A gate in service syncs every few seconds over a kept-alive
			// connection: one empty sync per device first, unmeasured, so
			// that the figures are the steady state and not 200 TCP
			// handshakes and the server's database pool filling at once.
			var warm sync.WaitGroup
			for d := range devices {
				warm.Go(func() {
					body, _ := json.Marshal(gateapi.SyncRequest{Gate: "Abbey", CheckIns: []store.CheckIn{}})
					req, _ := http.NewRequest("POST", srv.URL+"/api/gate/sync", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+toks[d])
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				})
			}
			warm.Wait()
			var all []time.Duration
			for b.Loop() {
				lat := make([]time.Duration, len(items))
				var wg sync.WaitGroup
				start := time.Now()
				for d := range devices {
					wg.Go(func() {
						// Devices start spread over one gap, as gates would.
						if gap > 0 {
							time.Sleep(time.Duration(d) * gap / devices)
						}
						for k := range perDevice {
							if k > 0 && gap > 0 {
								time.Sleep(gap)
							}
							i := d*perDevice + k
							body, _ := json.Marshal(gateapi.SyncRequest{Gate: "Abbey", CheckIns: []store.CheckIn{{
								EventID: store.NewEventID(), PersonID: items[i].person, PassID: items[i].pass, Method: "mrz", At: time.Now()}}})
							req, _ := http.NewRequest("POST", srv.URL+"/api/gate/sync", bytes.NewReader(body))
							req.Header.Set("Authorization", "Bearer "+toks[d])
							t0 := time.Now()
							resp, err := client.Do(req)
							if err != nil {
								b.Error(err)
								return
							}
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							lat[i] = time.Since(t0)
							if resp.StatusCode != 200 {
								b.Errorf("status %d", resp.StatusCode)
							}
						}
					})
				}
				wg.Wait()
				b.ReportMetric(float64(len(items))/time.Since(start).Seconds(), "checkins/s")
				all = append(all, lat...)
			}
			slices.Sort(all)
			pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(pct(1), "max-ms")
		}
	}
}

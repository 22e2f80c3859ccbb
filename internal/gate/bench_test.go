package gate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"muster/internal/gate"
)

// BenchmarkGateScanCase is a case number typed at the gate: the replica
// lookup of the case's pass and its window check.
func BenchmarkGateScanCase(b *testing.B) {
	e := setup(b)
	g := e.device(b, "Abbey")
	cf, err := e.s.CallForwardOf(context.Background(), e.cases[0])
	if err != nil {
		b.Fatal(err)
	}
	e.c.Set(cf.Start.Add(time.Minute))
	ctx := context.Background()
	for b.Loop() {
		g.Clear()
		if r := g.Scan(ctx, cf.CaseRef); !r.OK {
			b.Fatal(r.Message)
		}
	}
}

// BenchmarkGateScanDocument is a passport scanned with no case open whose
// number no pass at the gate holds: the MRZ check and the search of every
// document hash in the replica.
func BenchmarkGateScanDocument(b *testing.B) {
	e := setup(b)
	g := e.device(b, "Abbey")
	cf, err := e.s.CallForwardOf(context.Background(), e.cases[0])
	if err != nil {
		b.Fatal(err)
	}
	e.c.Set(cf.Start.Add(time.Minute))
	ctx := context.Background()
	doc := strings.Join(TD3("X9999999", "OTHER", "ONE"), "\n")
	for b.Loop() {
		g.Clear()
		if r := g.Scan(ctx, doc); r.Reason != gate.ReasonNoPass {
			b.Fatal(r.Message)
		}
	}
}

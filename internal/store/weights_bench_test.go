package store

import (
	"encoding/json"
	"testing"
	"time"

	"muster"
	"muster/internal/vault"
)

// BenchmarkPlanVulnerability is what the vulnerability rule adds to a
// planning run of 5,000 cases of two: opening 10,000 sealed people and
// scoring them.
func BenchmarkPlanVulnerability(b *testing.B) {
	dek, err := vault.NewDEK()
	if err != nil {
		b.Fatal(err)
	}
	v, err := vault.New(dek)
	if err != nil {
		b.Fatal(err)
	}
	s := &Store{vault: v}
	cases := make([][]planPerson, 5000)
	for i := range cases {
		for j := range 2 {
			body, _ := json.Marshal(sealedPerson{Given: "Given", Family: "Family", Phones: []string{"+93700000000"},
				DOB: muster.Date{Year: 1940 + i%80, Month: 3, Day: 4, Precision: muster.PrecisionDay}, Needs: []string{"medical"}[:j%2]})
			sealed, err := v.Seal(body, "person")
			if err != nil {
				b.Fatal(err)
			}
			cases[i] = append(cases[i], planPerson{id: int64(2*i + j), caseID: int64(i), sealed: sealed})
		}
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		for _, c := range cases {
			if _, err := s.caseVulnerability(c, at); err != nil {
				b.Fatal(err)
			}
		}
	}
}

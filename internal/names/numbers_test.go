package names

import "testing"

// Numbers tell organisations apart (SDN 2024-05 lists NO. 1 and NO. 2
// MINING ENTERPRISE, 53 and 116 ARSENAL apart); they used to be dropped,
// so that each pair scored 1. The same number written in another place
// still meets.
func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"NO. 2 MINING ENTERPRISE", "NO. 1 MINING ENTERPRISE", false},
		{"53 ARSENAL PAO", "116 ARSENAL PAO", false},
		{"OJSC 224 LETNY OTRYAD", "OJSC 223 LETNYY OTRYAD", false},
		{"NO. 2 MINING ENTERPRISE", "MINING ENTERPRISE NO 2", true},
		{"VABO 2005 EOOD", "VABO-2005 EOOD", true},
		{"LYOTNY OTRYAD 224", "OJSC LETNY OTRYAD 224", true},
	} {
		s := Compare(c.a, c.b).Score
		if c.same && s < MatchThreshold {
			t.Errorf("Compare(%q, %q) = %.3f, want >= %.2f", c.a, c.b, s, MatchThreshold)
		}
		if !c.same && s >= 0.9 {
			t.Errorf("Compare(%q, %q) = %.3f, want < 0.9", c.a, c.b, s)
		}
	}
}

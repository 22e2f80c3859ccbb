package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"muster/internal/store/storetest"
)

// TestOperationWeights: `muster operation` shows the call-forward
// priorities, sets them, and refuses bad ones naming the item at fault
// without changing anything.
func TestOperationWeights(t *testing.T) {
	dsn := storetest.DSN(t, "sqlite")
	env := map[string]string{"MUSTER_DB": dsn, "MUSTER_KEY_FILE": filepath.Join(t.TempDir(), "k")}
	show := func(weights string, vuln int) string {
		return "operation: muster operation\n" +
			"categories: citizen, dual_national, permanent_resident, siv_applicant, refugee_referral, other_at_risk, third_country_national\n" +
			"weights: " + weights + "\n" +
			"vulnerability weight: " + strconv.Itoa(vuln) + " (per point; at most 5 points a case)\n"
	}
	defaults := "citizen=70, dual_national=60, permanent_resident=50, siv_applicant=40, refugee_referral=30, other_at_risk=20, third_country_national=10"
	set := "citizen=100, dual_national=60, permanent_resident=50, siv_applicant=150, refugee_referral=30, other_at_risk=20, third_country_national=10"
	tests := []struct {
		args    []string
		code    int
		out     string
		errPart string
	}{
		{[]string{"operation"}, 0, show(defaults, 5), ""},
		{[]string{"operation", "--weights", "citizen=100, siv_applicant=150", "--vulnerability-weight", "12"}, 0, show(set, 12), ""},
		{[]string{"operation", "--weights", "local_staff=3"}, 1, "", "local_staff is not a category of this operation"},
		{[]string{"operation", "--weights", "citizen=many"}, 1, "", `weight "citizen=many": "many" is not a whole number`},
		{[]string{"operation", "--weights", "citizen"}, 1, "", `weight "citizen": write category=number`},
		{[]string{"operation", "--vulnerability-weight", "-3"}, 1, "", "--vulnerability-weight -3"},
		{[]string{"operation"}, 0, show(set, 12), ""},
		// New categories: weights follow the stored ones, a new category ranks at 0.
		{[]string{"operation", "--categories", "siv_applicant,local_staff", "--vulnerability-weight", "0"}, 0,
			"operation: muster operation\ncategories: siv_applicant, local_staff\nweights: siv_applicant=150, local_staff=0\nvulnerability weight: 0 (per point; at most 5 points a case)\n", ""},
	}
	for _, tt := range tests {
		code, out, errs := runCmd(t, env, tt.args...)
		if (code == 0) != (tt.code == 0) {
			t.Errorf("muster %s: exit %d, want %d\n%s", strings.Join(tt.args, " "), code, tt.code, errs)
			continue
		}
		if tt.code == 0 {
			if diff := cmp.Diff(tt.out, out); diff != "" {
				t.Errorf("muster %s (-want +got):\n%s", strings.Join(tt.args, " "), diff)
			}
		} else if !strings.Contains(errs, tt.errPart) {
			t.Errorf("muster %s: stderr %q, want it to name %q", strings.Join(tt.args, " "), errs, tt.errPart)
		}
	}
}

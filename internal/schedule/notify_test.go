package schedule

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestPlanNotices(t *testing.T) {
	m, err := NewMessages(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2021, 8, 26, 9, 30, 0, 0, time.UTC) // 14:00 in Kabul
	notices := []Notice{
		{CaseID: 1, CaseRef: "C-104233", Phones: []string{"+93700000001", "+93700000002"}, Lang: "en", Gate: "ABBEY", Start: start, End: start.Add(30 * time.Minute), People: 5},
		{CaseID: 2, CaseRef: "C-104234", Phones: []string{"+93700000003"}, Lang: "fa-AF", Gate: "ABBEY", Start: start, End: start.Add(30 * time.Minute), People: 3},
		{CaseID: 3, CaseRef: "C-104235", Phones: []string{"+93700000004"}, Lang: "ps", Gate: "NORTH", Start: start.Add(time.Hour), End: start.Add(90 * time.Minute), People: 12},
		{CaseID: 4, CaseRef: "C-104236", Lang: "ps", Gate: "NORTH", Start: start, End: start, People: 1},
		{CaseID: 5, CaseRef: "C-104237", Phones: []string{"+447700900123"}, Lang: "uz", Gate: "NORTH", Start: start, End: start.Add(30 * time.Minute), People: 2},
	}
	var buf bytes.Buffer
	noPhone, err := WriteNotices(&buf, m, notices)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff([]int64{4}, noPhone); diff != "" {
		t.Errorf("no phone (-want +got):\n%s", diff)
	}
	rows, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[1][3] != "en" || rows[3][3] != "prs" || rows[4][3] != "ps" || rows[5][3] != "en" {
		t.Errorf("rows: %q", rows)
	}
	if !strings.Contains(rows[1][4], "between 14:00 and 14:30") || !strings.Contains(rows[3][4], "۱۴:۰۰") || !strings.Contains(rows[4][4], "۱۲ تنه") {
		t.Errorf("times or counts not rendered: %q", rows)
	}
	for _, r := range rows[1:] {
		if strings.Contains(r[4], "{{") || strings.Contains(r[4], "<no value>") {
			t.Errorf("unrendered template: %q", r[4])
		}
	}
	golden := filepath.Join("testdata", "notices.csv")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("notices differ from %s (-want +got):\n%s", golden, diff)
	}
}

func TestPlanNoticeTemplates(t *testing.T) {
	if _, err := NewMessages(map[string]string{"prs": "x"}, nil); err == nil {
		t.Error("templates without English accepted")
	}
	if _, err := NewMessages(map[string]string{"en": "{{.Gaet}}"}, nil); err == nil {
		t.Error("misspelt field accepted")
	}
	if _, err := NewMessages(map[string]string{"en": "{{.Gate"}, nil); err == nil {
		t.Error("broken template accepted")
	}
	m, err := NewMessages(map[string]string{"en": "{{.Ref}} {{.Gate}} {{.Start}}"}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	got, lang, err := m.Render(Notice{CaseRef: "C-1", Gate: "G", Start: t0, Lang: "ps"})
	if err != nil || got != "C-1 G 06:00" || lang != "en" {
		t.Errorf("Render = %q, %q, %v", got, lang, err)
	}
}

func TestPlanSegments(t *testing.T) {
	tests := map[string]int{
		"":                            1,
		strings.Repeat("a", 160):      1,
		strings.Repeat("a", 161):      2,
		strings.Repeat("a", 306):      2,
		strings.Repeat("a", 307):      3,
		strings.Repeat("د", 70):       1,
		strings.Repeat("د", 71):       2,
		strings.Repeat("a", 69) + "€": 1, // € is in the escape table only: UCS-2
	}
	for msg, want := range tests {
		if got := Segments(msg); got != want {
			t.Errorf("Segments(%d runes of %q) = %d, want %d", len([]rune(msg)), []rune(msg)[:min(1, len([]rune(msg)))], got, want)
		}
	}
}

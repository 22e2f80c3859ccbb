package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func runMRZCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code = run(context.Background(), env, append([]string{"mrz"}, args...))
	return code, out.String(), errb.String()
}

func TestGateMRZCommand(t *testing.T) {
	const (
		td3a = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
		td3b = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
		td1a = "I<UTOD231458907<<<<<<<<<<<<<<<"
		td1b = "7408122F1204159UTO<<<<<<<<<<<6"
		td1c = "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
	)
	tests := []struct {
		name     string
		args     []string
		code     int
		wantJSON map[string]any // fields that must be present with these values
	}{
		{"TD3", []string{td3a, td3b}, 0, map[string]any{
			"document_type": "P", "issuing_state": "UTO", "document_number": "L898902C3",
			"surname": "ERIKSSON", "given_names": "ANNA MARIA", "nationality": "UTO",
			"date_of_birth": "1974-08-12", "sex": "F", "expiry_date": "2012-04-15",
			"valid": true, "errors": []any{},
		}},
		{"TD1", []string{td1a, td1b, td1c}, 0, map[string]any{
			"document_type": "I", "document_number": "D23145890", "valid": true,
		}},
		{"one argument with newlines", []string{td3a + "\n" + td3b}, 0, map[string]any{"valid": true}},
		{"bad composite", []string{td3a, td3b[:43] + "1"}, 1, map[string]any{
			"valid": false, "errors": []any{"composite_check"}, "document_number": "L898902C3",
		}},
		{"bad document number", []string{td3a, "L898902C46UTO7408122F1204159ZE184226B<<<<<10"}, 1, map[string]any{
			"valid": false, "errors": []any{"document_number_check", "composite_check"},
		}},
		{"wrong length", []string{td3a, td3b[:40]}, 1, map[string]any{"valid": false, "errors": []any{"format"}}},
		{"no arguments", nil, 2, nil},
		{"one line", []string{td3a}, 2, nil},
		{"four lines", []string{td1a, td1b, td1c, td1c}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMRZCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if tt.wantJSON == nil {
				return
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			for k, want := range tt.wantJSON {
				if g, ok := got[k]; !ok || !jsonEqual(g, want) {
					t.Errorf("%s = %#v, want %#v", k, g, want)
				}
			}
			for _, k := range []string{"document_type", "issuing_state", "document_number", "surname", "given_names",
				"nationality", "date_of_birth", "sex", "expiry_date", "valid", "errors"} {
				if _, ok := got[k]; !ok {
					t.Errorf("field %s missing", k)
				}
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

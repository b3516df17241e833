package template_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// maxFunctionSize is CloudFront Functions' code size limit (10 KB).
const maxFunctionSize = 10 * 1024

// TestViewerRequestFunction runs the CloudFront Function's code, as written
// in the template, under Node with viewer-request events shaped like
// CloudFront's (DeveloperGuide: functions-event-structure): it must
// overwrite X-Forwarded-Host with the viewer's Host and True-Client-IP with
// the viewer's address, whatever the viewer sent, and touch nothing else.
func TestViewerRequestFunction(t *testing.T) {
	code, ok := at(t, translate(t, noDomain), "Resources.ViewerRequestFunction.Properties.FunctionCode").(string)
	if !ok {
		t.Fatal("FunctionCode is not inline code")
	}
	if len(code) > maxFunctionSize {
		t.Errorf("function code is %d bytes, CloudFront allows %d", len(code), maxFunctionSize)
	}
	node := testenv.RequireCommand(t, "node", "apt-get install nodejs (Node 20)")

	tests := []struct {
		name     string
		ip       string
		headers  string // the viewer's headers, as CloudFront passes them
		want     string // the headers the function returns
		cookies  string
		querystr string
	}{
		{
			name:    "sets both",
			ip:      "203.0.113.7",
			headers: `{"host":{"value":"www.example.com"},"accept":{"value":"text/html"}}`,
			want: `{"host":{"value":"www.example.com"},"accept":{"value":"text/html"},
				"x-forwarded-host":{"value":"www.example.com"},"true-client-ip":{"value":"203.0.113.7"}}`,
		},
		{
			name: "overwrites forged values",
			ip:   "203.0.113.7",
			headers: `{"host":{"value":"www.example.com"},"x-forwarded-host":{"value":"evil.example"},
				"true-client-ip":{"value":"198.51.100.1"}}`,
			want: `{"host":{"value":"www.example.com"},"x-forwarded-host":{"value":"www.example.com"},
				"true-client-ip":{"value":"203.0.113.7"}}`,
		},
		{
			name: "replaces forged repeated headers",
			ip:   "203.0.113.7",
			headers: `{"host":{"value":"www.example.com"},
				"x-forwarded-host":{"value":"evil.example","multiValue":[{"value":"evil.example"},{"value":"www.example.com"}]},
				"true-client-ip":{"value":"198.51.100.1","multiValue":[{"value":"198.51.100.1"},{"value":"198.51.100.2"}]}}`,
			want: `{"host":{"value":"www.example.com"},"x-forwarded-host":{"value":"www.example.com"},
				"true-client-ip":{"value":"203.0.113.7"}}`,
		},
		{
			name:    "IPv6 viewer",
			ip:      "2001:db8::7",
			headers: `{"host":{"value":"d111111abcdef8.cloudfront.net"}}`,
			want: `{"host":{"value":"d111111abcdef8.cloudfront.net"},"x-forwarded-host":{"value":"d111111abcdef8.cloudfront.net"},
				"true-client-ip":{"value":"2001:db8::7"}}`,
		},
		{
			name:    "no Host: a forged X-Forwarded-Host is dropped",
			ip:      "203.0.113.7",
			headers: `{"x-forwarded-host":{"value":"evil.example"}}`,
			want:    `{"true-client-ip":{"value":"203.0.113.7"}}`,
		},
		{
			name: "other headers, cookies and query strings untouched",
			ip:   "203.0.113.7",
			headers: `{"host":{"value":"www.example.com"},"x-forwarded-for":{"value":"192.0.2.1"},
				"accept-language":{"value":"fr","multiValue":[{"value":"fr"},{"value":"en"}]}}`,
			want: `{"host":{"value":"www.example.com"},"x-forwarded-for":{"value":"192.0.2.1"},
				"accept-language":{"value":"fr","multiValue":[{"value":"fr"},{"value":"en"}]},
				"x-forwarded-host":{"value":"www.example.com"},"true-client-ip":{"value":"203.0.113.7"}}`,
			cookies:  `{"sessionid":{"value":"abc"},"csrftoken":{"value":"def","multiValue":[{"value":"def"},{"value":"ghi"}]}}`,
			querystr: `{"page":{"value":"2"},"tag":{"value":"a","multiValue":[{"value":"a"},{"value":"b"}]}}`,
		},
	}

	var events, wants []any
	for _, tt := range tests {
		request := func(headers string) map[string]any {
			return map[string]any{
				"method":      "POST",
				"uri":         "/admin/login/",
				"querystring": decodeJSON(t, or(tt.querystr, "{}")),
				"headers":     decodeJSON(t, headers),
				"cookies":     decodeJSON(t, or(tt.cookies, "{}")),
			}
		}
		events = append(events, map[string]any{
			"version": "1.0",
			"context": map[string]any{
				"distributionDomainName": "d111111abcdef8.cloudfront.net",
				"distributionId":         "EDFDVBD6EXAMPLE",
				"eventType":              "viewer-request",
				"requestId":              "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ==",
			},
			"viewer":  map[string]any{"ip": tt.ip},
			"request": request(tt.headers),
		})
		wants = append(wants, request(tt.want))
	}

	got := runFunction(t, node, code, events)
	if len(got) != len(tests) {
		t.Fatalf("got %d results for %d events", len(got), len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(got[i], wants[i]) {
				g, _ := json.Marshal(got[i])
				w, _ := json.Marshal(wants[i])
				t.Errorf("got request %s\nwant %s", g, w)
			}
		})
	}
}

// runFunction runs code's handler on each event under Node's vm module and
// returns the results.
func runFunction(t *testing.T, node, code string, events []any) []any {
	t.Helper()
	file := filepath.Join(t.TempDir(), "function.js")
	if err := os.WriteFile(file, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "run-cloudfront-function.js"), file)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var results []any
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("decode node output %q: %v", out, err)
	}
	return results
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %s: %v", s, err)
	}
	return v
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

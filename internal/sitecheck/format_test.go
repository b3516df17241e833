package sitecheck_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/djfront/djfront/internal/sitecheck"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenReport is a report made by the detectors from recorded answers: a
// site with some of the seeds' pitfalls.
func goldenReport(t *testing.T) sitecheck.Report {
	t.Helper()
	s := siteOf(site + "/")
	page := answer("GET", site+"/", 200, `<link href="https://www.example.com/static/app.0123456789ab.css"><a href="http://www.example.com/about/">`,
		"Strict-Transport-Security", "max-age=31536000", "Content-Type", "text/html")
	gone := site + "/djfront-check-1/"
	return sitecheck.Report{URL: site + "/", Checks: []sitecheck.Result{
		sitecheck.HTTPSRedirect(s, recorded(t, "cloudfront-301-https.http", "GET", "http://www.example.com/accounts/")),
		sitecheck.HSTS(s, page),
		sitecheck.Methods(answer("OPTIONS", gone, 404, ""), recorded(t, "cloudfront-403-method.http", "POST", gone)),
		sitecheck.Host(s, []*sitecheck.Exchange{page}, nil),
		sitecheck.Scheme(s, []*sitecheck.Exchange{page}, nil),
		sitecheck.CSRF(nil, nil),
		sitecheck.CacheCookies(nil, nil, answer("GET", site+"/?djfront-check=1", 200, ""), answer("GET", site+"/?djfront-check=1", 200, "", "X-Cache", "Hit from cloudfront", "Age", "3"), nil),
		sitecheck.Static(s, page, answer("GET", site+"/static/app.0123456789ab.css", 200, "", "Via", "1.1 x.cloudfront.net (CloudFront)", "Cache-Control", "max-age=31536000, immutable"),
			recorded(t, "s3-403-accessdenied.http", "GET", site+"/static/djfront-check-missing-1.css")),
		sitecheck.OriginBypass(nil),
	}}
}

func TestWriteGolden(t *testing.T) {
	report := goldenReport(t)
	tests := []struct {
		name, file string
		write      func(*bytes.Buffer, sitecheck.Report) error
	}{
		{"text", "report.golden.txt", func(b *bytes.Buffer, r sitecheck.Report) error { return sitecheck.WriteText(b, r) }},
		{"json", "report.golden.json", func(b *bytes.Buffer, r sitecheck.Report) error { return sitecheck.WriteJSON(b, r) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := tt.write(&got, report); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestWriteGolden -update writes it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("got\n%s\nwant (%s)\n%s", got.Bytes(), path, want)
			}
		})
	}
}

// TestWriteJSONShape pins the JSON contract: url, checks[], each with id,
// ok (true, false or null), detail and fix, and nothing else.
func TestWriteJSONShape(t *testing.T) {
	var b bytes.Buffer
	if err := sitecheck.WriteJSON(&b, goldenReport(t)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc) != 2 || doc["url"] != site+"/" {
		t.Fatalf("top level = %v, want url and checks only", doc)
	}
	checks := doc["checks"].([]any)
	var ids []string
	oks := map[string]int{}
	for _, c := range checks {
		m := c.(map[string]any)
		if len(m) != 4 {
			t.Errorf("check %v: want exactly id, ok, detail, fix", m)
		}
		ids = append(ids, m["id"].(string))
		switch m["ok"].(type) {
		case bool:
			oks[map[bool]string{true: "true", false: "false"}[m["ok"].(bool)]]++
		case nil:
			oks["null"]++
		default:
			t.Errorf("check %v: ok is %T, want bool or null", m["id"], m["ok"])
		}
		if _, ok := m["detail"].(string); !ok {
			t.Errorf("check %v: detail is not a string", m["id"])
		}
	}
	if got, want := len(ids), len(sitecheck.Order); got != want {
		t.Errorf("%d checks, want %d", got, want)
	}
	for i, id := range sitecheck.Order {
		if i < len(ids) && ids[i] != id {
			t.Errorf("check %d is %q, want %q", i, ids[i], id)
		}
	}
	if oks["true"] == 0 || oks["false"] == 0 || oks["null"] == 0 {
		t.Errorf("ok values %v: the golden report should hold all three", oks)
	}
}

func TestWriteTextSanitizes(t *testing.T) {
	ok := false
	var b bytes.Buffer
	r := sitecheck.Report{URL: "https://x/", Checks: []sitecheck.Result{{ID: "host", OK: &ok, Detail: "evil\x1b[2J\nhost\u202e", Fix: "fix"}}}
	if err := sitecheck.WriteText(&b, r); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(b.Bytes(), "\x1b\u202e") || !bytes.Contains(b.Bytes(), []byte("evil [2J host")) {
		t.Errorf("got %q: want control and format characters gone, the rest on one line", b.String())
	}
}

// TestWriteJSONEscapesWhatTheTextHides checks that the characters the text
// output drops (C0 and C1 controls, bidi overrides and isolates, other
// format characters) reach the JSON only as \u escapes, and decode back to
// the site's text unchanged.
func TestWriteJSONEscapesWhatTheTextHides(t *testing.T) {
	tests := []struct {
		name, detail, want string // want: how the detail is written
	}{
		{"ESC (C0)", "a\x1b[2Jb", `a\u001b[2Jb`},
		{"CSI and NEL (C1)", "a\u009b2Jb\u0085c", `a\u009b2Jb\u0085c`},
		{"bidi overrides", "x\u202ay\u202bz\u202c\u202d\u202e", `x\u202ay\u202bz\u202c\u202d\u202e`},
		{"bidi isolates", "\u2066a\u2067b\u2068c\u2069", `\u2066a\u2067b\u2068c\u2069`},
		{"a format character past the BMP (tag)", "a\U000e0041b", `a\udb40\udc41b`},
		{"DEL", "a\x7fb", `a\u007fb`},
		{"other text as is", "évian → 日本 <b>&", "évian → 日本 <b>&"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := false
			r := sitecheck.Report{URL: "https://x/" + tt.detail, Checks: []sitecheck.Result{{ID: "host", OK: &ok, Detail: tt.detail, Fix: "fix"}}}
			var b bytes.Buffer
			if err := sitecheck.WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			if i := strings.IndexFunc(b.String(), func(c rune) bool {
				return c != '\n' && (unicode.IsControl(c) || unicode.In(c, unicode.Cf))
			}); i >= 0 {
				t.Errorf("got %q: a raw control or format character at %d, want it escaped", b.String(), i)
			}
			if !bytes.Contains(b.Bytes(), []byte(`"detail": "`+tt.want+`"`)) {
				t.Errorf("got %s: want the detail written %s", b.String(), tt.want)
			}
			var back sitecheck.Report
			if err := json.Unmarshal(b.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if back.URL != r.URL || back.Checks[0].Detail != tt.detail {
				t.Errorf("decoded url %q, detail %q: want %q, %q", back.URL, back.Checks[0].Detail, r.URL, tt.detail)
			}
		})
	}
}

package hostforward

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestPrivateCacheControl pins how a Set-Cookie response's Cache-Control is
// made unstorable by shared caches (issue 10, item 5).
func TestPrivateCacheControl(t *testing.T) {
	tests := []struct {
		name, in, want string
		changed        bool
	}{
		{"absent", "", "private", true},
		{"public and both ages", "public, max-age=600, s-maxage=3600", "private, max-age=600", true},
		{"case and spacing", "PUBLIC,Max-Age=60 ,  S-MaxAge=1", "private, Max-Age=60", true},
		{"shared-cache-only directives dropped", "max-age=60, proxy-revalidate, must-revalidate", "private, max-age=60, must-revalidate", true},
		{"browser directives kept", "max-age=31536000, immutable, stale-while-revalidate=30, no-transform", "private, max-age=31536000, immutable, stale-while-revalidate=30, no-transform", true},
		{"already private", "private, max-age=60", "private, max-age=60", false},
		{"already no-store", "No-Store", "No-Store", false},
		// RFC 9111 §5.2.2.4: no-cache lets a shared cache store the response
		// (it must revalidate before reuse, and a 304 then replays the stored
		// Set-Cookie); only private (§5.2.2.7) and no-store (§5.2.2.5) forbid
		// storing.
		{"no-cache alone still lets a shared cache store it", "no-cache, max-age=0", "private, no-cache, max-age=0", true},
		{"no-cache with private", "no-cache, private", "no-cache, private", false},
		{"qualified private is not enough: the rest of the response is shared", `private="Set-Cookie", max-age=60`, "private, max-age=60", true},
		{"qualified no-cache kept for the browser, but private added", `no-cache="Set-Cookie", public`, `private, no-cache="Set-Cookie"`, true},
		{"comma inside a quoted value", `no-cache="Set-Cookie, X-Foo", s-maxage=5`, `private, no-cache="Set-Cookie, X-Foo"`, true},
		{"empty elements", ", ,max-age=5,,", "private, max-age=5", true},
		{"unknown extension kept", "max-age=5, community=\"UCI\"", "private, max-age=5, community=\"UCI\"", true},
		{"private inside a quoted string does not count", `community="private"`, `private, community="private"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed := privateCacheControl(tt.in)
			if got != tt.want || changed != tt.changed {
				t.Errorf("privateCacheControl(%q) = %q, %v; want %q, %v", tt.in, got, changed, tt.want, tt.changed)
			}
		})
	}
}

// FuzzJSONStringLen checks the size estimate against encoding/json with HTML
// escaping off, which is how the Lambda runtime client encodes the response
// (lambda.WithSetEscapeHTML(false), its default, made explicit in main).
func FuzzJSONStringLen(f *testing.F) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "tab\tnl\n\x00\x1f", "caf\xc3\xa9", "bad\xff", "\u2028\u2029", "\b\f\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := jsonStringLen(s); got != len(want) {
			t.Fatalf("jsonStringLen(%q) = %d, want %d (%s)", s, got, len(want), want)
		}
	})
}

// FuzzPrivateCacheControl checks privateCacheControl against its contract:
// the result always stops shared caches, is stable when applied again, and
// keeps only directives the app sent (plus "private").
func FuzzPrivateCacheControl(f *testing.F) {
	for _, s := range []string{"", "public, max-age=600, s-maxage=3600", "no-store", "no-cache", `no-cache="Set-Cookie", public`,
		`community="a,\\"b", max-age=1`, "PRIVATE", `private="x"`, `"unterminated, public`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cc string) {
		got, changed := privateCacheControl(cc)
		if !changed && got != cc {
			t.Fatalf("unchanged but %q became %q", cc, got)
		}
		stops := false
		for _, d := range directives(got) {
			name, qualified := directiveName(d)
			stops = stops || name == "no-store" || (!qualified && name == "private")
		}
		if !stops {
			t.Fatalf("privateCacheControl(%q) = %q lets shared caches store it", cc, got)
		}
		if again, ch := privateCacheControl(got); ch || again != got {
			t.Fatalf("not stable: %q → %q → %q", cc, got, again)
		}
		if !changed {
			return
		}
		sent := map[string]bool{}
		for _, d := range directives(cc) {
			sent[d] = true
		}
		for _, d := range directives(got)[1:] {
			if name, _ := directiveName(d); !sent[d] || name == "public" || name == "s-maxage" {
				t.Fatalf("privateCacheControl(%q) = %q: %q", cc, got, d)
			}
		}
	})
}

// TestReplyEncode pins that a reply's encoding, its binary body
// base64-encoded straight into it, is byte for byte what encoding/json
// without HTML escaping writes for the response (as the runtime client
// would encode Handle's answer), whatever fields are set.
func TestReplyEncode(t *testing.T) {
	binary := []byte{0, 0xff, 0xfe, '<', '"', 0x80, 1, 2, 3}
	tests := []struct {
		name string
		r    reply
	}{
		{"binary, headers and cookies", reply{binary: binary, resp: events.APIGatewayV2HTTPResponse{StatusCode: 200,
			Headers: map[string]string{"Content-Type": "application/octet-stream", "X-Html": `<a href="x">&</a>`, "Cache-Control": "private"},
			Cookies: []string{"a=1; Path=/", `b="<2>"`}, IsBase64Encoded: true}}},
		{"binary, no headers, no cookies", reply{binary: binary, resp: events.APIGatewayV2HTTPResponse{StatusCode: 206, IsBase64Encoded: true}}},
		{"binary, empty maps and multi-value headers", reply{binary: binary, resp: events.APIGatewayV2HTTPResponse{StatusCode: 500,
			Headers: map[string]string{}, MultiValueHeaders: map[string][]string{"X-A": {"1", "2"}}, Cookies: []string{}, IsBase64Encoded: true}}},
		{"binary, one byte", reply{binary: []byte{0xff}, resp: events.APIGatewayV2HTTPResponse{StatusCode: 200, IsBase64Encoded: true}}},
		{"text", reply{resp: events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/html"},
			Body: "<p>\"caf\u00e9\"\u2028\n</p>", Cookies: []string{"a=1"}}}},
		{"no body", reply{resp: events.APIGatewayV2HTTPResponse{StatusCode: 204}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tt.r.response()); err != nil {
				t.Fatal(err)
			}
			got, err := tt.r.encode()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
				t.Errorf("got  %s\nwant %s", got, want.Bytes())
			}
		})
	}
}

package hostforward

import (
	"bytes"
	"encoding/json"
	"testing"
)

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

package hostforward

import (
	"encoding/json"
	"testing"
)

// FuzzJSONStringLen checks the size estimate against encoding/json itself,
// which is what the Lambda runtime client uses to send the response.
func FuzzJSONStringLen(f *testing.F) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "tab\tnl\n\x00\x1f", "caf\xc3\xa9", "bad\xff", "\u2028\u2029", "\b\f\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonStringLen(s); got != len(want) {
			t.Fatalf("jsonStringLen(%q) = %d, want %d (%s)", s, got, len(want), want)
		}
	})
}

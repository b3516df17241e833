package pathplan_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/pathplan"
)

func TestDecodeKey(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"plain", "static/admin/css/base.css", "static/admin/css/base.css"},
		{"plus is space (S3)", "static/my+file.css", "static/my file.css"},
		{"percent space (sam local generate-event)", "static/my%20file.css", "static/my file.css"},
		{"encoded plus", "static/a%2Bb.css", "static/a+b.css"},
		{"encoded slash (moto)", "static%2Fadmin%2Fcss%2Fbase.css", "static/admin/css/base.css"},
		{"lower-case hex", "static%2fa.css", "static/a.css"},
		{"utf-8", "static/caf%C3%A9.css", "static/café.css"},
		{"encoded percent", "static/100%25.css", "static/100%.css"},
		{"encoded star", "static/a%2A.css", "static/a*.css"},
		{"directory marker", "static%2F", "static/"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pathplan.DecodeKey(tt.raw)
			if err != nil {
				t.Fatalf("DecodeKey(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Errorf("DecodeKey(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestDecodeKeyInvalid(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"bad hex", "static/a%zz.css", `decode s3 key "static/a%zz.css": invalid URL escape "%zz"`},
		{"trailing percent", "static/a%", `decode s3 key "static/a%": invalid URL escape "%"`},
		{"one hex digit", "static/a%4", `decode s3 key "static/a%4": invalid URL escape "%4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pathplan.DecodeKey(tt.raw)
			if err == nil {
				t.Fatalf("DecodeKey(%q) = %q, want error", tt.raw, got)
			}
			if err.Error() != tt.want {
				t.Errorf("DecodeKey(%q) error = %q, want %q", tt.raw, err, tt.want)
			}
			var escErr url.EscapeError
			if !errors.As(err, &escErr) {
				t.Errorf("DecodeKey(%q) error %v does not wrap a url.EscapeError", tt.raw, err)
			}
		})
	}
}

// FuzzDecodeKey checks that DecodeKey undoes S3's encoding, with or without
// '/' encoded, and that input without escapes only has '+' replaced.
func FuzzDecodeKey(f *testing.F) {
	for _, s := range []string{
		"static/admin/css/base.css", "static/my+file.css", "static%2Fa%20b.css",
		"caf%C3%A9", "%", "%zz", "a%2", "+%2B+", "", "%FF%FE",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, err := pathplan.DecodeKey(raw)
		if !strings.Contains(raw, "%") {
			want := strings.ReplaceAll(raw, "+", " ")
			if err != nil || key != want {
				t.Fatalf("DecodeKey(%q) = %q, %v; want %q, nil", raw, key, err, want)
			}
		}
		if err != nil {
			if !strings.Contains(err.Error(), "decode s3 key") {
				t.Fatalf("DecodeKey(%q) error %q lacks context", raw, err)
			}
			return
		}
		// Whatever decoded must come back from S3's encoding (slashes kept)
		// and from moto's (slashes encoded).
		moto := url.QueryEscape(key)
		for _, enc := range []string{moto, strings.ReplaceAll(moto, "%2F", "/")} {
			got, err := pathplan.DecodeKey(enc)
			if err != nil || got != key {
				t.Fatalf("DecodeKey(%q) = %q, %v; want %q, nil", enc, got, err, key)
			}
		}
	})
}

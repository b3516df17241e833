package hostforward_test

import (
	"testing"

	"github.com/djfront/djfront/internal/hostforward"
)

func TestAllowedHosts(t *testing.T) {
	tests := []struct {
		allowed string
		host    string
		want    bool
	}{
		{"www.example.com", "www.example.com", true},
		{"www.example.com", "WWW.Example.COM", true},
		{"www.example.com", "www.example.com:8443", true},
		{"www.example.com", "www.example.com.", true},
		{"www.example.com", "example.com", false},
		{"www.example.com", "www.example.com.evil.example", false},
		{"www.example.com", "evilwww.example.com", false},
		{".example.com", "example.com", true},
		{".example.com", "a.b.example.com", true},
		{".example.com", "badexample.com", false},
		{".example.com", "example.com.evil", false},
		{"*", "anything.example", true},
		{"*", "bad host", false},
		{"*", "", false},
		{"www.example.com", "www.example.com:", false},
		{"www.example.com", "www.example.com:99999x", false},
		{"www.example.com", "www.example.com@evil", false},
		{"www.example.com", "www.example.com/path", false},
		{"www.example.com", "www.ex_ample.com", false},
		{"[::1]", "[::1]:8000", true},
		{"[::1]", "[::1", false},
		{"[::1]", "::1", false},
		{"a.example,b.example", "b.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.allowed+"/"+tt.host, func(t *testing.T) {
			a, err := hostforward.ParseAllowedHosts(tt.allowed)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Allows(tt.host); got != tt.want {
				t.Errorf("ParseAllowedHosts(%q).Allows(%q) = %v, want %v", tt.allowed, tt.host, got, tt.want)
			}
		})
	}
}

func TestParseAllowedHostsErrors(t *testing.T) {
	for _, bad := range []string{"", "a.example,", "https://a.example", "a.example:443", "a.example/x", "*.example.com"} {
		if _, err := hostforward.ParseAllowedHosts(bad); err == nil {
			t.Errorf("ParseAllowedHosts(%q): no error", bad)
		}
	}
}

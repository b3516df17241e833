package sitecheck

import (
	"net/url"
	"testing"
)

// TestSiteStaticFile pins which linked files the static check may fetch:
// the site's own host on its own port, a neighbour (the same registrable
// domain, by the public suffix list) or the site's CloudFront or S3 domain
// on the site's port or 443, never a third party's and never another port
// of a host (another service).
func TestSiteStaticFile(t *testing.T) {
	tests := []struct {
		name, site, link string
		want             bool
	}{
		{"the site's own /static/", "https://www.example.com/", "https://www.example.com/static/a.css", true},
		{"the site's own host, port 443 spelt out", "https://www.example.com/", "https://www.example.com:443/static/a.css", true},
		{"a sibling", "https://www.example.com/", "https://static.example.com/static/a.css", true},
		{"the parent", "https://www.example.com/", "https://example.com/static/a.css", true},
		{"a deeper name of the same domain", "https://www.example.com/", "https://a.b.example.com/static/a.css", true},
		{"a sibling under a two-label suffix", "https://www.example.co.uk/", "https://static.example.co.uk/static/a.css", true},
		{"the distribution's domain", "https://www.example.com/", "https://d111.cloudfront.net/app.0123456789ab.css", true},
		{"a bucket", "https://www.example.com/", "https://my-bucket.s3.amazonaws.com/admin/base.css", true},
		{"a neighbour on the site's own port", "https://www.example.com:8443/", "https://static.example.com:8443/static/a.css", true},
		{"the local stack's own port", "https://localhost:38331/", "https://localhost:38331/static/a.css", true},

		{"a third party", "https://www.example.com/", "https://widgets.example.org/static/a.css", false},
		{"another domain under co.uk", "https://example.co.uk/", "https://other.co.uk/static/a.css", false},
		{"another site under github.io (private suffix)", "https://shop.github.io/", "https://cdn.github.io/static/a.css", false},
		{"a name under localhost", "https://localhost:38331/", "https://static.localhost:38331/static/a.css", false},
		{"a trailing dot", "https://www.example.com/", "https://static.example.com./static/a.css", false},
		{"not under /static/ or /media/", "https://www.example.com/", "https://www.example.com/app.css", false},

		{"another port of the site's host", "https://localhost:38331/", "https://localhost:17002/static/a.css", false},
		{"port 443 of a site on another port", "https://localhost:38331/", "https://localhost/static/a.css", false},
		{"another port of the site's host on 443", "https://www.example.com/", "https://www.example.com:8443/static/a.css", false},
		{"another port of a neighbour", "https://www.example.com/", "https://static.example.com:17002/static/a.css", false},
		{"another port of the distribution's domain", "https://www.example.com/", "https://d111.cloudfront.net:8080/app.0123456789ab.css", false},
		{"another port of the site's IP address", "https://127.0.0.1:38331/", "https://127.0.0.1:22/static/a.css", false},
		{"another address", "https://127.0.0.1:38331/", "https://127.0.0.2:38331/static/a.css", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site, link := mustURL(t, tt.site), mustURL(t, tt.link)
			if got := (Site{URL: site}).staticFile(link); got != tt.want {
				t.Errorf("site %s: staticFile(%s) = %t, want %t", tt.site, tt.link, got, tt.want)
			}
		})
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestOriginHostKind pins which hosts of a link name an origin's own host
// (what the app saw instead of the viewer's): a loopback address however a
// URL's host writes it, with or without a port.
func TestOriginHostKind(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1":          "a loopback address",
		"127.0.0.1:8000":     "a loopback address",
		"[::1]:8000":         "a loopback address",
		"[::1]":              "a loopback address",
		"[::ffff:127.0.0.1]": "a loopback address",
		"localhost":          "a loopback address",
		"LOCALHOST:8000":     "a loopback address",
		"abc.execute-api.us-east-1.amazonaws.com": "an API Gateway endpoint",
		"www.example.com":                         "",
		"[2001:db8::1]":                           "",
	} {
		if got := originHostKind(host); got != want {
			t.Errorf("originHostKind(%q) = %q, want %q", host, got, want)
		}
	}
}

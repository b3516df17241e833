package sitecheck_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/sitecheck"
)

func TestLinks(t *testing.T) {
	base, _ := url.Parse("https://www.example.com/a/page/")
	tests := []struct {
		name string
		body string
		want []string // URL, then "abs", "host" (the host written, not the scheme) or "rel", then "form" for an action
	}{
		{"relative, absolute and root-relative", `<a href="next/">x</a><img src='/static/i.png'><form action="https://www.example.com/post/">`,
			[]string{"https://www.example.com/a/page/next/ rel", "https://www.example.com/static/i.png rel", "https://www.example.com/post/ abs form"}},
		{"JSON escapes and entities", `{"next": "https:\/\/api.example.com\/items\/?page=2&amp;x=1"}`,
			[]string{"https://api.example.com/items/?page=2&x=1 abs"}},
		{"fragments dropped, duplicates once", `<a href="/x/#top"></a><a href="/x/"></a>`, []string{"https://www.example.com/x/ rel"}},
		{"only http and https", `<a href="mailto:a@example.com"></a><a href="javascript:void(0)"></a><a href="ftp://x/"></a>`, nil},
		{"content is a URL only when absolute", `<meta name="viewport" content="width=device-width"><meta name="description" content="Shop"><meta property="og:url" content="https://www.example.com/x/">`,
			[]string{"https://www.example.com/x/ abs"}},
		{"a form's action is marked", `<form method="post" action="/account/close/"><a href="/a/">`,
			[]string{"https://www.example.com/account/close/ rel form", "https://www.example.com/a/ rel"}},
		// As a browser reads them (the URL Standard, for http and https).
		{"protocol-relative: the page's scheme", `<a href="//api.example.com/x/">`, []string{"https://api.example.com/x/ host"}},
		{"protocol-relative in content", `<meta property="og:image" content="//cdn.example.com/i.png">`, []string{"https://cdn.example.com/i.png host"}},
		{"a backslash is a slash", `<a href="/\evil.example/x/"></a><a href="\\evil.example\y"></a><a href="/static\admin\a.css"></a>`,
			[]string{"https://evil.example/x/ host", "https://evil.example/y host", "https://www.example.com/static/admin/a.css rel"}},
		{"any run of slashes starts the host", `<a href="///evil.example/x/"></a><a href="https:////evil.example/y/"></a>`,
			[]string{"https://evil.example/x/ host", "https://evil.example/y/ abs"}},
		{"the page's scheme and one slash: a path", `<a href="https:/x/"></a><a href="https:y/"></a>`,
			[]string{"https://www.example.com/x/ rel", "https://www.example.com/a/page/y/ rel"}},
		{"another scheme and no slashes: a host", `<a href="http:evil.example/x/"></a><a href="http:\evil.example/y/"></a>`,
			[]string{"http://evil.example/x/ abs", "http://evil.example/y/ abs"}},
		{"the page's scheme, no slashes: a path, colons and all", `<a href="https:evil.example/x/"></a><a href="https:a:b/"></a>`,
			[]string{"https://www.example.com/a/page/evil.example/x/ rel", "https://www.example.com/a/page/a:b/ rel"}},
		{"a backslash in the query is kept", `<a href="/s/?q=a\b"></a>`, []string{"https://www.example.com/s/?q=a\\b rel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range sitecheck.Links(base, []byte(tt.body)) {
				kind := "rel"
				switch {
				case l.Absolute:
					kind = "abs"
				case l.ProtocolRelative:
					kind = "host"
				}
				if l.Form {
					kind += " form"
				}
				got = append(got, l.URL.String()+" "+kind)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("protocol-relative on an http page", func(t *testing.T) {
		plain, _ := url.Parse("http://www.example.com/")
		if got := sitecheck.Links(plain, []byte(`<a href="//api.example.com/x/">`)); len(got) != 1 || got[0].URL.String() != "http://api.example.com/x/" {
			t.Errorf("got %+v, want http://api.example.com/x/", got)
		}
	})
}

func FuzzLinks(f *testing.F) {
	for _, s := range []string{`<a href="/x">`, `{"u":"https:\/\/h\/p"}`, `src='//cdn.example/a.css'`, "https://[::1]:80/x", `href="%zz"`, `href="/\h/x"`, `href="http:h"`, `href="https:a:b"`} {
		f.Add(s)
	}
	base, _ := url.Parse("https://www.example.com/")
	f.Fuzz(func(t *testing.T, body string) {
		links := sitecheck.Links(base, []byte(body))
		if len(links) > 500 {
			t.Fatalf("%d links, want at most 500", len(links))
		}
		for _, l := range links {
			if (l.URL.Scheme != "http" && l.URL.Scheme != "https") || l.URL.Host == "" || l.URL.Fragment != "" {
				t.Fatalf("link %q: want an http(s) URL with a host and no fragment", l.URL)
			}
			if _, err := url.Parse(l.URL.String()); err != nil {
				t.Fatalf("link %q does not parse again: %v", l.URL, err)
			}
		}
	})
}

func FuzzParseSTS(f *testing.F) {
	for _, s := range []string{"max-age=31536000", `max-age="0"; includeSubDomains`, "max-age=1; max-age=2", "preload", "max-age=99999999999999999999", ";;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sts, err := sitecheck.ParseSTS(v)
		if err != nil {
			return
		}
		if sts.MaxAge < 0 {
			t.Fatalf("ParseSTS(%q).MaxAge = %d, want ≥ 0", v, sts.MaxAge)
		}
		if !strings.Contains(strings.ToLower(v), "max-age") {
			t.Fatalf("ParseSTS(%q) accepted a value without max-age", v)
		}
	})
}

func FuzzReadExchange(f *testing.F) {
	f.Add("HTTP/1.1 403 Forbidden\r\nX-Cache: Error from cloudfront\r\n\r\n{\"message\":\"Forbidden\"}")
	f.Add("HTTP/1.1 302 Found\nLocation: http://[::1\n\n")
	f.Add("HTTP/1.1 200 OK\r\nSet-Cookie: a=b; Max-Age=x\r\nAge: -1\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := sitecheck.ReadExchange("GET", "https://www.example.com/", strings.NewReader(raw))
		if err != nil {
			return
		}
		if len(e.Body) > sitecheck.MaxBody {
			t.Fatalf("body of %d bytes kept, want at most %d", len(e.Body), sitecheck.MaxBody)
		}
		// Every detector takes any response without panicking.
		site := sitecheck.Site{URL: e.URL}
		sitecheck.HTTPSRedirect(site, e)
		sitecheck.HSTS(site, e)
		sitecheck.Methods(e, e)
		sitecheck.Host(site, []*sitecheck.Exchange{e}, nil)
		sitecheck.Scheme(site, []*sitecheck.Exchange{e}, nil)
		sitecheck.CacheCookies(e, e, e, e, []*sitecheck.Exchange{e})
		sitecheck.Static(site, e, e, e)
		sitecheck.OriginBypass(e)
		if p, err := sitecheck.ParseProbe(e); err == nil {
			sitecheck.CSRF(p, nil)
		}
	})
}

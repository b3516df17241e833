package sitecheck_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/sitecheck"
)

// TestFixesLinkTheirREADMESection checks that every fix links a section of
// docs/check.md that exists: "### check: <id>", GitHub's anchor check-<id>.
// (The fixes linked the repository's front page, whose README no longer
// holds the sections.)
func TestFixesLinkTheirREADMESection(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "docs", "check.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^### check: ([a-z-]+)$`).FindAllStringSubmatch(string(readme), -1) {
		anchors["check-"+m[1]] = true
	}
	link := regexp.MustCompile(`https://github\.com/djfront/djfront/blob/main/docs/check\.md#([a-z-]+)`)
	for _, id := range sitecheck.Order {
		if !anchors["check-"+id] {
			t.Errorf("docs/check.md has no section \"### check: %s\"", id)
		}
	}
	// A failing result of every check carries its fix.
	for _, r := range everyFailure(t) {
		m := link.FindStringSubmatch(r.Fix)
		if m == nil || m[1] != "check-"+r.ID || !anchors[m[1]] {
			t.Errorf("%s: fix %q: want a link to docs/check.md#check-%s", r.ID, r.Fix, r.ID)
		}
		if strings.Count(r.Fix, "https://") != 1 {
			t.Errorf("%s: fix %q: want exactly one link", r.ID, r.Fix)
		}
	}
}

// everyFailure returns one failed result of each check.
func everyFailure(t *testing.T) []sitecheck.Result {
	s := siteOf(site + "/")
	bad := answer("GET", site+"/", 200, `<a href="http://www.example.com/x/">`)
	refused := recorded(t, "cloudfront-403-method.http", "POST", site+"/x/")
	return []sitecheck.Result{
		sitecheck.HTTPSRedirect(s, answer("GET", "http://www.example.com/", 200, "")),
		sitecheck.HSTS(s, bad),
		sitecheck.Methods(refused, refused),
		sitecheck.Host(s, []*sitecheck.Exchange{recorded(t, "django-400.http", "GET", site+"/")}, nil),
		sitecheck.Scheme(s, []*sitecheck.Exchange{bad}, nil),
		sitecheck.CSRF(&sitecheck.Probe{Version: 1}, nil),
		sitecheck.CacheCookies(nil, nil, bad, answer("GET", site+"/", 200, "", "Age", "1"), nil),
		sitecheck.Static(s, bad, answer("GET", site+"/static/a.css", 200, ""), nil),
		sitecheck.OriginBypass(answer("GET", "https://origin.example/", 200, "")),
	}
}

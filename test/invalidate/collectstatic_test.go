// Package invalidate_test runs the invalidate Lambda end to end: Django's
// collectstatic uploads to a versioned moto bucket, S3 notifies an SQS
// queue, a poller delivers the messages to the built bootstrap the way
// Lambda's event source mapping does, and the tests read back the
// invalidations moto recorded.
package invalidate_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/pathplan"
)

// siteFiles are the static files of a small app beside the Django admin's
// and the example project's.
var siteFiles = map[string]string{
	"site/theme.css":       "h1 { color: #123456; }\n",
	"site/menu.js":         "document.title += ' · menu';\n",
	"site/team photo.png":  "\x89PNG\r\n\x1a\nnot really a picture\n",
	"site/docs/index.html": "<!doctype html><title>docs</title>\n",
}

// changedFiles are three of siteFiles with new content.
var changedFiles = map[string]string{
	"site/theme.css":      "h1 { color: #654321; }\n",
	"site/menu.js":        "document.title += ' · new menu';\n",
	"site/team photo.png": "\x89PNG\r\n\x1a\na new picture\n",
}

// site is the example Django project collecting its static files into the
// stack's bucket, with siteFiles in a STATICFILES_DIRS directory that
// tests change between deploys.
type site struct {
	st  *stack
	dj  *testenv.Django
	dir string
}

func startSite(tb testing.TB, st *stack) *site {
	tb.Helper()
	s := &site{st: st, dir: tb.TempDir()}
	s.write(tb, siteFiles)
	s.dj = testenv.StartDjango(tb, map[string]string{
		"DJFRONT_BUCKET":          st.bucket,
		"DJFRONT_S3_ENDPOINT_URL": st.moto.Endpoint,
		"DJFRONT_HOSTS":           "www.example.com",
		"DJFRONT_CDN_DOMAIN":      "d111111abcdef8.cloudfront.net",
		"DJANGO_STATICFILES_DIRS": s.dir,
		"AWS_ACCESS_KEY_ID":       motoserver.AccessKey,
		"AWS_SECRET_ACCESS_KEY":   motoserver.SecretKey,
		"AWS_REGION":              motoserver.Region,
	})
	return s
}

func (s *site) write(tb testing.TB, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		p := filepath.Join(s.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// deployment is what one collectstatic caused.
type deployment struct {
	messages int        // S3 event notifications delivered
	batches  int        // function invocations
	added    []recorded // invalidations created
}

// deploy runs collectstatic, delivers every notification and reports what
// happened; a failed message fails tb.
func (s *site) deploy(tb testing.TB) deployment {
	tb.Helper()
	before := s.st.invalidations(tb)
	s.dj.Manage(tb, "collectstatic", "--noinput")
	batches, err := s.st.poller.Drain(tb.Context(), 200) // each poll delivers a batch or waits a second
	if err != nil {
		tb.Fatal(err)
	}
	if f := failedMessages(batches); len(f) != 0 {
		tb.Fatalf("messages failed: %q", f)
	}
	d := deployment{messages: countMessages(batches), batches: len(batches), added: since(before, s.st.invalidations(tb))}
	if len(d.added) > d.batches {
		tb.Errorf("got %d invalidations for %d invocations, want at most one each", len(d.added), d.batches)
	}
	return d
}

// onlyRemoved fails t if a path of paths other than those in changed
// covers a file the bucket still holds: besides the files that changed, a
// deploy invalidates only the files it removed. ManifestStaticFilesStorage
// saves some hashed names in one pass and deletes them in a later one
// (static/admin/css/forms.71d7c81e8469.css, say): removals are always
// invalidated, even of hashed names.
func onlyRemoved(t *testing.T, st *stack, paths, changed []string) {
	t.Helper()
	for _, k := range st.keys(t, "static/") {
		for _, p := range paths {
			if !slices.Contains(changed, p) && pathplan.Covers([]string{p}, objectPath(k)) {
				t.Errorf("path %q covers %q, which the deploy did not change or remove", p, k)
			}
		}
	}
}

// collectstaticStack is the deployed configuration: batches of up to 100
// messages, a generous function timeout.
var collectstaticStack = stackOptions{visibility: 30 * time.Second, maxReceiveCount: 3, timeout: 60 * time.Second, batchSize: 100}

// TestCollectstatic follows a site through four deploys: the first upload,
// an unchanged re-run, a fresh checkout (every file re-uploaded with the
// same content) and a deploy with three files changed.
func TestCollectstatic(t *testing.T) {
	testenv.Integration(t)
	st := newStack(t, collectstaticStack)
	s := startSite(t, st)

	t.Run("first upload", func(t *testing.T) {
		d := s.deploy(t)
		keys := st.keys(t, "static/")
		if d.messages < len(keys) {
			t.Fatalf("got %d messages for %d objects, want one per upload at least", d.messages, len(keys))
		}
		paths := allPaths(d.added)
		var mutable, hashed int
		for _, k := range keys {
			if immutable.MatchString(k) {
				hashed++
				// Covers would also accept a directory wildcard; a hashed
				// file must not be named, so compare with its exact spelling.
				if slices.ContainsFunc(paths, func(p string) bool {
					return !strings.HasSuffix(p, "*") && pathplan.Covers([]string{p}, objectPath(k))
				}) {
					t.Errorf("hashed file %q invalidated by name", k)
				}
				continue
			}
			mutable++
			if !pathplan.Covers(paths, objectPath(k)) {
				t.Errorf("changed file %q not covered by %q", k, paths)
			}
		}
		if mutable == 0 || hashed == 0 {
			t.Fatalf("got %d hashed and %d other files, want both kinds", hashed, mutable)
		}
		t.Logf("%d objects (%d hashed), %d messages, %d invalidations, %d paths", len(keys), hashed, d.messages, len(d.added), len(paths))
	})

	t.Run("unchanged re-run", func(t *testing.T) {
		d := s.deploy(t)
		if d.messages == 0 {
			t.Fatal("got no messages, want the manifest and the adjusted CSS saved again")
		}
		onlyRemoved(t, st, allPaths(d.added), nil)
	})

	t.Run("fresh checkout", func(t *testing.T) {
		future := time.Now().Add(time.Hour)
		for name := range siteFiles {
			if err := os.Chtimes(filepath.Join(s.dir, filepath.FromSlash(name)), future, future); err != nil {
				t.Fatal(err)
			}
		}
		d := s.deploy(t)
		if d.messages < 2*len(siteFiles) {
			t.Fatalf("got %d messages, want each of the %d site files deleted and uploaded again", d.messages, len(siteFiles))
		}
		onlyRemoved(t, st, allPaths(d.added), nil)
	})

	t.Run("three files changed", func(t *testing.T) {
		s.write(t, changedFiles)
		d := s.deploy(t)
		// The changed files and the manifest that maps them to new hashed
		// names, by their exact paths; nothing else. Batches may split
		// them over several invalidations.
		want := []string{"/static/staticfiles.json"}
		for name := range changedFiles {
			want = append(want, "/static/"+name)
		}
		got := allPaths(d.added)
		slices.Sort(got)
		// Spelled out, not computed by the planner: the space is
		// percent-encoded as CloudFront requires.
		wantEncoded := []string{"/static/site/menu.js", "/static/site/team%20photo.png", "/static/site/theme.css", "/static/staticfiles.json"}
		for _, p := range wantEncoded {
			if !slices.Contains(got, p) {
				t.Errorf("got paths %q, want %q among them", got, p)
			}
		}
		onlyRemoved(t, st, got, wantEncoded)
		for _, p := range want {
			if !pathplan.Covers(got, p) {
				t.Errorf("changed file %q not covered by %q", p, got)
			}
		}
	})
}

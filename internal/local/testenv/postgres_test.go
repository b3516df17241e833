package testenv_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

var csrfToken = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

// admin is a viewer of the example's admin, its cookies kept, sending each
// request to whichever app process base names.
type admin struct {
	t   *testing.T
	jar cookies
}

// send sends method target (with form, if any, as a same-origin POST)
// through the proxy headers to the app at base.
func (a *admin) send(base, method, target string, form url.Values) (*http.Response, []byte) {
	a.t.Helper()
	req := newRequest(a.t, method, base+target, strings.NewReader(form.Encode()), viaProxy)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://www.example.com")
	}
	a.jar.add(req)
	resp, body := do(a.t, req)
	a.jar.keep(resp)
	return resp, body
}

// post GETs the form page at target from base and POSTs form to it with
// the page's CSRF token, wanting a redirect to location.
func (a *admin) post(base, target string, form url.Values, location string) {
	a.t.Helper()
	_, page := a.send(base, http.MethodGet, target, nil)
	m := csrfToken.FindSubmatch(page)
	if m == nil {
		a.t.Fatalf("no CSRF token in %s:\n%.500s", target, page)
	}
	form.Set("csrfmiddlewaretoken", string(m[1]))
	resp, body := a.send(base, http.MethodPost, target, form)
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || got != location {
		a.t.Fatalf("POST %s: got %d Location %q, want 302 %q; body:\n%.500s", target, resp.StatusCode, got, location, body)
	}
}

// login logs in as the superuser through the app at base.
func (a *admin) login(base string) {
	a.t.Helper()
	a.post(base, "/admin/login/?next=/admin/", url.Values{"username": {testenv.DjangoAdminUser},
		"password": {testenv.DjangoAdminPassword}, "next": {"/admin/"}}, "/admin/")
}

// TestTwoAppsOneDatabase serves the example with two gunicorns on one
// PostgreSQL database: what the first writes (the login's session, a group
// added in the admin), the second reads, as two Lambda environments share
// their database.
func TestTwoAppsOneDatabase(t *testing.T) {
	testenv.Integration(t)
	d := testenv.StartDjango(t, map[string]string{"DJFRONT_HOSTS": "www.example.com"})
	first, second := d.URL, d.Serve(t)
	a := &admin{t: t, jar: cookies{}}
	a.login(first)
	const group = "written through the first app"
	a.post(first, "/admin/auth/group/add/", url.Values{"name": {group}, "_save": {"Save"}}, "/admin/auth/group/")

	resp, body := a.send(second, http.MethodGet, "/admin/auth/group/", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), group) {
		t.Errorf("the second app's group list: got %d, want 200 listing %q (its session and the group from the first):\n%.1000s",
			resp.StatusCode, group, body)
	}
}

// TestDatabaseRestart restarts PostgreSQL under a running app that keeps its
// connections (conn_max_age in DATABASE_URL: CONN_MAX_AGE, with
// CONN_HEALTH_CHECKS): every request after the restart succeeds, none gets a
// connection the restart closed. Rounds of concurrent requests give every
// worker thread a connection before the restart and use them after.
func TestDatabaseRestart(t *testing.T) {
	testenv.Integration(t)
	pg := testenv.StartPostgres(t)
	d := testenv.StartDjango(t, map[string]string{"DJFRONT_HOSTS": "www.example.com", "DATABASE_URL": pg.URL + "?conn_max_age=600"})
	a := &admin{t: t, jar: cookies{}}
	a.login(d.URL)
	rounds := func(when string) {
		for range 3 {
			var wg sync.WaitGroup
			for range 8 { // the app's threads: 2 workers of 4
				req := newRequest(t, http.MethodGet, d.URL+"/admin/", nil, viaProxy)
				a.jar.add(req)
				wg.Go(func() {
					status, body, err := fetch(req)
					if err != nil || status != http.StatusOK || !strings.Contains(body, "Site administration") {
						t.Errorf("GET /admin/ %s: got %d (%v), want 200 with the admin index:\n%.300s", when, status, err, body)
					}
				})
			}
			wg.Wait()
		}
	}
	rounds("before the restart")
	if err := pg.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	rounds("after the restart")
}

// fetch sends req and returns its status and body; unlike do it may run
// outside the test's goroutine.
func fetch(req *http.Request) (int, string, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

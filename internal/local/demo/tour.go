package demo

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/djangoserver"
	"github.com/djfront/djfront/internal/local/motostack"
	"github.com/djfront/djfront/internal/local/proctree"
)

// invalidationLimit bounds the wait for collectstatic's invalidation: the
// batching window, a few seconds of uploads, and slow machines.
const invalidationLimit = 60 * time.Second

// Tour walks a viewer's requests through the stack and prints what each hop
// did: where the app runs, a page request, a CSRF-protected form POST, and
// a collectstatic with the invalidation it produced; in the in-function
// mode, last, that one app inside the function served it all. It returns
// an error when a hop did not do what djfront promises.
func (s *Stack) Tour(ctx context.Context, w io.Writer) error {
	if !s.cfg.Tour {
		return errors.New("the stack was started without Config.Tour")
	}
	type step struct {
		title string
		run   func(context.Context, io.Writer) error
	}
	steps := []step{
		{"Where the app runs: inside the function, as " + appFunctionID + " deploys", s.tourInFunction},
		{"A page request: host, scheme and client IP as Django sees them", s.tourPage},
		{"A form POST with Django's CSRF protection", s.tourForm},
		{"collectstatic, and the invalidation it produced", s.tourCollectstatic},
		{"One app inside the function served the whole tour", s.tourSameApp},
	}
	if s.cfg.App == External {
		steps[0] = step{"Where the app runs: on its own (the external mode)", s.tourExternal}
		steps = steps[:len(steps)-1]
	}
	for i, st := range steps {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, st.title)
		if err := st.run(ctx, w); err != nil {
			return fmt.Errorf("tour step %d (%s): %w", i+1, st.title, err)
		}
	}
	fmt.Fprintf(w, "\nTour complete: every hop did its job.\n")
	return nil
}

func (s *Stack) tourExternal(_ context.Context, w io.Writer) error {
	fmt.Fprintf(w, "   gunicorn (Django)     on its own at %s; hostforward forwards to it (UPSTREAM_URL), as to an app hosted elsewhere\n", s.DjangoURL)
	return nil
}

func (s *Stack) tourInFunction(_ context.Context, w io.Writer) error {
	started, ready := s.appLog.get("app started"), s.appLog.get("app ready")
	if len(started) != 1 || len(ready) != 1 || started[0].Pid != ready[0].Pid {
		return fmt.Errorf("the function's log has %v for \"app started\" and %v for \"app ready\", want one of each for one pid", started, ready)
	}
	fn := s.tpl.Functions[appFunctionID]
	pid, runtimePid := ready[0].Pid, s.app.RuntimePid()
	ppid := proctree.ParentOf(pid)
	app, parent := cmdline(pid), cmdline(ppid)
	fmt.Fprintf(w, "   %s           %s with the layer's AWS_LAMBDA_EXEC_WRAPPER=%s, UPSTREAM_COMMAND=%s\n",
		appFunctionID, fn.Runtime, fn.Environment["AWS_LAMBDA_EXEC_WRAPPER"], fn.Environment["UPSTREAM_COMMAND"])
	fmt.Fprintf(w, "   the function's log    \"app started\" pid %d, \"app ready\" after %d ms (GET %s answered)\n",
		pid, ready[0].DurationMS, cmp.Or(fn.Environment["UPSTREAM_READY_PATH"], "/"))
	fmt.Fprintf(w, "   process tree          pid %d %.60s… is a child of pid %d %s, the function's runtime process (the Python runtime's bootstrap, handed over to hostforward by the wrapper)\n",
		pid, app, ppid, parent)
	if !strings.Contains(app, "gunicorn") || ppid != runtimePid || !strings.Contains(parent, "hostforward") {
		return fmt.Errorf("pid %d (%q) under pid %d (%q): want gunicorn under the function's runtime process %d, become hostforward", pid, app, ppid, parent, runtimePid)
	}
	s.appPid, s.appParent = pid, ppid
	return nil
}

func (s *Stack) tourSameApp(_ context.Context, w io.Writer) error {
	started, exited := s.appLog.get("app started"), s.appLog.get("app exited")
	ppid := proctree.ParentOf(s.appPid)
	fmt.Fprintf(w, "   %d requests reached hostforward; the function's log says \"app started\" %d time(s), \"app exited\" %d; gunicorn master pid %d, child of pid %d\n",
		s.invocations(), len(started), len(exited), s.appPid, ppid)
	if len(started) != 1 || len(exited) != 0 || ppid != s.appParent {
		return fmt.Errorf("want the app started once, never exited, pid %d still the child of pid %d", s.appPid, s.appParent)
	}
	fmt.Fprintf(w, "   the same app served every request, inside the function\n")
	return nil
}

func (s *Stack) tourPage(ctx context.Context, w io.Writer) error {
	const forgedHost, forgedIP = "evil.example", "203.0.113.66"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/whoami/", nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Forwarded-Host", forgedHost)
	req.Header.Set("X-Forwarded-For", forgedIP)
	resp, body, err := s.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /whoami/: status %s: %.300s", resp.Status, body)
	}
	var who djangoserver.Whoami
	if err := json.Unmarshal(body, &who); err != nil {
		return fmt.Errorf("GET /whoami/: %w", err)
	}
	ev := s.lastEvent()
	if ev == nil {
		return errors.New("the edge sent no event to hostforward")
	}
	viewerHost := strings.TrimPrefix(s.URL, "https://")
	fmt.Fprintf(w, "   viewer → edge         GET %s/whoami/ over TLS from 127.0.0.1, forging X-Forwarded-Host: %s and X-Forwarded-For: %s\n", s.URL, forgedHost, forgedIP)
	fmt.Fprintf(w, "   edge → API Gateway    CloudFront Function: x-forwarded-host=%s true-client-ip=%s; origin header x-origin-verify=<%d-char secret>; cloudfront-forwarded-proto=%s\n",
		ev.Headers["x-forwarded-host"], ev.Headers["true-client-ip"], len(ev.Headers["x-origin-verify"]), ev.Headers["cloudfront-forwarded-proto"])
	fmt.Fprintf(w, "   API Gateway → Lambda  host=%s sourceIp=%s x-forwarded-for=%q requestId=%s\n",
		ev.Headers["host"], ev.RequestContext.HTTP.SourceIP, ev.Headers["x-forwarded-for"], ev.RequestContext.RequestID)
	fmt.Fprintf(w, "   hostforward → Django  get_host()=%s scheme=%s is_secure()=%t X-Forwarded-For=%s X-Origin-Verify=%s\n",
		who.Host, who.Scheme, who.Secure, orAbsent(who.XForwardedFor), orAbsent(who.XOriginVerify))
	fmt.Fprintf(w, "   Django → viewer       200, build_absolute_uri()=%s\n", who.Absolute)
	var problems []string
	check := func(what, got, want string) {
		if got != want {
			problems = append(problems, fmt.Sprintf("%s = %q, want %q", what, got, want))
		}
	}
	check("get_host()", who.Host, viewerHost)
	check("scheme", who.Scheme, "https")
	check("X-Forwarded-For", orAbsent(who.XForwardedFor), "127.0.0.1")
	check("X-Origin-Verify", orAbsent(who.XOriginVerify), "(absent)")
	check("build_absolute_uri()", who.Absolute, s.URL+"/whoami/")

	resp, body, err = s.viewerGet(ctx, "/static/admin/css/base.css")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   static file           GET /static/admin/css/base.css → %s, %d bytes of %s from bucket %s (no Lambda)\n",
		resp.Status, len(body), resp.Header.Get("Content-Type"), s.aws.Bucket)
	check("static file status", resp.Status, "200 OK")
	if problems != nil {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

var csrfInput = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

func (s *Stack) tourForm(ctx context.Context, w io.Writer) error {
	resp, body, err := s.viewerGet(ctx, "/form/")
	if err != nil {
		return err
	}
	m := csrfInput.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return fmt.Errorf("GET /form/: status %s, no CSRF token in %.300s", resp.Status, body)
	}
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "csrftoken" {
			cookie = fmt.Sprintf("csrftoken (Secure=%t, SameSite=%v)", c.Secure, sameSite(c.SameSite))
		}
	}
	fmt.Fprintf(w, "   GET /form/            → %s, Set-Cookie %s, a token in the form\n", resp.Status, cookie)

	form := url.Values{"csrfmiddlewaretoken": {html.UnescapeString(string(m[1]))}, "name": {"café au lait"}}.Encode()
	for _, tt := range []struct {
		origin string
		status int
	}{{s.URL, http.StatusOK}, {"https://evil.example", http.StatusForbidden}} {
		post, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/form/", strings.NewReader(form))
		if err != nil {
			return err
		}
		post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		post.Header.Set("Origin", tt.origin)
		post.Header.Set("Referer", s.URL+"/form/")
		resp, body, err := s.do(post)
		if err != nil {
			return err
		}
		answer := strings.TrimSpace(string(body))
		if resp.StatusCode == http.StatusForbidden {
			answer = "CSRF verification failed (Origin checking failed)"
		}
		fmt.Fprintf(w, "   POST /form/           Origin %-22s → %s: %s\n", tt.origin, resp.Status, answer)
		if resp.StatusCode != tt.status {
			return fmt.Errorf("POST with Origin %s: status %d, want %d: %.300s", tt.origin, resp.StatusCode, tt.status, body)
		}
	}
	return nil
}

func (s *Stack) tourCollectstatic(ctx context.Context, w io.Writer) error {
	before, err := s.aws.Invalidations(ctx)
	if err != nil {
		return err
	}
	note := "changed by the tour"
	if err := writeTourCSS(filepath.Join(s.StateDir, "extra-static"), note); err != nil {
		return err
	}
	out, err := s.manage(ctx, "collectstatic", "--noinput")
	if err != nil {
		return err
	}
	how := "manage.py on this machine"
	if s.cfg.App == InFunction {
		how = `in the function: {"manage": ["collectstatic", "--noinput"]}`
	}
	fmt.Fprintf(w, "   collectstatic         %s, %s (tour/banner.css changed)\n", how, childproc.LastLines(strings.TrimSpace(out), 1))

	path := "/" + staticPrefix + "/tour/banner.css"
	fresh, err := s.awaitInvalidation(ctx, before, path)
	if err != nil {
		return err
	}
	for _, inv := range fresh {
		fmt.Fprintf(w, "   S3 → SQS → invalidate CreateInvalidation %s on %s: %s\n", inv.ID, s.DistributionID, strings.Join(inv.Paths, " "))
	}

	s.invalidateEdge(ctx) // the edge's cache, as CloudFront's, drops the old file
	resp, body, err := s.viewerGet(ctx, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   viewer                GET %s → %s, the new file\n", path, resp.Status)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), note) {
		return fmt.Errorf("GET %s: status %s, body %.200q", path, resp.Status, body)
	}
	return nil
}

// awaitInvalidation returns the invalidations that are not in before once
// one of them covers path.
func (s *Stack) awaitInvalidation(ctx context.Context, before []motostack.Invalidation, path string) ([]motostack.Invalidation, error) {
	deadline := time.Now().Add(invalidationLimit)
	for {
		all, err := s.aws.Invalidations(ctx)
		if err != nil {
			return nil, err
		}
		fresh := slices.DeleteFunc(all, func(inv motostack.Invalidation) bool {
			return slices.ContainsFunc(before, func(b motostack.Invalidation) bool { return b.ID == inv.ID })
		})
		if covers(fresh, path) {
			return fresh, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no invalidation covering %s within %v (new: %v)", path, invalidationLimit, fresh)
		}
		if !sleep(ctx, 500*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
}

// covers reports whether one of invs invalidates path (exactly or with a
// wildcard).
func covers(invs []motostack.Invalidation, path string) bool {
	for _, inv := range invs {
		if slices.ContainsFunc(inv.Paths, func(p string) bool {
			prefix, wild := strings.CutSuffix(p, "*")
			return p == path || (wild && strings.HasPrefix(path, prefix))
		}) {
			return true
		}
	}
	return false
}

// viewerGet sends a GET of path to the edge, as a viewer does, and reads
// the whole answer.
func (s *Stack) viewerGet(ctx context.Context, path string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return nil, nil, err
	}
	return s.do(req)
}

// do sends req and reads the whole answer.
func (s *Stack) do(req *http.Request) (*http.Response, []byte, error) {
	resp, err := s.Client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	return resp, body, nil
}

func orAbsent(p *string) string {
	if p == nil {
		return "(absent)"
	}
	return *p
}

func sameSite(m http.SameSite) string {
	switch m {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return "unset"
}

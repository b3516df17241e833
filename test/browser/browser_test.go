// Package browser_test drives headless Chromium through the whole local
// chain — the local edge (CloudFront + API Gateway), hostforward under the
// Lambda Runtime API, Django under gunicorn, static files from the moto S3
// bucket — and logs in to the Django admin, the page that breaks first
// behind a misconfigured proxy (CSRF cookie, Origin check, Secure cookies,
// redirects, absolute static URLs).
package browser_test

import (
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/demo"
	"github.com/djfront/djfront/internal/local/testenv"
)

// chromiumInstall names the install step of Debian's Chromium.
const chromiumInstall = "apt-get install chromium (" + testenv.SystemInstallHint + ")"

// browserLimit bounds the whole browser session: a bound for slow
// machines, not a speed check.
const browserLimit = 2 * time.Minute

type response struct {
	url    string
	status int64
	typ    network.ResourceType
}

func TestAdminLoginThroughTheEdge(t *testing.T) {
	testenv.Integration(t)
	chromium := testenv.RequireCommand(t, "chromium", chromiumInstall)

	logs := childproc.NewTail(16 << 10)
	stack, err := demo.Start(t.Context(), demo.Config{
		Root: testenv.RepoRoot(t), Addr: "127.0.0.1:0", Host: "localhost", Logs: logs, Postgres: true, // as make local runs it
	})
	if err != nil {
		t.Fatalf("start the stack: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		stack.Close()
		if t.Failed() {
			t.Logf("stack logs (tail):\n%s", logs)
		}
	})

	ctx := startBrowser(t, chromium)
	var (
		mu        sync.Mutex
		responses []response
	)
	received := chromedp.Events(ctx, network.ResponseReceived) // subscribed before the navigation
	go func() {
		for ev, err := range received {
			if err != nil {
				return
			}
			mu.Lock()
			responses = append(responses, response{ev.Response.URL, ev.Response.Status, ev.Type})
			mu.Unlock()
		}
	}()
	snapshot := func() []response {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(responses)
	}
	logIn(t, ctx, stack)
	screenshot(t, ctx)
	t.Run("admin CSS from /static/ with 200", func(t *testing.T) { checkStylesheets(t, stack.URL, snapshot()) })
	t.Run("absolute URLs are https with the viewer's host", func(t *testing.T) { checkAbsoluteURLs(t, ctx, stack.URL) })
	t.Run("session cookie Secure and HttpOnly", func(t *testing.T) { checkSessionCookie(t, ctx) })
}

// logIn opens the admin, is sent to the login page and logs in as the
// stack's superuser.
func logIn(t *testing.T, ctx context.Context, stack *demo.Stack) {
	t.Helper()
	login, err := chromedp.RunResponse(ctx, chromedp.Navigate(stack.URL+"/admin/"))
	if err != nil {
		t.Fatalf("open %s/admin/: %v", stack.URL, err)
	}
	if want := stack.URL + "/admin/login/?next=/admin/"; login.URL != want || login.Status != 200 {
		t.Fatalf("the admin led to %s (%d), want the login page %s (200)", login.URL, login.Status, want)
	}
	home, err := chromedp.RunResponse(ctx,
		chromedp.SendKeys(chromedp.ID("id_username"), demo.AdminUser),
		chromedp.SendKeys(chromedp.ID("id_password"), stack.AdminPassword),
		chromedp.Submit(chromedp.ID("login-form")),
	)
	if err != nil {
		t.Fatalf("submit the login form: %v", err)
	}
	// POST /admin/login/ answers 302 to /admin/; the browser follows it.
	if home.URL != stack.URL+"/admin/" || home.Status != 200 {
		t.Fatalf("after login: %s (%d), want %s/admin/ (200)", home.URL, home.Status, stack.URL)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#content h1")))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Site administration" {
		t.Errorf("heading %q, want %q (logged in)", heading, "Site administration")
	}
}

// screenshot saves the page in $DJFRONT_ARTIFACTS (default
// /tmp/djfront-artifacts/).
func screenshot(t *testing.T, ctx context.Context) {
	t.Helper()
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv("DJFRONT_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "djfront-artifacts")
	}
	path := filepath.Join(dir, "admin-after-login.png")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the admin after login: %s", path)
}

// checkStylesheets checks every stylesheet came from the site's /static/admin/css/
// with 200 at first load (200 or 304 when revalidated).
func checkStylesheets(t *testing.T, site string, responses []response) {
	// Each stylesheet: 200 when first loaded (the login page), then 200
	// or 304 when revalidated on the next page (S3 sends no
	// Cache-Control for these objects, and answers If-None-Match).
	first := map[string]int64{}
	for _, r := range responses {
		if r.typ != network.ResourceTypeStylesheet {
			continue
		}
		if !strings.HasPrefix(r.url, site+"/static/admin/css/") {
			t.Errorf("stylesheet %s, want it from %s/static/admin/css/", r.url, site)
		}
		if _, seen := first[r.url]; !seen {
			first[r.url] = r.status
		} else if r.status != 200 && r.status != 304 {
			t.Errorf("stylesheet %s reloaded with status %d, want 200 or 304", r.url, r.status)
		}
	}
	if !slices.ContainsFunc(slices.Collect(maps.Keys(first)), func(u string) bool { return strings.Contains(u, "/static/admin/css/base.") }) {
		t.Errorf("the admin's base.css was not loaded; stylesheets: %v", first)
	}
	for u, status := range first {
		if status != 200 {
			t.Errorf("stylesheet %s: status %d at first load, want 200", u, status)
		}
	}
}

// checkAbsoluteURLs checks every absolute URL on the page is under site.
func checkAbsoluteURLs(t *testing.T, ctx context.Context, site string) {
	urls, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("[href],[src]"))
		.map(e => e.getAttribute("href") || e.getAttribute("src"))
		.filter(u => /^[a-z][a-z0-9+.-]*:\/\//i.test(u))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(urls) == 0 {
		t.Fatal("no absolute URL on the page (the static links should be)")
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, site+"/") {
			t.Errorf("absolute URL %s, want it under %s/", u, site)
		}
	}
}

// checkSessionCookie checks the session cookie is Secure and HttpOnly.
func checkSessionCookie(t *testing.T, ctx context.Context) {
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range cookies.Cookies {
		if c.Name == "sessionid" {
			found = true
			if !c.Secure || !c.HTTPOnly {
				t.Errorf("sessionid: Secure %t, HttpOnly %t, want both", c.Secure, c.HTTPOnly)
			}
		}
	}
	if !found {
		t.Error("no sessionid cookie after login")
	}
}

// startBrowser starts headless Chromium in its own process group with a
// fresh profile and returns a tab's context; everything is stopped when t
// ends. The network is closed: no background traffic, and localhost maps to
// the edge's loopback address.
func startBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	var cmd *exec.Cmd
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-proxy-server", true),
		// The edge's certificate is self-signed, made at start.
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("host-resolver-rules", "MAP localhost 127.0.0.1"),
		chromedp.WindowSize(1280, 900),
		chromedp.ModifyCmdFunc(func(c *exec.Cmd) {
			c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd = c
		}),
	)
	ctx, cancelTime := context.WithTimeout(t.Context(), browserLimit)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tabCtx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelTime()
		if cmd != nil && cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // renderers and zygotes too
		}
	})
	if err := chromedp.Do(tabCtx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", chromium, err)
	}
	return tabCtx
}

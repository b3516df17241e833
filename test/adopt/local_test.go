package adopt_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/demo"
	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/sam/fixtures"
)

// startLimit bounds a start of the stack, migrate and collectstatic
// included, and reloadLimit an app's restart: bounds for a loaded machine,
// not speed checks.
const (
	startLimit  = 10 * time.Minute
	reloadLimit = 3 * time.Minute
)

// TestOwnProject is issue 16's proof of djfront local (see the package
// documentation).
func TestOwnProject(t *testing.T) {
	testenv.Integration(t)
	root := testenv.RepoRoot(t)
	before := checkout(t, root)
	t.Cleanup(func() {
		if after := checkout(t, root); after != before {
			t.Errorf("the djfront checkout changed:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	})

	dist, version := testenv.MakeDist(t, root)
	venv := filepath.Join(t.TempDir(), "venv")
	testenv.MustRunPython(t, testenv.Python312(t, root), "-m", "venv", venv)
	python, djfront := filepath.Join(venv, "bin", "python"), filepath.Join(venv, "bin", "djfront")
	reqs := filepath.Join(root, "test", "adopt", "testdata", "requirements.txt")
	wheelhouse := testenv.Wheelhouse(t, python, reqs)
	testenv.MustRunPython(t, python, "-m", "pip", "install", "--no-index", "--find-links", dist, "--find-links", wheelhouse,
		"-r", reqs, "djfront[local]=="+version)
	project, _, _ := newProject(t, python, djfront)
	write(t, filepath.Join(project, ".env.local"), "# the app's settings\nSHOP_SETTING=\"from the env file\"\n")

	// A home of its own, to prove djfront local writes nothing there.
	home := t.TempDir()
	t.Setenv("HOME", home)
	l := startLocal(t, djfront, project, "--env-file", ".env.local")
	t.Run("page", func(t *testing.T) { checkPage(t, l, "first version") })
	t.Run("CSRF form POST persists a row", func(t *testing.T) { checkOrder(t, l, "café au lait") })
	t.Run("forged host refused before the app", func(t *testing.T) { checkForgedHost(t, l) })
	t.Run("the app a child of the function's runtime", func(t *testing.T) { checkProcessTree(t, l, project) })
	t.Run("an edit restarts the app", func(t *testing.T) {
		views := filepath.Join(project, "shop", "views.py")
		write(t, views, strings.Replace(shopFiles["shop/views.py"], `"first version"`, `"second version"`, 1))
		l.await(t, "      [reload] shop/views.py changed", reloadLimit)
		l.await(t, "      [reload] the app is up again", reloadLimit)
		checkPage(t, l, "second version")
	})
	t.Run("an edit that breaks the app is reported, not up", func(t *testing.T) {
		views := filepath.Join(project, "shop", "views.py")
		write(t, views, "raise RuntimeError('broken on purpose')\n"+shopFiles["shop/views.py"])
		l.await(t, "      [reload] shop/views.py changed", reloadLimit)
		if got := l.await(t, "      [reload] the app ", reloadLimit); !strings.HasPrefix(got, "      [reload] the app is failing: GET ") {
			t.Errorf("after an edit that breaks the app: %q, want the app is failing", got)
		}
		write(t, views, strings.Replace(shopFiles["shop/views.py"], `"first version"`, `"third version"`, 1))
		l.await(t, "      [reload] the app is up again", reloadLimit)
		checkPage(t, l, "third version")
	})
	l.interrupt(t)

	if _, err := os.Stat(filepath.Join(project, ".djfront", "db.sqlite3")); err != nil {
		t.Errorf("no database kept in .djfront: %v", err)
	}
	again := startLocal(t, djfront, project)
	t.Run("kept database", func(t *testing.T) {
		if !strings.Contains(again.ready, "user admin, who existed already") {
			t.Errorf("ready line %q, want the superuser found", again.ready)
		}
		if got := orders(t, again); !slices.Contains(got, "café au lait") {
			t.Errorf("orders after a restart: %q, want the row", got)
		}
	})
	again.interrupt(t)
	if left, _ := os.ReadDir(home); len(left) > 0 {
		t.Errorf("djfront local wrote %v into $HOME, outside the project", left)
	}
	// djfront invoke, like sam local invoke, prepares the function in the
	// user cache directory ($HOME/.cache/djfront/invoke).
	t.Run("djfront invoke", func(t *testing.T) { checkInvoke(t, djfront, project) })
}

// local is a running `djfront local`.
type local struct {
	p      *childproc.Process
	lines  chan string // its output, line by line
	marker string      // demo.RunMarker=… in its environment
	url    string      // https://localhost:PORT
	ready  string      // its "ready: " line
	client *http.Client
}

// startLocal runs `djfront local --port 0 args...` in project, as a user
// does from a shell in the project (no virtualenv active: djfront finds the
// python3 beside it), and waits until it is ready.
func startLocal(t *testing.T, djfront, project string, args ...string) *local {
	t.Helper()
	l := &local{lines: make(chan string, 1024), marker: demo.RunMarker + "=" + rand.Text()}
	cmd := exec.Command(djfront, append([]string{"local", "--port", "0"}, args...)...)
	cmd.Dir = project
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "PYTHON") || k == "VIRTUAL_ENV" || strings.HasPrefix(k, "DJANGO_") ||
			strings.HasPrefix(k, "DJFRONT_") || strings.HasPrefix(k, "AWS_") || k == "DATABASE_URL"
	}), l.marker)
	out, w := io.Pipe()
	p, err := childproc.Start("djfront local", cmd, childproc.Options{Output: w, TailSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	l.p = p
	go func() { <-p.Exited(); w.Close() }()
	go func() {
		defer close(l.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			l.lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	t.Cleanup(func() {
		p.Stop(childproc.DefaultGrace)
		testenv.KillMarked(t, l.marker)
		if t.Failed() {
			t.Logf("djfront local's output:\n%s\nits log (tail):\n%s", p.Tail(), tail(filepath.Join(project, ".djfront", "local.log")))
		}
	})
	l.ready = l.await(t, "ready: ", startLimit)
	u, err := url.Parse(strings.Fields(strings.TrimPrefix(l.ready, "ready: "))[0])
	if err != nil || u.Scheme != "https" || u.Hostname() != "localhost" {
		t.Fatalf("ready line %q: want https://localhost:PORT/", l.ready)
	}
	l.url = "https://" + u.Host
	l.client = edgeClient(t, "127.0.0.1:"+u.Port())
	return l
}

// await returns the first line of l's output that starts with prefix,
// failing t if none comes within limit or l exits first.
func (l *local) await(t *testing.T, prefix string, limit time.Duration) string {
	t.Helper()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("djfront local ended (%s) before %q", childproc.ExitStatus(l.p.Err()), prefix)
			}
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timer.C:
			t.Fatalf("no %q from djfront local within %v", prefix, limit)
		}
	}
}

// interrupt sends SIGINT to djfront local alone, as a terminal's Ctrl-C
// reaches it, and checks that it ends well, leaving no process behind.
func (l *local) interrupt(t *testing.T) {
	t.Helper()
	if up := testenv.Marked(t, l.marker); len(up) < 4 {
		t.Errorf("only %d marked processes up before Ctrl-C, want djfront, moto, the runtimes and the app: the check below would prove little: %q", len(up), up)
	}
	if err := syscall.Kill(l.p.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.p.Exited():
	case <-time.After(time.Minute):
		t.Fatal("djfront local still runs a minute after Ctrl-C")
	}
	for range l.lines { // the rest, into the tail
	}
	if status := childproc.ExitStatus(l.p.Err()); status != "exit status 0" || !strings.Contains(l.p.Tail(), "djfront local: stopping every process") {
		t.Errorf("after Ctrl-C: %s, want exit status 0 after \"stopping every process\"", status)
	}
	if left := testenv.Marked(t, l.marker); len(left) > 0 {
		t.Errorf("processes left behind after Ctrl-C: %q", left)
	}
}

// whoami is what the shop's whoami view answers.
type whoami struct {
	Host, Scheme, Absolute, Greeting, Setting string
	Secure                                    bool
}

func checkPage(t *testing.T, l *local, greeting string) {
	t.Helper()
	resp, body := l.do(t, http.MethodGet, "/shop/whoami/", nil, nil)
	var got whoami
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /shop/whoami/: %d %.300s", resp.StatusCode, body)
	}
	host := strings.TrimPrefix(l.url, "https://")
	want := whoami{Host: host, Scheme: "https", Secure: true, Absolute: l.url + "/shop/whoami/", Greeting: greeting, Setting: "from the env file"}
	if got != want {
		t.Errorf("the app saw %+v, want %+v", got, want)
	}
}

var csrfInput = regexp.MustCompile(`name="csrfmiddlewaretoken" value="([^"]+)"`)

func checkOrder(t *testing.T, l *local, name string) {
	resp, body := l.do(t, http.MethodGet, "/shop/order/", nil, nil)
	m := csrfInput.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("GET /shop/order/: %d, no CSRF token in %.300s", resp.StatusCode, body)
	}
	form := url.Values{"csrfmiddlewaretoken": {string(m[1])}, "name": {name}}.Encode()
	headers := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": l.url, "Referer": l.url + "/shop/order/"}
	if resp, body := l.do(t, http.MethodPost, "/shop/order/", strings.NewReader(form), headers); resp.StatusCode != http.StatusFound ||
		resp.Header.Get("Location") != "/shop/orders/" {
		t.Fatalf("POST /shop/order/: %d %q %.300s, want 302 to /shop/orders/", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if got := orders(t, l); !slices.Equal(got, []string{name}) {
		t.Errorf("orders %q, want [%q]", got, name)
	}
	headers["Origin"] = "https://evil.example"
	if resp, _ := l.do(t, http.MethodPost, "/shop/order/", strings.NewReader(form), headers); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with a foreign Origin: %d, want 403 from Django's CSRF check", resp.StatusCode)
	}
}

func orders(t *testing.T, l *local) []string {
	t.Helper()
	resp, body := l.do(t, http.MethodGet, "/shop/orders/", nil, nil)
	var got struct{ Orders []string }
	if err := json.Unmarshal(body, &got); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /shop/orders/: %d %.300s", resp.StatusCode, body)
	}
	return got.Orders
}

// checkForgedHost sends a viewer's request for another site's host name:
// hostforward refuses it (its own answer, not Django's DisallowedHost page).
func checkForgedHost(t *testing.T, l *local) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, l.url+"/shop/whoami/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "evil.example"
	resp, err := l.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `host "evil.example" is not in ALLOWED_HOSTS`; resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), want) {
		t.Errorf("Host: evil.example: %d %q, want 400 with hostforward's %q", resp.StatusCode, body, want)
	}
}

// checkProcessTree finds the app (the function's log: "app started") and
// checks its parent is the function's runtime process, a child of djfront
// local, become this djfront's hostforward through the Python runtime's
// bootstrap and the layer's wrapper, in the project as task root.
func checkProcessTree(t *testing.T, l *local, project string) {
	pid := lastAppPid(t, filepath.Join(project, ".djfront", "local.log"))
	app, runtime := cmdline(pid), proctree.ParentOf(pid)
	if !strings.Contains(app, "gunicorn") || !strings.Contains(app, "mysite.wsgi:application") {
		t.Errorf("app pid %d is %q, want the template's gunicorn of mysite", pid, app)
	}
	if got := proctree.ParentOf(runtime); got != l.p.Pid() {
		t.Errorf("the app's parent %d has parent %d, want djfront local (%d): not the function's runtime process", runtime, got, l.p.Pid())
	}
	args := strings.Fields(cmdline(runtime))
	if len(args) != 3 || filepath.Base(args[0]) != "djfront" || args[1] != "__lambda" || args[2] != "hostforward" {
		t.Errorf("the function's runtime process is %q, want djfront __lambda hostforward (the wheel's hostforward, run here)", args)
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", runtime))
	for _, want := range []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:", "LAMBDA_TASK_ROOT=" + project + "\x00",
		"AWS_EXECUTION_ENV=AWS_Lambda_python3.12\x00", "/opt/djfront-wrapper\x00"} {
		if !strings.Contains(string(env), want) {
			t.Errorf("the runtime process's environment lacks %q", want)
		}
	}
}

// lastAppPid returns the pid of the function log's last "app started".
func lastAppPid(t *testing.T, log string) int {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	pid := 0
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.IndexByte(line, '{'); i >= 0 && strings.Contains(line, `"msg":"app started"`) {
			var ev struct{ Pid int }
			if json.Unmarshal([]byte(line[i:]), &ev) == nil && ev.Pid > 0 {
				pid = ev.Pid
			}
		}
	}
	if pid == 0 {
		t.Fatalf("no \"app started\" in %s", log)
	}
	return pid
}

// checkInvoke runs `djfront invoke AppFunction` in the project, on the kept
// database, as sam local invoke would: the Python runtime through the
// wrapper, with the project's interpreter.
func checkInvoke(t *testing.T, djfront, project string) {
	var event map[string]any
	if err := json.Unmarshal(fixtures.Must(t, "api-get.json"), &event); err != nil {
		t.Fatal(err)
	}
	event["rawPath"], event["rawQueryString"] = "/shop/orders/", ""
	b, _ := json.Marshal(event)
	write(t, filepath.Join(project, "event.json"), string(b))
	write(t, filepath.Join(project, "env.json"), `{"AppFunction": {"ALLOWED_HOSTS": "www.example.com", "DJFRONT_HOSTS": "www.example.com",
		"ORIGIN_VERIFY_SECRETS": "local-only-not-a-secret", "DATABASE_URL": "sqlite:///`+(&url.URL{Path: filepath.Join(project, ".djfront", "db.sqlite3")}).EscapedPath()+`"}}`)
	cmd := exec.CommandContext(t.Context(), djfront, "invoke", "AppFunction", "-e", "event.json", "--env-vars", "env.json")
	cmd.Dir = project
	out, err := cmd.Output()
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "caf\\u00e9 au lait") {
		t.Errorf("djfront invoke: %v, %s; want 200 with the kept order", err, out)
	}
	// Out of the box: no event, no env-vars file (the wheel ships neither).
	// The built-in GET / of https://localhost/ reaches Django, which has no
	// page there: its 404, not hostforward's refusal (it used to fail
	// "ALLOWED_HOSTS: required").
	cmd = exec.CommandContext(t.Context(), djfront, "invoke", "AppFunction")
	cmd.Dir = project
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	resp.StatusCode, resp.Body = 0, ""
	if err != nil || json.Unmarshal(out, &resp) != nil || resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, "Not Found") {
		t.Errorf("djfront invoke AppFunction: %v, %s; want Django's 404 for GET /\n%s", err, out, stderr.String())
	}
}

// do sends a viewer's request to the edge and reads the whole answer.
func (l *local) do(t *testing.T, method, path string, body io.Reader, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, l.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// edgeClient returns a viewer's client of the edge at addr: it trusts the
// self-signed certificate the edge presents for localhost (no other),
// keeps cookies, follows no redirect, and reaches addr whatever the URL.
func edgeClient(t *testing.T, addr string) *http.Client {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}) //nolint:gosec // to read the certificate, checked below
	if err != nil {
		t.Fatal(err)
	}
	cert := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	if _, err := cert.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: pool}); err != nil {
		t.Fatalf("the edge's certificate: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:     jar,
		Timeout: time.Minute,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkout returns what git says of the checkout at root: its status with
// untracked and ignored files, and the hash of its diff.
func checkout(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	for _, args := range [][]string{{"status", "--porcelain", "--ignored", "--untracked-files=all"}, {"diff", "HEAD", "--stat", "--binary"}} {
		out, err := exec.Command("git", append([]string{"-C", root}, args...)...).Output()
		if err != nil {
			testenv.Missing(t, "git (to check the checkout is untouched: "+err.Error()+")", "apt-get install git")
		}
		b.Write(out)
	}
	return b.String()
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	return childproc.LastLines(string(b), 60)
}

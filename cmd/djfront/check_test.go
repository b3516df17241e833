package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
)

// getOnly is a site whose app behaviour allows GET and HEAD only: every
// other method gets CloudFront's own 403, as recorded.
func getOnly(t *testing.T) *httptest.Server {
	t.Helper()
	refusal, err := os.ReadFile(filepath.Join("..", "..", "internal", "sitecheck", "testdata", "cloudfront-403-method.http"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := bytes.Cut(refusal, []byte("\n\n"))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Via", "1.1 abc.cloudfront.net (CloudFront)")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("X-Cache", "Error from cloudfront")
			w.WriteHeader(http.StatusForbidden)
			w.Write(body)
			return
		}
		w.Header().Set("X-Cache", "Miss from cloudfront")
		w.Write([]byte("<p>home</p>"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestRunCheckExitStatus(t *testing.T) {
	srv := getOnly(t)
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return "https://" + l.Addr().String() + "/"
	}()
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string // a part of it
		stderr string
	}{
		{"a check fails", []string{"check", "--insecure", srv.URL}, 1, "methods         FAIL    CloudFront itself answers OPTIONS and POST", ""},
		{"JSON", []string{"check", "--json", "--insecure", srv.URL}, 1, `"id": "methods",` + "\n      \"ok\": false", ""},
		{"the self-signed certificate without --insecure", []string{"check", srv.URL}, 2, "", "add --insecure"},
		{"nothing listens", []string{"check", closed}, 2, "", "the site cannot be reached"},
		{"flags after the URL", []string{"check", srv.URL, "--json", "--insecure"}, 1, `"id": "methods",`, ""},
		{"flags on both sides", []string{"check", "--json", srv.URL, "--insecure"}, 1, `"id": "methods",`, ""},
		{"a bare host", []string{"check", strings.TrimPrefix(srv.URL, "https://"), "--insecure"}, 1, "methods         FAIL", ""},
		{"after --, the URL", []string{"check", "--insecure", "--", srv.URL}, 1, "methods         FAIL", ""},
		{"after --, no more flags", []string{"check", srv.URL, "--", "--json"}, 2, "", "want one URL, got 2 arguments"},
		{"two URLs around a flag", []string{"check", "https://a.example/", "--json", "https://b.example/"}, 2, "", "want one URL, got 2"},
		{"a flag without its value after the URL", []string{"check", srv.URL, "--origin"}, 2, "", "flag needs an argument: -origin"},
		{"http URL", []string{"check", "http://www.example.com/"}, 2, "", "give the https:// address"},
		{"no URL", []string{"check", "--json"}, 2, "", "want one URL, got 0 arguments"},
		{"two URLs", []string{"check", "https://a.example/", "https://b.example/"}, 2, "", "want one URL, got 2"},
		{"unknown flag", []string{"check", "--nope", srv.URL}, 2, "", "flag provided but not defined: -nope"},
		{"bad --origin", []string{"check", "--origin", "ftp://x", srv.URL}, 2, "", "--origin"},
		{"help", []string{"check", "-h"}, 0, "", "usage: djfront check"},
		{"unknown command", []string{"deploy"}, 2, "", `unknown command "deploy"`},
		{"no command", nil, 2, "", "djfront check [--json]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), env{stdout: &stdout, stderr: &stderr}, tt.args)
			if status != tt.status || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("status %d, stdout\n%s\nstderr\n%s\nwant status %d, stdout with %q, stderr with %q",
					status, stdout.String(), stderr.String(), tt.status, tt.stdout, tt.stderr)
			}
		})
	}
}

// TestRunCheckPrintsNoControlCharacters checks that text from the site in
// an error (here a certificate's name with terminal escapes) reaches the
// terminal without them.
func TestRunCheckPrintsNoControlCharacters(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cert := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"evil\x1b]0;pwned\x07\x1b[2J.example"},
	}
	der, err := x509.CreateCertificate(rand.Reader, cert, cert, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	var stdout, stderr bytes.Buffer
	status := run(context.Background(), env{stdout: &stdout, stderr: &stderr}, []string{"check", "https://localhost:" + port + "/"})
	if status != 2 || !strings.Contains(stderr.String(), "certificate is valid for evil") {
		t.Fatalf("status %d, stderr %q: want 2 and the certificate's names", status, stderr.String())
	}
	if i := strings.IndexFunc(stderr.String(), func(r rune) bool { return r != '\n' && unicode.IsControl(r) }); i >= 0 {
		t.Errorf("stderr %q has a control character at %d: want the site's text without them", stderr.String(), i)
	}
}

func TestRunCheckJSONIsTheReport(t *testing.T) {
	srv := getOnly(t)
	var stdout, stderr bytes.Buffer
	run(context.Background(), env{stdout: &stdout, stderr: &stderr}, []string{"check", "--json", "--insecure", srv.URL + "/"})
	var got struct {
		URL    string `json:"url"`
		Checks []struct {
			ID string `json:"id"`
			OK *bool  `json:"ok"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout.String())
	}
	if got.URL != srv.URL+"/" || len(got.Checks) != 9 {
		t.Errorf("url %q, %d checks; want %q and 9", got.URL, len(got.Checks), srv.URL+"/")
	}
}

func TestProbeTokenFile(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name        string
		flag, file  string
		want, wantE string
	}{
		{"the token, its newline dropped", "", file("ok", "s3cret-probe-token-42\n", 0o600), "s3cret-probe-token-42", ""},
		{"CRLF", "", file("crlf", "s3cret-probe-token-42\r\n", 0o400), "s3cret-probe-token-42", ""},
		{"readable by the group", "", file("group", "s3cret-probe-token-42", 0o640), "s3cret-probe-token-42", ""},
		{"readable by anyone", "", file("world", "s3cret-probe-token-42\n", 0o644), "", "anyone on this machine can read or change it: chmod 600 "},
		{"writable by anyone", "", file("worldw", "s3cret-probe-token-42\n", 0o602), "", "anyone on this machine can read or change it"},
		{"empty", "", file("empty", "\n", 0o600), "", "is empty"},
		{"two lines", "", file("lines", "a-token\nanother\n", 0o600), "", "the token alone, on one line"},
		{"a space inside", "", file("space", "a token\n", 0o600), "", "the token alone, on one line"},
		{"a control character", "", file("ctl", "a\x1btoken\n", 0o600), "", "the token alone, on one line"},
		{"too long", "", file("long", strings.Repeat("t", 5000), 0o600), "", "longer than 4096 bytes"},
		{"missing", "", filepath.Join(dir, "nope"), "", "no such file"},
		{"both", "t0ken-t0ken-t0ken", file("both", "x\n", 0o600), "", "--probe-token or --probe-token-file, not both"},
		{"the flag alone", "t0ken-t0ken-t0ken", "", "t0ken-t0ken-t0ken", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := probeToken(tt.flag, tt.file)
			switch {
			case tt.wantE == "" && err != nil:
				t.Fatalf("probeToken(%q, %q): %v", tt.flag, tt.file, err)
			case tt.wantE != "" && (err == nil || !strings.Contains(err.Error(), tt.wantE)):
				t.Fatalf("probeToken(%q, %q): error %v, want %q", tt.flag, tt.file, err, tt.wantE)
			case got != tt.want:
				t.Errorf("probeToken(%q, %q) = %q, want %q", tt.flag, tt.file, got, tt.want)
			}
		})
	}
}

// TestRunCheckProbeTokenFile runs djfront check with the token in a file:
// the probe view gets it; a world-readable file is a usage error and no
// request is sent.
func TestRunCheckProbeTokenFile(t *testing.T) {
	var mu sync.Mutex
	var tokens []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tokens = append(tokens, r.Header.Get("X-Djfront-Probe-Token"))
		mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	secret, open := filepath.Join(dir, "token"), filepath.Join(dir, "open")
	for path, mode := range map[string]os.FileMode{secret: 0o600, open: 0o644} {
		if err := os.WriteFile(path, []byte("probe-token-from-a-file\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	if status := run(context.Background(), env{stdout: &stdout, stderr: &stderr}, []string{"check", "--insecure", "--probe-token-file", open, srv.URL}); status != 2 || !strings.Contains(stderr.String(), "chmod 600") {
		t.Errorf("world-readable file: status %d, stderr %q; want 2 and chmod 600", status, stderr.String())
	}
	mu.Lock()
	if len(tokens) != 0 {
		t.Errorf("%d requests sent with a refused token file, want none", len(tokens))
	}
	mu.Unlock()
	stdout.Reset()
	stderr.Reset()
	run(context.Background(), env{stdout: &stdout, stderr: &stderr}, []string{"check", "--insecure", "--probe-token-file", secret, srv.URL})
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(tokens, "probe-token-from-a-file") {
		t.Errorf("tokens sent %q, want the file's on the probe request (stderr %q)", tokens, stderr.String())
	}
}

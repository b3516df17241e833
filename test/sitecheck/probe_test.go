package sitecheck_test

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/localedge"
	"github.com/djfront/djfront/internal/local/testenv"
)

const probeToken = "probe-token-for-the-chain-test-42"

// edgeServer serves h over TLS on loopback with a certificate for
// localhost, and returns its viewer URL and a transport that trusts it.
func edgeServer(t *testing.T, h http.Handler) (string, http.RoundTripper) {
	t.Helper()
	cert, err := localedge.SelfSignedCert("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	return "https://localhost:" + port, &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
}

// TestProbeThroughTheChain runs `djfront check --probe-token` through the
// local edge and the built hostforward to the example Django app with the
// probe on: host, scheme and csrf come from Django's own answer. The
// origin is asked directly twice: API Gateway without the distribution (no
// origin secret: hostforward refuses it) and the app itself (it answers,
// which is the pitfall). Last, the chain without the origin secret.
func TestProbeThroughTheChain(t *testing.T) {
	testenv.Integration(t)
	const secret = "chain-test-origin-secret"
	quiet := slog.New(slog.DiscardHandler)
	// The edge plays template.yaml's distribution (no S3 origin here).
	dist, err := localedge.ReadDistribution(filepath.Join(testenv.RepoRoot(t), "template.yaml"),
		map[string]string{"StaticPrefix": "static", "MediaPrefix": "media"})
	if err != nil {
		t.Fatal(err)
	}
	edge := func(app localedge.Invoker, originVerify string) http.Handler {
		return localedge.New(localedge.Config{Distribution: dist, App: app, OriginVerify: originVerify, Logger: quiet})
	}
	django := testenv.StartDjango(t, map[string]string{"DJFRONT_HOSTS": "localhost", "DJFRONT_PROBE_TOKEN": probeToken})
	hf := testenv.StartFunction(t, testenv.BuildBootstrap(t, "./functions/hostforward"), []string{
		"UPSTREAM_URL=" + django.URL, "ALLOWED_HOSTS=localhost", "ORIGIN_VERIFY_SECRETS=" + secret,
	}, 0)
	site, _ := edgeServer(t, edge(hf, secret))
	// The HTTP API's endpoint called without the distribution in front: no
	// X-Origin-Verify (the stand-in edge sends an empty one).
	api, _ := edgeServer(t, edge(hf, ""))

	tests := []struct {
		name, site, origin string            // site: default the chain with its secret
		want               map[string]string // check id → "pass"/"fail"/"skip" and a part of the detail
	}{
		{"the API endpoint refuses", "", api + "/", map[string]string{
			"host":          "pass get_host() is localhost:",
			"scheme":        "pass Django saw https, is_secure() True (probe)",
			"csrf":          "pass Origin https://localhost:",
			"methods":       "pass OPTIONS → 404, POST → 404",
			"origin-bypass": "pass → 403: the origin refuses requests that did not come through the distribution",
		}},
		{"the app itself answers", "", django.URL + "/whoami/", map[string]string{
			"origin-bypass": "fail GET /whoami/ → 200 with a forged X-Forwarded-Host",
		}},
	}
	// The template without its secret: no origin header, no
	// ORIGIN_VERIFY_SECRETS. The site works, and so does a request sent
	// straight to the API with a forged X-Forwarded-Host.
	noSecret := testenv.StartFunction(t, testenv.BuildBootstrap(t, "./functions/hostforward"), []string{
		"UPSTREAM_URL=" + django.URL, "ALLOWED_HOSTS=localhost",
	}, 0)
	openSite, _ := edgeServer(t, edge(noSecret, ""))
	openAPI, _ := edgeServer(t, edge(noSecret, ""))
	tests = append(tests, struct {
		name, site, origin string
		want               map[string]string
	}{"no secret", openSite, openAPI + "/", map[string]string{
		"host":          "pass get_host() is localhost:",
		"origin-bypass": "fail GET / → 404 with a forged X-Forwarded-Host",
	}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := tt.site
			if target == "" {
				target = site
			}
			report, text, _ := checkCLI(t, "--insecure", "--probe-token", probeToken, "--origin", tt.origin, target+"/")
			for id, want := range tt.want {
				c, _ := report.Get(id)
				result := "pass"
				if c.Failed() {
					result = "fail"
				} else if c.OK == nil {
					result = "skip"
				}
				wantResult, wantDetail, _ := strings.Cut(want, " ")
				if result != wantResult || !strings.Contains(c.Detail, wantDetail) {
					t.Errorf("%s: got %s %q, want %s with %q", id, result, c.Detail, wantResult, wantDetail)
				}
			}
			if t.Failed() {
				t.Logf("report:\n%s", text)
			}
		})
	}
}

package hostforward_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

// TestAppAnswersOnlyHostforward runs Django with UpstreamVerifyMiddleware
// on: through hostforward the app answers; the same request straight to
// gunicorn, as someone who found the app's address would send it, is 403.
func TestAppAnswersOnlyHostforward(t *testing.T) {
	testenv.Integration(t)
	dj := testenv.StartDjango(t, map[string]string{"DJFRONT_HOSTS": site, "DJFRONT_UPSTREAM_SECRETS": "rotated-in," + appCredential})
	c := startChain(t, dj.URL)
	noCredential := startChain(t, dj.URL, "UPSTREAM_VERIFY_SECRET=")

	if w := decodeWhoami(t, c.invoke(event(t, "api-get.json", "GET", "/whoami/"))); w.Host != site || !w.Secure {
		t.Errorf("through hostforward: Django saw host %q secure %v, want %q true", w.Host, w.Secure, site)
	}

	direct := func(header map[string]string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, dj.URL+"/whoami/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = site
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	forged := map[string]string{"X-Forwarded-Host": site, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
	tests := []struct {
		name   string
		send   func() (int, string)
		status int
	}{
		{"straight to gunicorn, the proxy headers forged", func() (int, string) { return direct(forged) }, 403},
		{"straight to gunicorn, a guessed credential", func() (int, string) {
			return direct(map[string]string{"X-Upstream-Verify": "guess", "X-Forwarded-Host": site})
		}, 403},
		{"straight to gunicorn with the credential (only hostforward has it)", func() (int, string) {
			return direct(map[string]string{"X-Upstream-Verify": appCredential})
		}, 200},
		{"through a hostforward without the credential, the client sending it", func() (int, string) {
			ev := event(t, "api-get.json", "GET", "/whoami/")
			ev.Headers["x-upstream-verify"] = appCredential
			resp := noCredential.invoke(ev)
			return resp.StatusCode, resp.Body
		}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := tt.send()
			if status != tt.status {
				t.Errorf("status: got %d, want %d: %.200s", status, tt.status, body)
			}
			if tt.status == 403 && !strings.Contains(body, "forwarded by djfront's hostforward") {
				t.Errorf("body: got %.200q, want UpstreamVerifyMiddleware's 403", body)
			}
		})
	}
}

// TestOriginSecretFromSecretsManager runs the built hostforward with
// ORIGIN_VERIFY_SECRET_ARN against moto's Secrets Manager (through
// AWS_ENDPOINT_URL): the values of AWSCURRENT, AWSPENDING and AWSPREVIOUS are
// accepted, any other refused before the app; a secret that cannot be read
// stops the function at cold start with a message naming the variable.
// (The re-read after a rotation, at most once a minute, is tested with a
// test clock in package secretcache, against moto too.)
func TestOriginSecretFromSecretsManager(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	sm := secretsmanager.NewFromConfig(m.Config)
	ctx := t.Context()
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "app") }))
	t.Cleanup(app.Close)
	bin := testenv.BuildBootstrap(t, "./functions/hostforward")
	env := func(arn string) []string {
		return append(m.Env(), "UPSTREAM_URL="+app.URL, "ALLOWED_HOSTS="+site, "ORIGIN_VERIFY_SECRET_ARN="+arn)
	}

	created, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("origin"), SecretString: aws.String("value-1")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	// A finished rotation (value-2 current, value-1 previous), then a started one (value-3 pending).
	rotate(t, sm, arn, "11111111-1111-4111-8111-111111111111", "value-2", true)
	rotate(t, sm, arn, "22222222-2222-4222-8222-222222222222", "value-3", false)

	fn := testenv.StartFunction(t, bin, env(arn), 10*time.Second)
	for value, want := range map[string]int{"value-1": 200, "value-2": 200, "value-3": 200, "value-4": 403, "": 403} {
		ev := event(t, "api-get.json", "GET", "/")
		ev.Headers["x-origin-verify"] = value
		resp := (&chain{t: t, fn: fn}).invoke(ev)
		if resp.StatusCode != want {
			t.Errorf("X-Origin-Verify %q: status %d, want %d: %s", value, resp.StatusCode, want, resp.Body)
		}
	}

	t.Run("unreadable secret stops the cold start", func(t *testing.T) {
		var logs bytes.Buffer
		missing := strings.Replace(arn, ":secret:origin", ":secret:missing", 1)
		srv, err := runtimeapi.Start(context.Background(), runtimeapi.Function{Name: "hostforward", Binary: bin, Env: env(missing), Logs: &logs})
		if err == nil {
			srv.Close()
			t.Fatal("the function started; want its init to fail")
		}
		if !strings.Contains(err.Error(), "Runtime.ExitError") {
			t.Errorf("start: got %v, want a Runtime.ExitError", err)
		}
		// AWS answers ListSecretVersionIds for a missing secret with
		// ResourceNotFoundException; moto 5.2.1 fails with a 500 (KeyError).
		for _, want := range []string{`"msg":"cannot start"`, "read the secrets: ORIGIN_VERIFY_SECRET_ARN: read secret " + missing + " (versions): operation error Secrets Manager: ListSecretVersionIds"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("logs: got\n%s\nwant them to contain %q", logs.String(), want)
			}
		}
	})
}

// TestUpstreamSecretByARN runs hostforward and Django both reading the
// app's credential by ARN (UPSTREAM_VERIFY_SECRET_ARN and
// DJFRONT_UPSTREAM_SECRETS_SECRET_ARN, as the template's in-function mode
// sets them) from moto's Secrets Manager, through a rotation: the new value
// staged AWSPENDING, the app (re)started, AWSCURRENT moved to it, then a
// hostforward started, which sends the new value. The app accepts it, and
// the old one it replaced (AWSPREVIOUS), and nothing else.
func TestUpstreamSecretByARN(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	sm := secretsmanager.NewFromConfig(m.Config)
	created, err := sm.CreateSecret(t.Context(), &secretsmanager.CreateSecretInput{Name: aws.String("upstream"), SecretString: aws.String("credential-1")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(created.ARN)
	const token = "33333333-3333-4333-8333-333333333333"
	rotate(t, sm, arn, token, "credential-2", false)

	djEnv := map[string]string{"DJFRONT_HOSTS": site, "DJFRONT_UPSTREAM_SECRETS_SECRET_ARN": arn}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		djEnv[k] = v
	}
	dj := testenv.StartDjango(t, djEnv)
	finishRotation(t, sm, arn, token)
	c := startChain(t, dj.URL, append(m.Env(), "UPSTREAM_VERIFY_SECRET=", "UPSTREAM_VERIFY_SECRET_ARN="+arn)...)

	if resp := c.invoke(event(t, "api-get.json", "GET", "/whoami/")); resp.StatusCode != http.StatusOK {
		t.Errorf("through hostforward sending the new AWSCURRENT: status %d, want 200: %.200s", resp.StatusCode, resp.Body)
	}
	for credential, want := range map[string]int{"credential-1": 200, "credential-2": 200, "credential-1,credential-2": 403, "credential-3": 403} {
		req, err := http.NewRequest(http.MethodGet, dj.URL+"/whoami/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = site
		req.Header.Set("X-Upstream-Verify", credential)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("straight to gunicorn with X-Upstream-Verify %q: status %d, want %d", credential, resp.StatusCode, want)
		}
	}
}

// rotate adds value as the AWSPENDING version token and, when finish is
// set, moves AWSCURRENT to it, as the rotation function does.
func rotate(t *testing.T, sm *secretsmanager.Client, arn, token, value string, finish bool) {
	t.Helper()
	ctx := t.Context()
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(arn), ClientRequestToken: aws.String(token), SecretString: aws.String(value),
		VersionStages: []string{"AWSPENDING"},
	}); err != nil {
		t.Fatal(err)
	}
	if finish {
		finishRotation(t, sm, arn, token)
	}
}

// finishRotation moves AWSCURRENT to version token and removes its
// AWSPENDING, as the rotation function's finishSecret does.
func finishRotation(t *testing.T, sm *secretsmanager.Client, arn, token string) {
	t.Helper()
	ctx := t.Context()
	d, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	for id, stages := range d.VersionIdsToStages {
		for _, s := range stages {
			if s == "AWSCURRENT" {
				if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
					SecretId: aws.String(arn), VersionStage: aws.String("AWSCURRENT"),
					MoveToVersionId: aws.String(token), RemoveFromVersionId: aws.String(id),
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	if _, err := sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String(arn), VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: aws.String(token),
	}); err != nil {
		t.Fatal(err)
	}
}

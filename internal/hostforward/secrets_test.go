package hostforward_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/djfront/djfront/internal/hostforward"
)

const originARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-AbCdEf"

func TestSecretVariables(t *testing.T) {
	base := map[string]string{"UPSTREAM_URL": "http://127.0.0.1:8000", "ALLOWED_HOSTS": "www.example.com"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "origin ARN", env: map[string]string{"ORIGIN_VERIFY_SECRET_ARN": originARN}},
		{name: "upstream ARN", env: map[string]string{"UPSTREAM_VERIFY_SECRET_ARN": originARN}},
		{name: "origin ARN and list", env: map[string]string{"ORIGIN_VERIFY_SECRET_ARN": originARN, "ORIGIN_VERIFY_SECRETS": "x"},
			wantErr: "ORIGIN_VERIFY_SECRET_ARN: set it or ORIGIN_VERIFY_SECRETS, not both"},
		{name: "upstream ARN and value", env: map[string]string{"UPSTREAM_VERIFY_SECRET_ARN": originARN, "UPSTREAM_VERIFY_SECRET": "x"},
			wantErr: "UPSTREAM_VERIFY_SECRET_ARN: set it or UPSTREAM_VERIFY_SECRET, not both"},
		{name: "a value where the ARN goes is not echoed", env: map[string]string{"ORIGIN_VERIFY_SECRET_ARN": "hunter2"},
			wantErr: "ORIGIN_VERIFY_SECRET_ARN: not a Secrets Manager secret ARN"},
		{name: "upstream value with a line break", env: map[string]string{"UPSTREAM_VERIFY_SECRET": "a\nb"},
			wantErr: "UPSTREAM_VERIFY_SECRET: leading or trailing white space or a line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for _, m := range []map[string]string{base, tt.env} {
				for k, v := range m {
					env[k] = v
				}
			}
			_, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got error %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the value", err)
			}
		})
	}
}

// fakeSecrets holds one version, "v1" labelled AWSCURRENT, of each secret
// in values by secret id; other secrets do not exist.
type fakeSecrets map[string]string

var errNoSecret = &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}

func (f fakeSecrets) ListSecretVersionIds(_ context.Context, in *secretsmanager.ListSecretVersionIdsInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretVersionIdsOutput, error) {
	if _, ok := f[aws.ToString(in.SecretId)]; !ok {
		return nil, errNoSecret
	}
	return &secretsmanager.ListSecretVersionIdsOutput{Versions: []smtypes.SecretVersionsListEntry{
		{VersionId: aws.String("v1"), VersionStages: []string{"AWSCURRENT"}}}}, nil
}

func (f fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	v, ok := f[aws.ToString(in.SecretId)]
	if !ok || aws.ToString(in.VersionId) != "v1" {
		return nil, errNoSecret
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(v)}, nil
}

// TestNewReadsSecretsByARN: New reads the secrets named by ARN, checks
// X-Origin-Verify against one and sends the other as X-Upstream-Verify, and
// fails, naming each variable, when it cannot read them.
func TestNewReadsSecretsByARN(t *testing.T) {
	const upstreamARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:upstream-XyZ123"
	app := newUpstream(t, ok)
	env := map[string]string{"UPSTREAM_URL": app.URL, "ALLOWED_HOSTS": "www.example.com",
		"ORIGIN_VERIFY_SECRET_ARN": originARN, "UPSTREAM_VERIFY_SECRET_ARN": upstreamARN}
	cfg, err := hostforward.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx, logger := context.Background(), slog.New(slog.DiscardHandler)

	t.Run("unreadable", func(t *testing.T) {
		_, err := hostforward.New(ctx, cfg, hostforward.NewTransport(), fakeSecrets{}, logger)
		for _, want := range []string{"read the secrets: ", "ORIGIN_VERIFY_SECRET_ARN: read secret " + originARN, "UPSTREAM_VERIFY_SECRET_ARN: read secret " + upstreamARN} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("New with no secrets: got error %v, want it to contain %q", err, want)
			}
		}
		var nf *smtypes.ResourceNotFoundException
		if !errors.As(err, &nf) {
			t.Errorf("New's error %v does not wrap the Secrets Manager error", err)
		}
	})
	t.Run("no client", func(t *testing.T) {
		_, err := hostforward.New(ctx, cfg, hostforward.NewTransport(), nil, logger)
		if want := "ORIGIN_VERIFY_SECRET_ARN: no Secrets Manager client"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New without a client: got error %v, want it to contain %q", err, want)
		}
	})
	t.Run("read", func(t *testing.T) {
		h, err := hostforward.New(ctx, cfg, hostforward.NewTransport(), fakeSecrets{originARN: "from-sm", upstreamARN: "app-credential"}, logger)
		if err != nil {
			t.Fatal(err)
		}
		for value, want := range map[string]int{"from-sm": 200, testSecret: 403} {
			ev := loadEvent(t, "api-get.json")
			ev.Headers["x-origin-verify"] = value
			if resp, _ := h.Handle(ctx, ev); resp.StatusCode != want {
				t.Errorf("X-Origin-Verify %q: status %d, want %d: %s", value, resp.StatusCode, want, resp.Body)
			}
		}
		if got := app.got().Header.Get("X-Upstream-Verify"); got != "app-credential" {
			t.Errorf("X-Upstream-Verify at the app: got %q, want %q", got, "app-credential")
		}
	})
}

func TestUpstreamVerifyHeader(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "configured: sent, the client's replaced", env: map[string]string{"UPSTREAM_VERIFY_SECRET": "app-credential"}, want: []string{"app-credential"}},
		{name: "not configured: the client's dropped", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newUpstream(t, ok)
			h := newHandler(t, app.URL, tt.env)
			ev := loadEvent(t, "api-get.json")
			ev.Headers["X-Upstream-Verify"] = "forged-by-the-client"
			if resp, _ := h.Handle(context.Background(), ev); resp.StatusCode != 200 {
				t.Fatalf("status: got %d, want 200: %s", resp.StatusCode, resp.Body)
			}
			if got := app.got().Header.Values("X-Upstream-Verify"); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("X-Upstream-Verify at the app: got %q, want %q", got, tt.want)
			}
		})
	}
}

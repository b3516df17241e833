package hostforward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/djfront/djfront/internal/secretcache"
)

// headerUpstreamVerify carries the app's own credential: hostforward sets
// it on every request (UPSTREAM_VERIFY_SECRET[_ARN]); the app's
// UpstreamVerifyMiddleware refuses requests without it.
const headerUpstreamVerify = "X-Upstream-Verify"

// OriginVerifier decides whether an X-Origin-Verify value proves that the
// request came through the distribution. *secretcache.Secret is one.
type OriginVerifier interface {
	Match(ctx context.Context, value string) (bool, error)
}

// UpstreamCredential gives the X-Upstream-Verify value sent to the app.
// *secretcache.Secret is one.
type UpstreamCredential interface {
	Current(ctx context.Context) string
}

// readSecretSettings reads the Secrets Manager and upstream-credential
// variables into c, reporting each bad one through bad; the static values
// (ORIGIN_VERIFY_SECRETS, already in c.Secrets, and UPSTREAM_VERIFY_SECRET)
// become c.Origin and c.UpstreamVerify here, the secrets named by ARN in
// [Config.LoadSecrets].
func (c *Config) readSecretSettings(getenv func(string) string, bad func(string, error)) {
	c.OriginSecretARN = getenv("ORIGIN_VERIFY_SECRET_ARN")
	c.UpstreamSecretARN = getenv("UPSTREAM_VERIFY_SECRET_ARN")
	upstream := getenv("UPSTREAM_VERIFY_SECRET")
	for _, v := range []struct{ name, value, other, otherValue string }{
		{"ORIGIN_VERIFY_SECRET_ARN", c.OriginSecretARN, "ORIGIN_VERIFY_SECRETS", getenv("ORIGIN_VERIFY_SECRETS")},
		{"UPSTREAM_VERIFY_SECRET_ARN", c.UpstreamSecretARN, "UPSTREAM_VERIFY_SECRET", upstream},
	} {
		if v.value == "" {
			continue
		}
		if !strings.HasPrefix(v.value, "arn:") || !strings.Contains(v.value, ":secretsmanager:") {
			// Never echo the value: it may be a secret pasted into the wrong variable.
			bad(v.name, errors.New("not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)"))
		}
		if v.otherValue != "" {
			bad(v.name, fmt.Errorf("set it or %s, not both", v.other))
		}
	}
	if len(c.Secrets) > 0 {
		c.Origin = secretcache.Fixed(c.Secrets...)
	}
	switch {
	case strings.TrimSpace(upstream) != upstream || strings.ContainsAny(upstream, "\r\n"):
		bad("UPSTREAM_VERIFY_SECRET", errors.New("leading or trailing white space or a line break"))
	case upstream != "":
		c.UpstreamVerify = secretcache.Fixed(upstream)
	}
}

// LoadSecrets reads the Secrets Manager secrets named by
// ORIGIN_VERIFY_SECRET_ARN and UPSTREAM_VERIFY_SECRET_ARN through client
// into c.Origin and c.UpstreamVerify; call it at cold start. A secret that cannot
// be read is an error naming its variable: the function must not start
// without the check it was configured with.
func (c *Config) LoadSecrets(ctx context.Context, client secretcache.API, logger *slog.Logger) error {
	var errs []error
	for _, v := range []struct {
		name, arn string
		set       func(*secretcache.Secret)
	}{
		{"ORIGIN_VERIFY_SECRET_ARN", c.OriginSecretARN, func(s *secretcache.Secret) { c.Origin = s }},
		{"UPSTREAM_VERIFY_SECRET_ARN", c.UpstreamSecretARN, func(s *secretcache.Secret) { c.UpstreamVerify = s }},
	} {
		if v.arn == "" {
			continue
		}
		s, err := secretcache.Load(ctx, client, v.arn, logger)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
			continue
		}
		v.set(s)
	}
	return errors.Join(errs...)
}

// PinUpstreamCredential makes c send, for the rest of the process, the
// X-Upstream-Verify value it would send now rather than re-reading it: for an
// app in the same environment (UPSTREAM_COMMAND), which read its own
// credential once, as it started, and may not know a later value yet.
func (c *Config) PinUpstreamCredential(ctx context.Context) {
	if c.UpstreamVerify != nil {
		c.UpstreamVerify = secretcache.Fixed(c.UpstreamVerify.Current(ctx))
	}
}

// mustHaveLoadedSecrets panics when cfg names a secret by ARN that
// LoadSecrets has not read.
func mustHaveLoadedSecrets(cfg Config) {
	if (cfg.OriginSecretARN != "" && cfg.Origin == nil) || (cfg.UpstreamSecretARN != "" && cfg.UpstreamVerify == nil) {
		panic("hostforward: New before Config.LoadSecrets read the secrets named by ARN")
	}
}

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

// originVerifier decides whether an X-Origin-Verify value proves that the
// request came through the distribution; a refused value may wait for a
// due re-read, bounded (secretcache.ReadTimeout). *secretcache.Secret is
// one.
type originVerifier interface {
	Match(ctx context.Context, value string) bool
}

// upstreamCredential gives the X-Upstream-Verify value sent to the app,
// re-read first (bounded) when due. *secretcache.Secret is one.
type upstreamCredential interface {
	Current(ctx context.Context) string
}

// credentials are the secrets a Handler uses, read by loadCredentials.
type credentials struct {
	origin   originVerifier     // checks X-Origin-Verify; nil: no check
	upstream upstreamCredential // gives X-Upstream-Verify; nil: none is sent
}

// readSecretSettings reads the variables that give the secrets, by value or
// by ARN, into c, reporting each bad one through bad: ORIGIN_VERIFY_SECRETS,
// ORIGIN_VERIFY_SECRET_ARN, UPSTREAM_VERIFY_SECRET and
// UPSTREAM_VERIFY_SECRET_ARN.
func (c *Config) readSecretSettings(getenv func(string) string, bad func(string, error)) {
	if v := getenv("ORIGIN_VERIFY_SECRETS"); v != "" {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				bad("ORIGIN_VERIFY_SECRETS", errors.New("empty secret in list"))
				break
			}
			c.Secrets = append(c.Secrets, s)
		}
	}
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
	if strings.TrimSpace(upstream) != upstream || strings.ContainsAny(upstream, "\r\n") {
		bad("UPSTREAM_VERIFY_SECRET", errors.New("leading or trailing white space or a line break"))
	} else {
		c.UpstreamSecret = upstream
	}
}

// loadCredentials returns the secrets cfg gives: the values as they are,
// the secrets named by ARN read through client. A secret that cannot be read
// is an error naming its variable: the function must not start without the
// check it was configured with. With cfg.App set the upstream credential is
// pinned (see pinned).
func loadCredentials(ctx context.Context, cfg Config, client secretcache.API, logger *slog.Logger) (credentials, error) {
	var c credentials
	if len(cfg.Secrets) > 0 {
		c.origin = secretcache.Fixed(cfg.Secrets...)
	}
	if cfg.UpstreamSecret != "" {
		c.upstream = secretcache.Fixed(cfg.UpstreamSecret)
	}
	var errs []error
	for _, v := range []struct {
		name, arn string
		set       func(*secretcache.Secret)
	}{
		{"ORIGIN_VERIFY_SECRET_ARN", cfg.OriginSecretARN, func(s *secretcache.Secret) { c.origin = s }},
		{"UPSTREAM_VERIFY_SECRET_ARN", cfg.UpstreamSecretARN, func(s *secretcache.Secret) { c.upstream = s }},
	} {
		if v.arn == "" {
			continue
		}
		if client == nil {
			errs = append(errs, fmt.Errorf("%s: no Secrets Manager client to read %s", v.name, v.arn))
			continue
		}
		s, err := secretcache.Load(ctx, client, v.arn, logger)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
			continue
		}
		v.set(s)
	}
	if err := errors.Join(errs...); err != nil {
		return credentials{}, fmt.Errorf("read the secrets: %w", err)
	}
	if cfg.App != nil {
		c.upstream = pinned(ctx, c.upstream)
	}
	return c, nil
}

// pinned returns an upstream credential that gives, for the rest of the
// process, the value c gives now: for an app in the same environment
// (UPSTREAM_COMMAND), which read its own credential once, as it started, and
// may not know a later value yet.
func pinned(ctx context.Context, c upstreamCredential) upstreamCredential {
	if c == nil {
		return nil
	}
	return secretcache.Fixed(c.Current(ctx))
}

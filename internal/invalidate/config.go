package invalidate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/djfront/djfront/internal/pathplan"
)

// Default and bounds of MAX_PATHS. CloudFront allows 3,000 file paths in
// progress per distribution, so no single invalidation may carry more.
const (
	DefaultMaxPaths = 15
	maxMaxPaths     = 3000
)

// DefaultStaticPrefix is STATIC_PREFIX unset: the key prefix the Django
// settings (deploy/django/djfront_settings.py) use for static files.
const DefaultStaticPrefix = "static"

// Config is the function's configuration, read from its environment by
// [ConfigFromEnv].
type Config struct {
	// DistributionID is the CloudFront distribution to invalidate
	// (DISTRIBUTION_ID, required).
	DistributionID string
	// Plan holds the planner's options: ORIGIN_PATH, IMMUTABLE_PATTERN,
	// STATIC_PREFIX and MAX_PATHS.
	Plan pathplan.Options
}

// ConfigFromEnv reads the configuration through lookupEnv (os.LookupEnv in
// the Lambda), which tells an unset variable from an empty one:
//
//   - DISTRIBUTION_ID: required.
//   - ORIGIN_PATH: the S3 origin's origin path; optional.
//   - IMMUTABLE_PATTERN: a Go regular expression matched against the keys
//     of created static files; matching keys are not invalidated. Unset
//     means [pathplan.DefaultImmutablePattern] (Django's manifest-hashed
//     names); set and empty turns the check off.
//   - STATIC_PREFIX: the key prefix collectstatic writes under, as
//     DJFRONT_STATIC_PREFIX in the Django settings; default
//     [DefaultStaticPrefix]; set and empty is refused. IMMUTABLE_PATTERN
//     applies only under it, never to media. It must lie inside
//     ORIGIN_PATH, or contain it.
//   - MAX_PATHS: the most paths one invalidation carries, 1 to 3000;
//     default [DefaultMaxPaths] (also when empty).
//
// Errors name the variable at fault.
func ConfigFromEnv(lookupEnv func(string) (string, bool)) (Config, error) {
	var c Config
	c.DistributionID, _ = lookupEnv("DISTRIBUTION_ID")
	if c.DistributionID == "" {
		return Config{}, fmt.Errorf("DISTRIBUTION_ID is required: the id of the CloudFront distribution to invalidate")
	}
	if strings.Trim(c.DistributionID, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return Config{}, fmt.Errorf("DISTRIBUTION_ID: %q is not a CloudFront distribution id (upper-case letters and digits, like E2EXAMPLE000000)", c.DistributionID)
	}
	if err := c.readPrefixes(lookupEnv); err != nil {
		return Config{}, err
	}
	pattern, ok := lookupEnv("IMMUTABLE_PATTERN")
	if !ok {
		pattern = pathplan.DefaultImmutablePattern
	}
	if pattern != "" {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return Config{}, fmt.Errorf("IMMUTABLE_PATTERN: %w", err)
		}
		c.Plan.Immutable = re
	}
	c.Plan.MaxPaths = DefaultMaxPaths
	if s, _ := lookupEnv("MAX_PATHS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || strings.Trim(s, "0123456789") != "" || n < 1 || n > maxMaxPaths {
			return Config{}, fmt.Errorf("MAX_PATHS: %q is not an integer from 1 to %d", s, maxMaxPaths)
		}
		c.Plan.MaxPaths = n
	}
	return c, nil
}

// readPrefixes reads ORIGIN_PATH and STATIC_PREFIX into c.Plan.
func (c *Config) readPrefixes(lookupEnv func(string) (string, bool)) error {
	// A mistyped origin path would make every key "outside" it and so
	// silently invalidate nothing: accept only a plain key prefix, with or
	// without CloudFront's leading slash.
	c.Plan.OriginPath, _ = lookupEnv("ORIGIN_PATH")
	if p := c.Plan.OriginPath; p != "" && !keyPrefix(p) {
		return fmt.Errorf("ORIGIN_PATH: %q is not an S3 origin path like /static (a key prefix: no scheme, bucket, wildcard or spaces)", p)
	}
	// A static prefix outside the origin path would silently make every
	// hashed file count as changed; an empty one would treat media as
	// static.
	prefix, ok := lookupEnv("STATIC_PREFIX")
	if !ok {
		prefix = DefaultStaticPrefix
	}
	if !keyPrefix(prefix) {
		return fmt.Errorf("STATIC_PREFIX: %q is not a key prefix like static or assets/static (the location collectstatic writes under; not empty, no wildcard or spaces)", prefix)
	}
	static, origin := strings.Trim(prefix, "/")+"/", strings.Trim(c.Plan.OriginPath, "/")+"/"
	if origin != "/" && !strings.HasPrefix(static, origin) && !strings.HasPrefix(origin, static) {
		return fmt.Errorf("STATIC_PREFIX: %q is outside ORIGIN_PATH %q: the distribution never serves those keys", prefix, c.Plan.OriginPath)
	}
	c.Plan.StaticPrefix = prefix
	return nil
}

// keyPrefix reports whether p is a plain S3 key prefix, with or without
// slashes around it: not empty, no empty segment, no scheme, wildcard,
// backslash or white space.
func keyPrefix(p string) bool {
	trimmed := strings.TrimSuffix(strings.TrimPrefix(p, "/"), "/")
	return trimmed != "" && !strings.Contains(trimmed, "//") && !strings.ContainsAny(trimmed, "*?#:\\ \t\r\n")
}

package invalidate

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/djfront/djfront/internal/invalidation"
)

// Default and bounds of MAX_PATHS. CloudFront allows 3,000 file paths in
// progress per distribution, so no single invalidation may carry more.
const (
	DefaultMaxPaths = 15
	maxMaxPaths     = 3000
)

// Config is the function's configuration, read from its environment by
// [LoadConfig].
type Config struct {
	// DistributionID is the CloudFront distribution to invalidate
	// (DISTRIBUTION_ID, required).
	DistributionID string
	// Plan holds the planner's options: ORIGIN_PATH, IMMUTABLE_PATTERN and
	// MAX_PATHS.
	Plan invalidation.Options
}

// LoadConfig reads the configuration through getenv (os.Getenv in the
// Lambda):
//
//   - DISTRIBUTION_ID: required.
//   - ORIGIN_PATH: the S3 origin's origin path; optional.
//   - IMMUTABLE_PATTERN: a Go regular expression matched against object
//     keys; matching keys are never invalidated. Unset means
//     [invalidation.DefaultImmutablePattern] (Django's manifest-hashed
//     names); set and empty turns the check off.
//   - MAX_PATHS: the most paths one invalidation carries, 1 to 3000;
//     default [DefaultMaxPaths].
//
// lookupEnv distinguishes an unset variable from an empty one, as
// os.LookupEnv does. Errors name the variable at fault.
func LoadConfig(lookupEnv func(string) (string, bool)) (Config, error) {
	var c Config
	c.DistributionID, _ = lookupEnv("DISTRIBUTION_ID")
	if c.DistributionID == "" {
		return Config{}, fmt.Errorf("DISTRIBUTION_ID is required: the id of the CloudFront distribution to invalidate")
	}
	c.Plan.OriginPath, _ = lookupEnv("ORIGIN_PATH")

	pattern, ok := lookupEnv("IMMUTABLE_PATTERN")
	if !ok {
		pattern = invalidation.DefaultImmutablePattern
	}
	if pattern != "" {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return Config{}, fmt.Errorf("IMMUTABLE_PATTERN: %w", err)
		}
		c.Plan.Immutable = re
	}

	c.Plan.MaxPaths = DefaultMaxPaths
	if s, ok := lookupEnv("MAX_PATHS"); ok && s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxMaxPaths {
			return Config{}, fmt.Errorf("MAX_PATHS: %q is not an integer from 1 to %d", s, maxMaxPaths)
		}
		c.Plan.MaxPaths = n
	}
	return c, nil
}

package rotation

import (
	"fmt"
	"strings"
	"time"
)

// DefaultSettle is SETTLE_TIME's default: hostforward's re-read interval
// (secretcache.RefreshInterval), so by the time CloudFront sends the new
// value every instance knows it or is due to re-read, which it does before
// refusing a value.
const DefaultSettle = time.Minute

// maxSettle leaves setSecret time within the function's timeout.
const maxSettle = 10 * time.Minute

// HeaderName is the origin custom header that carries the secret.
const HeaderName = "X-Origin-Verify"

// Config is the function's configuration, read by [ConfigFromEnv].
type Config struct {
	// DistributionID is the distribution whose origin header is rotated
	// (DISTRIBUTION_ID, required).
	DistributionID string
	// OriginID is the id of the distribution's origin whose X-Origin-Verify
	// header is rotated: the HTTP API's (ORIGIN_ID; the template's is App).
	// Empty: the one origin that has the header; with several, setSecret
	// refuses rather than send this secret to an origin it does not guard.
	OriginID string
	// Settle is how old the new version must be before the distribution
	// sends it (SETTLE_TIME, a Go duration, default [DefaultSettle]).
	Settle time.Duration
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in the
// Lambda). Errors name the variable at fault.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{DistributionID: getenv("DISTRIBUTION_ID"), OriginID: getenv("ORIGIN_ID"), Settle: DefaultSettle}
	if c.DistributionID == "" {
		return Config{}, fmt.Errorf("DISTRIBUTION_ID is required: the CloudFront distribution that sends %s", HeaderName)
	}
	if strings.Trim(c.DistributionID, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
		return Config{}, fmt.Errorf("DISTRIBUTION_ID: %q is not a distribution id (upper-case letters and digits)", c.DistributionID)
	}
	if v := getenv("SETTLE_TIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > maxSettle {
			return Config{}, fmt.Errorf("SETTLE_TIME: %q is not a Go duration from 0s to %s", v, maxSettle)
		}
		c.Settle = d
	}
	return c, nil
}

package rotation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

// chooseFunc decides, from the value the rotated header has now, the value
// to give it ("" leaves it) and a note for the outcome.
type chooseFunc func(ctx context.Context, current string) (value, note string, err error)

// writeHeader reads the distribution's configuration, lets choose decide
// from the rotated header's value, and sets the chosen value with
// UpdateDistribution guarded by the ETag (IfMatch), so a concurrent edit is
// never overwritten; after a stale ETag it reads and decides again, up to
// updateAttempts times. It returns the outcome, for the log.
func (h *Handler) writeHeader(ctx context.Context, choose chooseFunc) (string, error) {
	for attempt := 1; ; attempt++ {
		got, err := h.cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(h.cfg.DistributionID)})
		if err != nil {
			return "", fmt.Errorf("get distribution %s config: %w", h.cfg.DistributionID, err)
		}
		headers, err := originHeaders(got.DistributionConfig, h.cfg.OriginID)
		if err != nil {
			return "", fmt.Errorf("distribution %s: %w", h.cfg.DistributionID, err)
		}
		value, note, err := choose(ctx, aws.ToString(headers[0].HeaderValue))
		if err != nil || value == "" {
			return note, err
		}
		changed := setValue(headers, value)
		if changed == 0 {
			return "distribution already sends the " + note, nil
		}
		_, err = h.cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{
			Id:                 aws.String(h.cfg.DistributionID),
			IfMatch:            got.ETag,
			DistributionConfig: got.DistributionConfig,
		})
		var stale *cftypes.PreconditionFailed
		switch {
		case err == nil:
			return fmt.Sprintf("distribution updated to the %s (%d origin header(s), attempt %d)", note, changed, attempt), nil
		case errors.As(err, &stale) && attempt < updateAttempts:
			continue // changed by someone else since GetDistributionConfig: read it again
		default:
			return "", fmt.Errorf("update distribution %s: %w", h.cfg.DistributionID, err)
		}
	}
}

// originHeaders returns the X-Origin-Verify custom headers of the origin
// originID names (with originID empty, the one origin that has the header):
// at least one. A distribution with no such origin header is an error: the
// rotation would change nothing that protects the API.
func originHeaders(cfg *cftypes.DistributionConfig, originID string) ([]*cftypes.OriginCustomHeader, error) {
	var found []*cftypes.OriginCustomHeader
	var ids []string // of the origins that have the header
	origins := originsOf(cfg)
	for i := range origins {
		o := &origins[i]
		if o.CustomHeaders == nil || (originID != "" && aws.ToString(o.Id) != originID) {
			continue
		}
		before := len(found)
		for j := range o.CustomHeaders.Items {
			if hd := &o.CustomHeaders.Items[j]; strings.EqualFold(aws.ToString(hd.HeaderName), HeaderName) {
				found = append(found, hd)
			}
		}
		if len(found) > before {
			ids = append(ids, aws.ToString(o.Id))
		}
	}
	switch {
	case len(found) == 0 && originID != "":
		return nil, fmt.Errorf("origin %q has no %s custom header", originID, HeaderName)
	case len(found) == 0:
		return nil, fmt.Errorf("no origin has a %s custom header", HeaderName)
	case len(ids) > 1:
		return nil, fmt.Errorf("origins %s all have a %s custom header: set ORIGIN_ID to the HTTP API's", strings.Join(ids, ", "), HeaderName)
	}
	return found, nil
}

// setHeader sets value on the headers originHeaders finds in cfg and
// returns how many it changed. Other origins and other headers are left
// alone.
func setHeader(cfg *cftypes.DistributionConfig, originID, value string) (int, error) {
	headers, err := originHeaders(cfg, originID)
	if err != nil {
		return 0, err
	}
	return setValue(headers, value), nil
}

// setValue sets value on headers and returns how many it changed.
func setValue(headers []*cftypes.OriginCustomHeader, value string) int {
	changed := 0
	for _, hd := range headers {
		if aws.ToString(hd.HeaderValue) != value {
			hd.HeaderValue = aws.String(value)
			changed++
		}
	}
	return changed
}

func originsOf(cfg *cftypes.DistributionConfig) []cftypes.Origin {
	if cfg == nil || cfg.Origins == nil {
		return nil
	}
	return cfg.Origins.Items
}

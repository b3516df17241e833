package invalidate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
)

// cloudFrontAPI is the part of the CloudFront client the handler uses.
type cloudFrontAPI interface {
	CreateInvalidation(ctx context.Context, params *cloudfront.CreateInvalidationInput, optFns ...func(*cloudfront.Options)) (*cloudfront.CreateInvalidationOutput, error)
}

var _ cloudFrontAPI = (*cloudfront.Client)(nil)

// backoff is a capped exponential backoff with full jitter: before retry n
// (from 0) the handler sleeps a random time in [0, min(max, base·2ⁿ)).
type backoff struct {
	base, max time.Duration
}

// defaultBackoff reaches its 20-second cap (the SDK's) after seven retries;
// an invalidation in progress usually completes within a few minutes.
var defaultBackoff = backoff{base: 250 * time.Millisecond, max: 20 * time.Second}

// delay returns the sleep before retry n.
func (b backoff) delay(n int) time.Duration {
	limit := b.max
	if n < 62 && b.base<<n > 0 && b.base<<n < b.max {
		limit = b.base << n
	}
	return rand.N(limit) + 1
}

// retryableCodes are the CloudFront error codes worth retrying: rate limits,
// and the limit on invalidations in progress, which lifts as they complete.
var retryableCodes = map[string]bool{
	"Throttling":                     true,
	"ThrottlingException":            true,
	"RequestLimitExceeded":           true,
	"TooManyInvalidationsInProgress": true,
}

// retryable reports whether a CreateInvalidation error may go away on its
// own: a throttling or in-progress-limit error, a 5xx response, or a failed
// connection.
func retryable(err error) bool {
	var tooMany *types.TooManyInvalidationsInProgress
	if errors.As(err, &tooMany) {
		return true
	}
	if apiErr, ok := errors.AsType[smithy.APIError](err); ok && retryableCodes[apiErr.ErrorCode()] {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && status.HTTPStatusCode() >= 500 {
		return true
	}
	return retry.RetryableConnectionError{}.IsErrorRetryable(err) == aws.TrueTernary
}

// invalidate creates the invalidation of paths with the given caller
// reference, retrying retryable errors with backoff as long as the next
// attempt can start before deadline. It returns the invalidation id and the
// number of calls made.
func (h *Handler) invalidate(ctx context.Context, deadline time.Time, ref string, paths []string) (string, int, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	in := &cloudfront.CreateInvalidationInput{
		DistributionId: aws.String(h.cfg.DistributionID),
		InvalidationBatch: &types.InvalidationBatch{
			CallerReference: aws.String(ref),
			Paths:           &types.Paths{Quantity: aws.Int32(int32(len(paths))), Items: paths},
		},
	}
	for attempt := 1; ; attempt++ {
		out, err := h.cf.CreateInvalidation(ctx, in)
		if err == nil {
			if out.Invalidation == nil {
				return "", attempt, nil
			}
			return aws.ToString(out.Invalidation.Id), attempt, nil
		}
		if !retryable(err) {
			return "", attempt, fmt.Errorf("create invalidation of %d paths: %w", len(paths), err)
		}
		wait := h.backoff.delay(attempt - 1)
		if time.Now().Add(wait).After(deadline) {
			return "", attempt, fmt.Errorf("create invalidation of %d paths: gave up after %d attempts, the Lambda deadline is near: %w", len(paths), attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", attempt, fmt.Errorf("create invalidation of %d paths: %w (last error: %w)", len(paths), ctx.Err(), err)
		case <-t.C:
		}
	}
}

package invalidate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"

	"github.com/djfront/djfront/internal/pathplan"
)

// errInvalidPath marks a planned path that fails [pathplan.ValidatePath]
// before any call: handled as CloudFront's InvalidArgument would be.
var errInvalidPath = errors.New("invalid invalidation path")

// refused reports whether CloudFront refused an invalidation for what it
// asked for (InvalidArgument, BatchTooLarge, or a path that failed the
// check before the call), so that asking for less may succeed where
// retrying the same request never would.
func refused(err error) bool {
	if errors.Is(err, errInvalidPath) {
		return true
	}
	var invalid *types.InvalidArgument
	var tooLarge *types.BatchTooLarge
	if errors.As(err, &invalid) || errors.As(err, &tooLarge) {
		return true
	}
	apiErr, ok := errors.AsType[smithy.APIError](err)
	return ok && (apiErr.ErrorCode() == "InvalidArgument" || apiErr.ErrorCode() == "BatchTooLarge")
}

// create creates the invalidation p plans for units and records it in sum.
// It returns the ids of the messages that failed and the error that made
// them fail.
//
// Paths are checked with [pathplan.ValidatePath] before the call. When
// CloudFront refuses them (see [refused]), one bad message must not send
// the whole batch to the dead-letter queue: create splits units in two,
// plans each half on its own and creates its invalidation, down to single
// messages, which are then reported failed and listed in sum.Rejected — after
// their paths that CloudFront accepts are invalidated anyway (see
// [Handler.salvage]), so that a message's good keys are not lost with its
// bad one. Each invalidation's CallerReference is derived from its own
// messages and paths, so a redelivery asks for the same invalidations
// again. Any other error fails every message of units.
func (h *Handler) create(ctx context.Context, deadline time.Time, units []message, p pathplan.Plan, verdicts map[objectID]verdict, sum *Summary) ([]string, error) {
	if len(p.Paths) == 0 {
		return nil, nil
	}
	err := h.attempt(ctx, deadline, units, p.Paths, sum)
	switch {
	case err == nil:
		return nil, nil
	case !refused(err):
		return messageIDs(units), err
	case len(units) == 1:
		h.salvage(ctx, deadline, units, p.Paths, sum)
		sum.Rejected = append(sum.Rejected, MessageError{MessageID: units[0].id, Error: err.Error()})
		return messageIDs(units), err
	}
	var failed []string
	var last error
	half := len(units) / 2
	for _, part := range [][]message{units[:half], units[half:]} {
		f, err := h.create(ctx, deadline, part, h.plan(part, verdicts), verdicts, sum)
		failed = append(failed, f...)
		if err != nil {
			last = err
		}
	}
	return failed, last
}

// attempt checks paths and creates their invalidation for units, recording
// it in sum, and returns the error that kept it from being created.
func (h *Handler) attempt(ctx context.Context, deadline time.Time, units []message, paths []string, sum *Summary) error {
	rec := Invalidation{CallerReference: pathplan.CallerReference(ids(units), paths), Paths: paths}
	err := validatePaths(paths)
	if err == nil {
		rec.ID, rec.Attempts, err = h.invalidate(ctx, deadline, rec.CallerReference, paths)
	}
	if err != nil {
		rec.Error = err.Error()
	} else {
		sum.EstimatedCostUSD += pathplan.Plan{Paths: paths}.Cost()
	}
	sum.Invalidations = append(sum.Invalidations, rec)
	return err
}

// salvage invalidates the paths of a refused message that CloudFront
// accepts: it splits paths in two and creates each half's invalidation,
// splitting again a half that is refused, down to single paths. The
// message still fails (for its refused paths); its other paths are not
// lost with it.
func (h *Handler) salvage(ctx context.Context, deadline time.Time, units []message, paths []string, sum *Summary) {
	if len(paths) < 2 {
		return
	}
	half := len(paths) / 2
	for _, part := range [][]string{paths[:half], paths[half:]} {
		if err := h.attempt(ctx, deadline, units, part, sum); refused(err) {
			h.salvage(ctx, deadline, units, part, sum)
		}
	}
}

// validatePaths checks every path with [pathplan.ValidatePath].
func validatePaths(paths []string) error {
	for _, p := range paths {
		if err := pathplan.ValidatePath(p); err != nil {
			return fmt.Errorf("%w: %w", errInvalidPath, err)
		}
	}
	return nil
}

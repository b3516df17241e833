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

// creation is what [Handler.create] did for a set of messages.
type creation struct {
	invalidations []Invalidation // the CreateInvalidation requests, in the order made
	rejected      []MessageError // the messages whose paths CloudFront refused
	failed        []string       // the ids of the messages that failed
}

// add appends what c2 did to c.
func (c *creation) add(c2 creation) {
	c.invalidations = append(c.invalidations, c2.invalidations...)
	c.rejected = append(c.rejected, c2.rejected...)
	c.failed = append(c.failed, c2.failed...)
}

// costUSD prices the paths of the invalidations created (those without an
// Error), in the order they were made, at [pathplan.PricePerPath] each.
func (c creation) costUSD() float64 {
	cost := 0.0
	for _, inv := range c.invalidations {
		if inv.Error == "" {
			cost += pathplan.Plan{Paths: inv.Paths}.Cost()
		}
	}
	return cost
}

// create creates the invalidation p plans for units. It returns what it
// did, the ids of the messages that failed among it, and the error that
// made them fail.
//
// Paths are checked with [pathplan.ValidatePath] before the call. When
// CloudFront refuses them (see [refused]), one bad message must not send
// the whole batch to the dead-letter queue: create splits units in two,
// plans each half on its own and creates its invalidation, down to single
// messages, which are then reported failed and rejected — after their
// paths that CloudFront accepts are invalidated anyway (see
// [Handler.salvage]), so that a message's good keys are not lost with its
// bad one. Each invalidation's CallerReference is derived from its own
// messages and paths, so a redelivery asks for the same invalidations
// again. Any other error fails every message of units.
func (h *Handler) create(ctx context.Context, deadline time.Time, units []message, p pathplan.Plan, verdicts map[objectID]verdict) (creation, error) {
	var c creation
	if len(p.Paths) == 0 {
		return c, nil
	}
	inv, err := h.attempt(ctx, deadline, units, p.Paths)
	c.invalidations = append(c.invalidations, inv)
	switch {
	case err == nil:
		return c, nil
	case !refused(err):
		c.failed = messageIDs(units)
		return c, err
	case len(units) == 1:
		c.invalidations = append(c.invalidations, h.salvage(ctx, deadline, units, p.Paths)...)
		c.rejected = append(c.rejected, MessageError{MessageID: units[0].id, Error: err.Error()})
		c.failed = messageIDs(units)
		return c, err
	}
	var last error
	half := len(units) / 2
	for _, part := range [][]message{units[:half], units[half:]} {
		pc, err := h.create(ctx, deadline, part, h.plan(part, verdicts), verdicts)
		c.add(pc)
		if err != nil {
			last = err
		}
	}
	return c, last
}

// attempt checks paths and creates their invalidation for units. It
// returns the record of the request, and the error that kept the
// invalidation from being created, also recorded as its Error.
func (h *Handler) attempt(ctx context.Context, deadline time.Time, units []message, paths []string) (Invalidation, error) {
	rec := Invalidation{CallerReference: pathplan.CallerReference(ids(units), paths), Paths: paths}
	err := validatePaths(paths)
	if err == nil {
		rec.ID, rec.Attempts, err = h.invalidate(ctx, deadline, rec.CallerReference, paths)
	}
	if err != nil {
		rec.Error = err.Error()
	}
	return rec, err
}

// salvage invalidates the paths of a refused message that CloudFront
// accepts: it splits paths in two and creates each half's invalidation,
// splitting again a half that is refused, down to single paths. It returns
// the requests it made. The message still fails (for its refused paths);
// its other paths are not lost with it.
func (h *Handler) salvage(ctx context.Context, deadline time.Time, units []message, paths []string) []Invalidation {
	if len(paths) < 2 {
		return nil
	}
	var invs []Invalidation
	half := len(paths) / 2
	for _, part := range [][]string{paths[:half], paths[half:]} {
		inv, err := h.attempt(ctx, deadline, units, part)
		invs = append(invs, inv)
		if refused(err) {
			invs = append(invs, h.salvage(ctx, deadline, units, part)...)
		}
	}
	return invs
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

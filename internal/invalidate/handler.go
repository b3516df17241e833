package invalidate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/pathplan"
)

// Timing defaults of a [Handler].
const (
	// safetyMargin is kept free before the Lambda deadline to answer: the
	// retries stop this long before it.
	safetyMargin = 2 * time.Second
	// noDeadlineBudget bounds an invocation whose context has no deadline
	// (Lambda always sets one).
	noDeadlineBudget = 60 * time.Second
	// lookupConcurrency bounds the parallel ListObjectVersions calls.
	lookupConcurrency = 8
)

// Handler handles the invalidate Lambda's invocations. Create it with [New];
// it is safe for concurrent use. It skips objects whose content did not
// change on a versioned bucket, as the package doc's “Unchanged content”
// says.
type Handler struct {
	cfg    Config
	cf     cloudFrontAPI
	s3     s3API
	logger *slog.Logger

	margin  time.Duration // see safetyMargin
	backoff backoff
}

// Build is the function's cold start, run by internal/coldstart for
// functions/invalidate and for the local stack's `djfront __lambda
// invalidate`: ConfigFromEnv through env, then the AWS configuration and New.
func Build(ctx context.Context, env coldstart.Env, logger *slog.Logger) (any, error) {
	cfg, err := ConfigFromEnv(env)
	if err != nil {
		return nil, err
	}
	awsCfg, err := coldstart.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return New(cfg, awsCfg, logger), nil
}

// New returns a Handler for cfg that reaches CloudFront and S3 through
// awsCfg and writes its log lines to logger.
//
// CreateInvalidation is called with the SDK's own retries turned off: the
// handler retries it itself, because the SDK's standard retryer does not
// retry TooManyInvalidationsInProgress and knows nothing of the Lambda
// deadline. The S3 client keeps the standard retryer; see
// [usePathStyleForLocalEndpoint] for how it addresses an emulator.
func New(cfg Config, awsCfg aws.Config, logger *slog.Logger) *Handler {
	return newHandler(cfg,
		cloudfront.NewFromConfig(awsCfg, func(o *cloudfront.Options) { o.RetryMaxAttempts = 1 }),
		s3.NewFromConfig(awsCfg, usePathStyleForLocalEndpoint),
		logger)
}

func newHandler(cfg Config, cf cloudFrontAPI, s3c s3API, logger *slog.Logger) *Handler {
	return &Handler{
		cfg:     cfg,
		cf:      cf,
		s3:      s3c,
		logger:  logger,
		margin:  safetyMargin,
		backoff: defaultBackoff,
	}
}

// Summary describes one invocation. The handler logs it as one JSON line
// and returns it as the result of a direct (non-SQS) event.
type Summary struct {
	// Shape is ShapeSQS, ShapeSNS, ShapeS3, ShapeEventBridge or
	// ShapeTestEvent.
	Shape string `json:"shape"`
	// Messages counts the messages (SQS messages, SNS records; 1 for a
	// direct S3 or EventBridge event), Failed those reported as failures,
	// TestEvents the s3:TestEvent messages.
	Messages   int `json:"messages"`
	Failed     int `json:"failed"`
	TestEvents int `json:"test_events"`
	// Malformed lists the messages that could not be read, and why;
	// Rejected those whose paths CloudFront refused (InvalidArgument),
	// isolated from the rest of the batch.
	Malformed []MessageError `json:"malformed,omitempty"`
	Rejected  []MessageError `json:"rejected,omitempty"`
	// Events counts the S3 object events read, Ignored those that do not
	// change content (restores, tagging…).
	Events  int `json:"events"`
	Ignored int `json:"ignored"`
	// KeysSeen counts the distinct objects; the Skipped… fields count
	// those that need no invalidation, and LookupErrors says why version
	// lookups failed (those objects count as changed).
	KeysSeen         int      `json:"keys_seen"`
	SkippedUnchanged int      `json:"skipped_unchanged"`
	SkippedImmutable int      `json:"skipped_immutable"`
	SkippedOutside   int      `json:"skipped_outside"`
	LookupErrors     []string `json:"lookup_errors,omitempty"`
	// Paths are the invalidation paths planned for the whole invocation.
	Paths []string `json:"paths"`
	// Invalidations are the CreateInvalidation requests made: one, or
	// more when CloudFront refused the batch's paths and the handler
	// isolated the messages at fault.
	Invalidations []Invalidation `json:"invalidations,omitempty"`
	// EstimatedCostUSD prices the paths of the invalidations created at
	// $0.005 each, ignoring the monthly free tier.
	EstimatedCostUSD float64 `json:"estimated_cost_usd"`
}

// Invalidation is one invalidation the handler asked for.
type Invalidation struct {
	// ID is CloudFront's id for it; empty if it was not created.
	ID              string   `json:"id,omitempty"`
	CallerReference string   `json:"caller_reference"`
	Paths           []string `json:"paths"`
	// Attempts counts the CreateInvalidation calls made; Error says why
	// the last one failed, and is empty when the invalidation was created.
	Attempts int    `json:"attempts"`
	Error    string `json:"error,omitempty"`
}

// MessageError names a message that failed and why.
type MessageError struct {
	MessageID string `json:"message_id"`
	Error     string `json:"error"`
}

// Handle handles one invocation; raw is the payload as Lambda delivers it.
//
// For an SQS event it returns an [events.SQSEventResponse] and a nil error:
// malformed messages and messages whose paths CloudFront refuses are
// reported as failures on their own, and when the invalidation cannot be
// created before the deadline every message is reported, so that SQS
// delivers the batch again. For the other shapes it returns the [Summary],
// or an [*UnrecognizedEventError] when the payload is not understood or an
// [*InvalidationError] when the invalidation cannot be created.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	start := time.Now()
	inv, err := parseInvocation(raw)
	if err != nil {
		h.logFailure(ctx, err, time.Since(start))
		return nil, err
	}
	sum, failed, err := h.handle(ctx, inv)
	if err != nil {
		// Wrapped before it is logged, so that the log line's error_type
		// is the errorType Lambda reports.
		err = &InvalidationError{Err: err}
	}
	h.log(ctx, sum, err, time.Since(start))
	if inv.shape != ShapeSQS {
		if err != nil {
			return nil, err
		}
		return sum, nil
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return resp, nil
}

// Invoke implements aws-lambda-go's lambda.Handler: it hands the payload
// to [Handler.Handle] as it is and returns the result as JSON. Started
// with a function taking json.RawMessage, the runtime would decode the
// payload first and fail a payload that is not JSON with an unnamed
// errorType and no log line; through Invoke it is an
// [*UnrecognizedEventError], logged like every other.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	res, err := h.Handle(ctx, payload)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return b.Bytes(), nil
}

// handle does the work of Handle for a parsed invocation: it returns the
// summary, the ids of the messages that failed, and the error that failed
// the invalidation.
func (h *Handler) handle(ctx context.Context, inv invocation) (Summary, []string, error) {
	parts := partitionMessages(inv.messages)
	sum := Summary{
		Shape:      inv.shape,
		Messages:   len(inv.messages),
		TestEvents: parts.testEvents,
		Malformed:  parts.malformed,
		Events:     parts.events,
		Ignored:    parts.ignored,
		Paths:      []string{},
	}
	var failed []string
	for _, m := range parts.malformed {
		failed = append(failed, m.MessageID)
	}
	var changes []change
	for _, u := range parts.units {
		changes = append(changes, u.changes...)
	}
	if len(changes) == 0 {
		failed = distinct(failed)
		sum.Failed = len(failed)
		return sum, failed, nil
	}

	deadline := h.deadline(ctx)
	objs := latestPerObject(changes)
	looked := h.changedObjects(ctx, objs, lookupDeadline(deadline))
	sum.SkippedUnchanged, sum.LookupErrors = looked.unchanged, looked.errors
	plan := h.plan(parts.units, looked.verdicts)
	sum.KeysSeen = len(objs)
	sum.SkippedImmutable = plan.Immutable
	sum.SkippedOutside = plan.Outside
	sum.Paths = append(sum.Paths, plan.Paths...)

	made, err := h.create(ctx, deadline, parts.units, plan, looked.verdicts)
	sum.Invalidations, sum.Rejected, sum.EstimatedCostUSD = made.invalidations, made.rejected, made.costUSD()
	failed = distinct(append(failed, made.failed...))
	sum.Failed = len(failed)
	return sum, failed, err
}

// distinct returns ids without repeats, in the order they first appear: a
// message SQS delivered twice in one batch carries one id, and is reported
// failed once.
func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	return slices.DeleteFunc(ids, func(id string) bool {
		if seen[id] {
			return true
		}
		seen[id] = true
		return false
	})
}

// partition is an invocation's messages told apart by what the handler
// does with them.
type partition struct {
	units      []message      // the readable messages that carry S3 changes
	malformed  []MessageError // the messages that cannot be read, and why
	testEvents int            // the s3:TestEvent messages
	events     int            // the S3 object events read
	ignored    int            // of those, the ones that change no content
}

// partitionMessages sets aside the messages that cannot be read and the
// test events, and counts the S3 events of the rest; a readable message
// whose events change nothing is counted but not kept.
func partitionMessages(msgs []message) partition {
	var p partition
	for _, m := range msgs {
		switch {
		case m.err != nil:
			p.malformed = append(p.malformed, MessageError{MessageID: m.id, Error: m.err.Error()})
		case m.test:
			p.testEvents++
		default:
			p.events += m.ignored
			for _, c := range m.changes {
				if !c.alt {
					p.events++
				}
			}
			p.ignored += m.ignored
			if len(m.changes) > 0 {
				p.units = append(p.units, m)
			}
		}
	}
	return p
}

// plan plans the invalidation of the changed objects the events of units
// name.
func (h *Handler) plan(units []message, verdicts map[objectID]verdict) pathplan.Plan {
	var created, removed []string
	for _, u := range units {
		for _, c := range u.changes {
			v := verdicts[objectID{c.bucket, c.key}]
			switch {
			case !v.changed:
			case v.removed:
				removed = append(removed, c.key)
			default:
				created = append(created, c.key)
			}
		}
	}
	return pathplan.NewPlan(created, removed, h.cfg.Plan)
}

// ids returns the ids the CallerReference of an invalidation for units is
// built from: the message ids, or for a direct S3 event its changes'.
func ids(units []message) []string {
	var ids []string
	for _, u := range units {
		if u.id != "" {
			ids = append(ids, u.id)
			continue
		}
		for _, c := range u.changes {
			ids = append(ids, c.id())
		}
	}
	return ids
}

// messageIDs returns the ids of units, for reporting them as failed.
func messageIDs(units []message) []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = u.id
	}
	return out
}

// deadline returns when the handler must have answered: the context's
// deadline minus the safety margin.
func (h *Handler) deadline(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		d = time.Now().Add(noDeadlineBudget)
	}
	return d.Add(-h.margin)
}

// lookupDeadline gives the version lookups half of the time left, so that
// slow S3 answers leave time for CreateInvalidation and its retries; a
// lookup cut short counts its object as changed.
func lookupDeadline(deadline time.Time) time.Time {
	return time.Now().Add(time.Until(deadline) / 2)
}

// id identifies a change of a direct S3 event for the CallerReference, as
// an SQS message id identifies a message. The version id and ETag keep two
// uploads apart even where an emulator or a hand-written event has no
// sequencer (a reused reference would return the old invalidation).
func (c change) id() string {
	return fmt.Sprintf("s3://%s/%s#%s?versionId=%s&etag=%s", c.bucket, c.key, c.sequencer, c.versionID, c.etag)
}

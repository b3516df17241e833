package invalidate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/djfront/djfront/internal/invalidation"
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
// it is safe for concurrent use.
//
// # Unchanged content
//
// Django's collectstatic re-uploads every file whose source is newer than
// the stored copy — on a fresh CI checkout, all of them — so most uploads
// of a deploy carry the same bytes as before. In a versioned bucket the
// handler compares, for each object whose latest event in the invocation
// created it, the new version's ETag with the ETag of the version it
// replaced, and skips the object when they are equal:
//
//   - The versions come from ListObjectVersions with Prefix set to the key,
//     keeping entries for exactly that key. S3 lists a key's versions newest
//     first; the handler relies on that order and only sorts it stably by
//     IsLatest and then LastModified, newest first, so that an emulator's
//     different order is corrected while S3's order decides between
//     versions with equal timestamps (LastModified has a resolution of one
//     second, and collectstatic writes faster than that).
//   - The version replaced is the one listed right after the oldest version
//     the invocation's events created for the key: with several events for a
//     key in one batch, the content CloudFront may hold is the one before
//     all of them — or any version in between, so the key is unchanged only
//     when every version from the oldest through the latest has that ETag
//     too (put B then put A over A is a change: B may have been cached).
//   - Delete markers are skipped: collectstatic deletes a file before saving
//     it again, so every re-upload of unchanged content has one just before
//     it. While the key had no content CloudFront could only cache the error
//     response, which it keeps for the distribution's error caching TTL
//     (10 seconds by default). A removal that is the latest event for its
//     key always counts as a change.
//
// On any doubt the object counts as changed: no version id (an unversioned
// bucket, or the "null" version of a suspended one), no ETag, a version not
// found in the listing, no earlier version, or any error from S3.
type Handler struct {
	cfg    Config
	cf     cloudFrontAPI
	s3     s3API
	logger *slog.Logger

	margin  time.Duration // see safetyMargin
	backoff backoff
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
// and returns it as the result of a direct S3 event or test event.
type Summary struct {
	Shape string `json:"shape"` // ShapeSQS, ShapeS3 or ShapeTestEvent
	// Messages counts the SQS messages (1 for a direct event), Failed those
	// reported as failures, TestEvents the s3:TestEvent messages.
	Messages   int `json:"messages"`
	Failed     int `json:"failed"`
	TestEvents int `json:"test_events"`
	// Malformed lists the messages that could not be read, and why.
	Malformed []MessageError `json:"malformed,omitempty"`
	// Events counts the S3 object events read, Ignored those that do not
	// change content (restores, tagging…).
	Events  int `json:"events"`
	Ignored int `json:"ignored"`
	// KeysSeen counts the distinct objects; the Skipped… fields count
	// those that need no invalidation, and LookupErrors the version
	// lookups that failed (those objects count as changed).
	KeysSeen         int `json:"keys_seen"`
	SkippedUnchanged int `json:"skipped_unchanged"`
	SkippedImmutable int `json:"skipped_immutable"`
	SkippedOutside   int `json:"skipped_outside"`
	LookupErrors     int `json:"lookup_errors"`
	// Paths are the invalidation paths planned, CallerReference the
	// reference sent with them, InvalidationID CloudFront's id for the
	// invalidation and Attempts the CreateInvalidation calls made.
	Paths           []string `json:"paths"`
	CallerReference string   `json:"caller_reference,omitempty"`
	InvalidationID  string   `json:"invalidation_id,omitempty"`
	Attempts        int      `json:"attempts"`
	// EstimatedCostUSD prices the paths at $0.005 each, ignoring the
	// monthly free tier; zero when no invalidation was created.
	EstimatedCostUSD float64 `json:"estimated_cost_usd"`
}

// MessageError names an SQS message that failed and why.
type MessageError struct {
	MessageID string `json:"message_id"`
	Error     string `json:"error"`
}

// Handle handles one invocation; raw is the payload as Lambda delivers it.
//
// For an SQS event it returns an [events.SQSEventResponse] and a nil error:
// malformed messages are reported as failures on their own, and when the
// invalidation cannot be created before the deadline every message is
// reported, so that SQS delivers the batch again. For a direct S3 event or a
// test event it returns the [Summary], or an error when the payload is not
// understood or the invalidation cannot be created.
func (h *Handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	start := time.Now()
	sum, failed, err := h.handle(ctx, raw)
	h.log(ctx, sum, err, time.Since(start))
	if sum.Shape != ShapeSQS {
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

// handle does the work of Handle: it returns the summary, the ids of the
// SQS messages that failed, and the error that failed the invocation.
func (h *Handler) handle(ctx context.Context, raw []byte) (Summary, []string, error) {
	inv, err := parseInvocation(raw)
	if err != nil {
		return Summary{}, nil, err
	}
	sum := Summary{Shape: inv.shape, Messages: len(inv.messages), Paths: []string{}}
	var failed, ids []string
	var changes []change
	for _, m := range inv.messages {
		switch {
		case m.err != nil:
			failed = append(failed, m.id)
			sum.Malformed = append(sum.Malformed, MessageError{MessageID: m.id, Error: m.err.Error()})
		case m.test:
			sum.TestEvents++
		default:
			sum.Events += len(m.changes) + m.ignored
			sum.Ignored += m.ignored
			changes = append(changes, m.changes...)
			if m.id != "" {
				ids = append(ids, m.id)
			} else {
				for _, c := range m.changes {
					ids = append(ids, c.id())
				}
			}
		}
	}
	sum.Failed = len(failed)
	if len(changes) == 0 {
		return sum, failed, nil
	}

	deadline := h.deadline(ctx)
	objs := latestPerObject(changes)
	keys := h.changedKeys(ctx, objs, lookupDeadline(deadline), &sum)
	plan := invalidation.NewPlan(keys, h.cfg.Plan)
	sum.KeysSeen = len(objs)
	sum.SkippedImmutable = plan.Immutable
	sum.SkippedOutside = plan.Outside
	sum.Paths = append(sum.Paths, plan.Paths...)
	sum.EstimatedCostUSD = plan.Cost()
	if len(plan.Paths) == 0 {
		return sum, failed, nil
	}

	sum.CallerReference = invalidation.CallerReference(ids, plan.Paths)
	sum.InvalidationID, sum.Attempts, err = h.invalidate(ctx, deadline, sum.CallerReference, plan.Paths)
	if err != nil {
		sum.EstimatedCostUSD = 0 // nothing was created, nothing billed
		if inv.shape == ShapeSQS {
			failed = failed[:0]
			for _, m := range inv.messages {
				failed = append(failed, m.id)
			}
			sum.Failed = len(failed)
		}
		return sum, failed, err
	}
	return sum, failed, nil
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

// maxLoggedPaths bounds the paths one log line lists (paths_planned counts
// them all): MAX_PATHS may be 3,000 paths of up to 4,000 characters.
const maxLoggedPaths = 50

// log writes the invocation's one log line.
func (h *Handler) log(ctx context.Context, s Summary, err error, took time.Duration) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("shape", s.Shape),
		slog.Int("messages", s.Messages),
		slog.Int("failed", s.Failed),
		slog.Int("test_events", s.TestEvents),
		slog.Int("events", s.Events),
		slog.Int("ignored", s.Ignored),
		slog.Int("keys_seen", s.KeysSeen),
		slog.Int("skipped_unchanged", s.SkippedUnchanged),
		slog.Int("skipped_immutable", s.SkippedImmutable),
		slog.Int("skipped_outside", s.SkippedOutside),
		slog.Int("lookup_errors", s.LookupErrors),
		slog.Int("paths_planned", len(s.Paths)),
		slog.Any("paths", s.Paths[:min(len(s.Paths), maxLoggedPaths)]), // CloudWatch caps an event at 256 KB
		slog.String("caller_reference", s.CallerReference),
		slog.String("invalidation_id", s.InvalidationID),
		slog.Int("attempts", s.Attempts),
		slog.Float64("estimated_cost_usd", s.EstimatedCostUSD),
		slog.Duration("duration", took),
	}
	if len(s.Malformed) > 0 {
		level = slog.LevelWarn
		attrs = append(attrs, slog.Any("malformed", s.Malformed))
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("request_id", lc.AwsRequestID))
	}
	if err != nil {
		level = slog.LevelError
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.logger.LogAttrs(ctx, level, "invalidate", attrs...)
}

// id identifies a change of a direct S3 event for the CallerReference, as
// an SQS message id identifies a message. The version id and ETag keep two
// uploads apart even where an emulator or a hand-written event has no
// sequencer (a reused reference would return the old invalidation).
func (c change) id() string {
	return fmt.Sprintf("s3://%s/%s#%s?versionId=%s&etag=%s", c.bucket, c.key, c.sequencer, c.versionID, c.etag)
}

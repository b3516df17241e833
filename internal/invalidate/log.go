package invalidate

import (
	"context"
	"log/slog"
	"reflect"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Bounds on what one log line lists (the counts are always complete):
// MAX_PATHS may be 3,000 paths of up to 4,000 characters, and CloudWatch
// caps an event at 256 KB.
const (
	maxLoggedPaths  = 50
	maxLoggedErrors = 20
)

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
		slog.Int("paths_planned", len(s.Paths)),
		slog.Any("paths", s.Paths[:min(len(s.Paths), maxLoggedPaths)]),
		slog.Float64("estimated_cost_usd", s.EstimatedCostUSD),
	}
	if len(s.Invalidations) > 0 {
		attrs = append(attrs, slog.Any("invalidations", invalidationLog(s.Invalidations)))
	}
	if len(s.LookupErrors) > 0 {
		level = slog.LevelWarn
		attrs = append(attrs, slog.Int("lookup_errors", len(s.LookupErrors)),
			slog.Any("lookup_error_messages", s.LookupErrors[:min(len(s.LookupErrors), maxLoggedErrors)]))
	}
	for _, list := range []struct {
		key  string
		errs []MessageError
	}{{"malformed", s.Malformed}, {"rejected", s.Rejected}} {
		if len(list.errs) > 0 {
			level = slog.LevelWarn
			attrs = append(attrs, slog.Any(list.key, list.errs[:min(len(list.errs), maxLoggedErrors)]))
		}
	}
	if err != nil {
		level = slog.LevelError
		attrs = append(attrs, errorAttrs(err)...)
	}
	h.logger.LogAttrs(ctx, level, "invalidate", append(attrs, requestAttrs(ctx, took)...)...)
}

// invalidationLog is what the log line says of each invalidation.
func invalidationLog(invs []Invalidation) []map[string]any {
	out := make([]map[string]any, len(invs))
	for i, inv := range invs {
		out[i] = map[string]any{"id": inv.ID, "caller_reference": inv.CallerReference, "paths": len(inv.Paths), "attempts": inv.Attempts}
		if inv.Error != "" {
			out[i]["error"] = inv.Error
		}
	}
	return out
}

// logFailure writes the log line of an invocation whose payload could not
// be read: the error, the duration and the request id, and none of the
// counts, which would all be zero.
func (h *Handler) logFailure(ctx context.Context, err error, took time.Duration) {
	h.logger.LogAttrs(ctx, slog.LevelError, "invalidate", append(errorAttrs(err), requestAttrs(ctx, took)...)...)
}

// errorAttrs returns the log attributes of an error: its message and the
// errorType Lambda reports for it.
func errorAttrs(err error) []slog.Attr {
	return []slog.Attr{slog.String("error", err.Error()), slog.String("error_type", errorType(err))}
}

// errorType returns the name Lambda reports as the errorType of err: its
// dynamic type's name, without the pointer (as aws-lambda-go computes it).
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// requestAttrs returns the attributes every log line ends with: the
// duration in milliseconds and Lambda's request id, when there is one.
func requestAttrs(ctx context.Context, took time.Duration) []slog.Attr {
	attrs := []slog.Attr{slog.Int64("duration_ms", took.Milliseconds())}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("request_id", lc.AwsRequestID))
	}
	return attrs
}

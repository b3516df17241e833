package invalidate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"throttling", errThrottling, true},
		{"too many invalidations in progress", errTooMany, true},
		{"too many, generic", &smithy.GenericAPIError{Code: "TooManyInvalidationsInProgress"}, true},
		{"service unavailable", errServer, true},
		{"wrapped", fmt.Errorf("operation error: %w", errThrottling), true},
		{"connection refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"access denied", errDenied, false},
		{"batch already exists", &smithy.GenericAPIError{Code: "InvalidationBatchAlreadyExists"}, false},
		{"canceled", context.Canceled, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Errorf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	b := backoff{base: 250 * time.Millisecond, max: 20 * time.Second}
	for n, limit := range map[int]time.Duration{
		0: 250 * time.Millisecond, 1: 500 * time.Millisecond, 6: 16 * time.Second, 7: 20 * time.Second, 70: 20 * time.Second,
	} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			for range 100 {
				if d := b.delay(n); d <= 0 || d > limit {
					t.Fatalf("delay(%d) = %v, want in (0, %v]", n, d, limit)
				}
			}
		})
	}
}

package lambdasqs

import (
	"slices"
	"testing"

	"github.com/djfront/djfront/internal/local/runtimeapi"
)

// failedIDs decides what SQS redelivers, as Lambda does with
// ReportBatchItemFailures: the listed messages, or the whole batch when the
// answer cannot be trusted.
func TestFailedIDs(t *testing.T) {
	ids := []string{"a", "b", "c"}
	tests := []struct {
		name string
		res  runtimeapi.Result
		want []string
	}{
		{"all succeeded", runtimeapi.Result{Payload: []byte(`{"batchItemFailures":[]}`)}, nil},
		{"one failed", runtimeapi.Result{Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"b"}]}`)}, []string{"b"}},
		{"function error fails the batch", runtimeapi.Result{Error: &runtimeapi.FunctionError{Type: "Sandbox.Timedout"}}, ids},
		{"not a batch response fails the batch", runtimeapi.Result{Payload: []byte(`"ok"`)}, ids},
		{"unknown id fails the batch", runtimeapi.Result{Payload: []byte(`{"batchItemFailures":[{"itemIdentifier":"z"}]}`)}, ids},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := failedIDs(tt.res, ids); !slices.Equal(got, tt.want) {
				t.Errorf("failedIDs = %q, want %q", got, tt.want)
			}
		})
	}
}

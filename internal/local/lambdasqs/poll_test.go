package lambdasqs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djfront/djfront/internal/local/runtimeapi"
)

// fakeSQS is a queue in memory: ReceiveMessage hands out the messages not
// yet received, DeleteMessageBatch records what is deleted. Errors are
// injected per method.
type fakeSQS struct {
	queue      []types.Message
	receives   []int32 // MaxNumberOfMessages of each call
	deleted    []string
	receiveErr error
	deleteErr  error
	deleteFail bool // report the first entry of each call failed
}

func (f *fakeSQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	f.receives = append(f.receives, in.MaxNumberOfMessages)
	if f.receiveErr != nil {
		return nil, f.receiveErr
	}
	n := min(int(in.MaxNumberOfMessages), len(f.queue))
	out := &sqs.ReceiveMessageOutput{Messages: f.queue[:n]}
	f.queue = f.queue[n:]
	return out, nil
}

func (f *fakeSQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	if len(in.Entries) > 10 {
		return nil, fmt.Errorf("%d entries, SQS takes 10", len(in.Entries))
	}
	out := &sqs.DeleteMessageBatchOutput{}
	for _, e := range in.Entries {
		if f.deleteFail {
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Message: aws.String("receipt handle expired")})
			continue
		}
		f.deleted = append(f.deleted, aws.ToString(e.ReceiptHandle))
	}
	return out, nil
}

func (f *fakeSQS) GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return &sqs.GetQueueAttributesOutput{Attributes: map[string]string{"ApproximateNumberOfMessages": fmt.Sprint(len(f.queue))}}, nil
}

// fakeFunction records the events it gets and answers with result.
type fakeFunction struct {
	events []events.SQSEvent
	result func(ids []string) runtimeapi.Result
	err    error
}

func (f *fakeFunction) Invoke(_ context.Context, payload []byte) (runtimeapi.Result, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return runtimeapi.Result{}, err
	}
	f.events = append(f.events, ev)
	if f.err != nil {
		return runtimeapi.Result{}, f.err
	}
	var ids []string
	for _, r := range ev.Records {
		ids = append(ids, r.MessageId)
	}
	return f.result(ids), nil
}

// messages returns n messages m0…, receipt handles r0….
func messages(n int) []types.Message {
	var out []types.Message
	for i := range n {
		out = append(out, types.Message{
			MessageId: aws.String(fmt.Sprint("m", i)), ReceiptHandle: aws.String(fmt.Sprint("r", i)),
			Body: aws.String(fmt.Sprintf(`{"n":%d}`, i)), Attributes: map[string]string{"ApproximateReceiveCount": "1"},
		})
	}
	return out
}

// failing answers that the listed messages failed.
func failing(failed ...string) func([]string) runtimeapi.Result {
	return func([]string) runtimeapi.Result {
		var resp events.SQSEventResponse
		for _, id := range failed {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
		b, _ := json.Marshal(resp)
		return runtimeapi.Result{Payload: b}
	}
}

func TestPoll(t *testing.T) {
	tests := []struct {
		name         string
		queued       int
		batchSize    int
		result       func([]string) runtimeapi.Result
		wantReceives []int32
		wantIDs      []string
		wantFailed   []string
		wantDeleted  []string
	}{
		{name: "all succeed", queued: 3, result: failing(),
			wantReceives: []int32{10, 7}, wantIDs: []string{"m0", "m1", "m2"}, wantDeleted: []string{"r0", "r1", "r2"}},
		{name: "partial failure stays queued", queued: 3, result: failing("m1"),
			wantReceives: []int32{10, 7}, wantIDs: []string{"m0", "m1", "m2"}, wantFailed: []string{"m1"}, wantDeleted: []string{"r0", "r2"}},
		{name: "function error fails the batch", queued: 2, result: func([]string) runtimeapi.Result {
			return runtimeapi.Result{Error: &runtimeapi.FunctionError{Type: "Runtime.ExitError"}}
		}, wantReceives: []int32{10, 8}, wantIDs: []string{"m0", "m1"}, wantFailed: []string{"m0", "m1"}},
		{name: "batch above 10 gathered from several receives, deleted 10 at a time", queued: 25, batchSize: 23, result: failing(),
			wantReceives: []int32{10, 10, 3}, wantIDs: ids("m", 23), wantDeleted: ids("r", 23)},
		{name: "batch size caps the batch", queued: 5, batchSize: 2, result: failing(),
			wantReceives: []int32{2}, wantIDs: []string{"m0", "m1"}, wantDeleted: []string{"r0", "r1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeSQS{queue: messages(tt.queued)}
			fn := &fakeFunction{result: tt.result}
			p := &Poller{Client: q, QueueURL: "https://sqs/q", QueueARN: "arn:aws:sqs:eu-west-1:123456789012:q", Region: "eu-west-1", Function: fn, BatchSize: tt.batchSize}
			b, err := p.Poll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(q.receives, tt.wantReceives) {
				t.Errorf("receives asked for %v, want %v", q.receives, tt.wantReceives)
			}
			if !slices.Equal(b.IDs, tt.wantIDs) || !slices.Equal(b.Failed, tt.wantFailed) {
				t.Errorf("batch IDs %q failed %q, want %q and %q", b.IDs, b.Failed, tt.wantIDs, tt.wantFailed)
			}
			if !slices.Equal(q.deleted, tt.wantDeleted) {
				t.Errorf("deleted %q, want %q", q.deleted, tt.wantDeleted)
			}
			rec := fn.events[0].Records[0]
			if rec.EventSource != "aws:sqs" || rec.EventSourceARN != p.QueueARN || rec.AWSRegion != "eu-west-1" || rec.Body != `{"n":0}` || rec.ReceiptHandle != "r0" ||
				rec.Attributes["ApproximateReceiveCount"] != "1" {
				t.Errorf("first record %+v, want it as Lambda builds it", rec)
			}
		})
	}
}

func TestPollEmptyAndErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		q       *fakeSQS
		fn      *fakeFunction
		wantErr string
	}{
		{"empty queue: no batch", &fakeSQS{}, &fakeFunction{result: failing()}, ""},
		{"receive fails", &fakeSQS{queue: messages(1), receiveErr: boom}, &fakeFunction{result: failing()}, "receive from https://sqs/q: boom"},
		{"invoke fails", &fakeSQS{queue: messages(2)}, &fakeFunction{err: boom}, "invoke with 2 messages: boom"},
		{"delete fails", &fakeSQS{queue: messages(1), deleteErr: boom}, &fakeFunction{result: failing()}, "delete delivered messages: boom"},
		{"delete entry fails", &fakeSQS{queue: messages(1), deleteFail: true}, &fakeFunction{result: failing()}, "delete delivered messages: 1 failed: receipt handle expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Poller{Client: tt.q, QueueURL: "https://sqs/q", Function: tt.fn}
			b, err := p.Poll(context.Background())
			if tt.wantErr == "" {
				if err != nil || b != nil {
					t.Errorf("Poll = %v, %v; want no batch and no error", b, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Poll error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func ids(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprint(prefix, i))
	}
	return out
}

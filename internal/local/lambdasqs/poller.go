// Package lambdasqs delivers the messages of an SQS queue to a Lambda
// function the way Lambda's SQS event source mapping does with
// ReportBatchItemFailures on, for local runs against an SQS emulator: the
// end-to-end tests and `make demo`.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html and
// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html.
package lambdasqs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djfront/djfront/internal/local/runtimeapi"
)

// sqsAPI is the part of the SQS client a Poller uses.
type sqsAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ sqsAPI = (*sqs.Client)(nil)

// Invoker runs a Lambda function on a payload; *runtimeapi.Server is one.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) (runtimeapi.Result, error)
}

// Poller delivers the messages of an SQS queue to a function the way
// Lambda's SQS event source mapping does with ReportBatchItemFailures on: it
// receives a batch, invokes the function once with the SQS event Lambda
// would build, deletes the messages that succeeded and leaves the others to
// become visible again after the queue's visibility timeout — and, past the
// redrive policy's maxReceiveCount, to move to the dead-letter queue.
//
// The batch fails as a whole when the invocation fails, when its response is
// not an SQS batch response, or when it names a message not in the batch.
type Poller struct {
	Client   sqsAPI // an *sqs.Client
	QueueURL string
	QueueARN string // the eventSourceARN of each record
	Region   string // the awsRegion of each record
	Function Invoker
	// BatchSize is the most messages per invocation (default 10); batches
	// above SQS's 10 per ReceiveMessage are gathered from several calls,
	// as the event source mapping's batching window does.
	BatchSize int
}

// Batch is one invocation of a poller.
type Batch struct {
	Payload []byte   // the SQS event sent to the function
	IDs     []string // the message ids, in order
	Failed  []string // the ids left for redelivery
	Result  runtimeapi.Result
}

// Poll receives one batch, waiting up to a second for the first message,
// and delivers it. It returns the batch, or nil when no message arrived.
func (p *Poller) Poll(ctx context.Context) (*Batch, error) {
	msgs, err := p.receive(ctx)
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	b := &Batch{Payload: p.event(msgs)}
	for _, m := range msgs {
		b.IDs = append(b.IDs, aws.ToString(m.MessageId))
	}
	res, err := p.Function.Invoke(ctx, b.Payload)
	if err != nil {
		return nil, fmt.Errorf("invoke with %d messages: %w", len(msgs), err)
	}
	b.Result = res
	b.Failed = failedIDs(res, b.IDs)
	if err := p.deleteDelivered(ctx, msgs, b); err != nil {
		return nil, err
	}
	return b, nil
}

// receive gathers up to BatchSize messages (default 10) from as many
// ReceiveMessage calls as it takes, waiting only for the first.
func (p *Poller) receive(ctx context.Context) ([]types.Message, error) {
	size := p.BatchSize
	if size <= 0 {
		size = 10
	}
	var msgs []types.Message
	for len(msgs) < size {
		wait := int32(0)
		if len(msgs) == 0 {
			wait = 1
		}
		out, err := p.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.QueueURL),
			MaxNumberOfMessages:         int32(min(10, size-len(msgs))),
			WaitTimeSeconds:             wait,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			return nil, fmt.Errorf("receive from %s: %w", p.QueueURL, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		msgs = append(msgs, out.Messages...)
	}
	return msgs, nil
}

// deleteDelivered deletes the messages of b that did not fail, ten per
// DeleteMessageBatch call (SQS's limit).
func (p *Poller) deleteDelivered(ctx context.Context, msgs []types.Message, b *Batch) error {
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if !slices.Contains(b.Failed, b.IDs[i]) {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	for chunk := range slices.Chunk(del, 10) {
		out, err := p.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: chunk})
		if err != nil {
			return fmt.Errorf("delete delivered messages: %w", err)
		}
		if len(out.Failed) > 0 {
			return fmt.Errorf("delete delivered messages: %d failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
	return nil
}

// failedIDs returns the ids of the messages that stay in the queue: those
// the response names, or all of them when the invocation failed or its
// response is invalid.
func failedIDs(res runtimeapi.Result, ids []string) []string {
	if res.Error != nil {
		return ids
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res.Payload, &resp); err != nil {
		return ids
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		if !slices.Contains(ids, f.ItemIdentifier) {
			return ids
		}
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// event builds the SQS event Lambda sends for msgs.
func (p *Poller) event(msgs []types.Message) []byte {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(msgs))}
	for i, m := range msgs {
		attrs := make(map[string]string, len(m.Attributes))
		maps.Copy(attrs, m.Attributes)
		msgAttrs := make(map[string]events.SQSMessageAttribute, len(m.MessageAttributes))
		for k, a := range m.MessageAttributes {
			msgAttrs[k] = events.SQSMessageAttribute{
				StringValue:      a.StringValue,
				BinaryValue:      a.BinaryValue,
				StringListValues: a.StringListValues,
				BinaryListValues: a.BinaryListValues,
				DataType:         aws.ToString(a.DataType),
			}
		}
		ev.Records[i] = events.SQSMessage{
			MessageId:              aws.ToString(m.MessageId),
			ReceiptHandle:          aws.ToString(m.ReceiptHandle),
			Body:                   aws.ToString(m.Body),
			Md5OfBody:              aws.ToString(m.MD5OfBody),
			Md5OfMessageAttributes: aws.ToString(m.MD5OfMessageAttributes),
			Attributes:             attrs,
			MessageAttributes:      msgAttrs,
			EventSourceARN:         p.QueueARN,
			EventSource:            "aws:sqs",
			AWSRegion:              p.Region,
		}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // the event holds only strings and byte slices
	}
	return b
}

// Drain polls until the queue holds no message, visible or in flight —
// every message deleted after its delivery or moved to the dead-letter
// queue — and returns the batches delivered. It gives up after maxRounds
// polls, naming what is left.
func (p *Poller) Drain(ctx context.Context, maxRounds int) ([]*Batch, error) {
	var batches []*Batch
	for range maxRounds {
		b, err := p.Poll(ctx)
		if err != nil {
			return batches, err
		}
		if b != nil {
			batches = append(batches, b)
			continue
		}
		n, err := p.pending(ctx)
		if err != nil {
			return batches, err
		}
		if n == 0 {
			return batches, nil
		}
		time.Sleep(200 * time.Millisecond) // in flight: wait for the visibility timeout
	}
	n, _ := p.pending(ctx)
	return batches, fmt.Errorf("queue %s still holds %d messages after %d polls", p.QueueURL, n, maxRounds)
}

// pending returns how many messages the queue holds, visible or not.
func (p *Poller) pending(ctx context.Context) (int, error) {
	out, err := p.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(p.QueueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, fmt.Errorf("queue attributes of %s: %w", p.QueueURL, err)
	}
	n := 0
	for _, v := range out.Attributes {
		k, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("queue attributes of %s: %q is not a count", p.QueueURL, v)
		}
		n += k
	}
	return n, nil
}

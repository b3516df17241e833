package invalidate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/pathplan"
)

// Event sources as Lambda, S3 and EventBridge name them, the event name of
// S3's test message, and the SNS message types.
const (
	sourceSQS         = "aws:sqs"
	sourceS3          = "aws:s3"
	sourceSNS         = "aws:sns"
	sourceEventBridge = "aws.s3"
	testEventName     = "s3:TestEvent"
	snsNotification   = "Notification"
)

// Shapes of an invocation, as reported in [Summary].Shape.
const (
	ShapeSQS         = "sqs"
	ShapeS3          = "s3"
	ShapeSNS         = "sns"
	ShapeEventBridge = "eventbridge"
	ShapeTestEvent   = "s3:TestEvent"
)

// errUnrecognized is wrapped by the [UnrecognizedEventError] of a payload
// that is none of the shapes; such an invocation cannot be answered per
// message.
var errUnrecognized = errors.New("unrecognized event: not an SQS, SNS, S3 or EventBridge event or an s3:TestEvent")

// invocation is a parsed payload: its shape and its messages. A direct S3
// event is one message without an id.
type invocation struct {
	shape    string
	messages []message
}

// message is one unit of success or failure: an SQS message, an SNS
// record, an EventBridge event or the whole direct S3 event.
type message struct {
	id      string
	test    bool     // an s3:TestEvent, to acknowledge and ignore
	changes []change // the S3 object events it carries
	ignored int      // S3 events that do not change content (restore, tagging…)
	err     error    // why the message cannot be read; nil if it can
}

// changeKind tells what an S3 event did to an object.
type changeKind int

const (
	// created: a new version (or the object of an unversioned bucket).
	created changeKind = iota
	// marked: a delete marker now hides the object; its versions stay.
	marked
	// removed: a version, or the object of an unversioned bucket, is
	// gone for good; the versions left no longer show what was served.
	removed
)

// change is one S3 event on an object, with its key decoded.
type change struct {
	bucket    string
	key       string
	kind      changeKind
	versionID string
	etag      string
	sequencer string
	// alt marks the second reading of an EventBridge key (see
	// eventBridgeChanges): the same event, not one more.
	alt bool
}

// envelope is the outside of a payload or message body: just enough of any
// to tell the shapes apart before reading the whole. JSON field matching is
// case-insensitive, so it reads Lambda's "Records" with their "eventSource"
// (SNS spells it "EventSource"), the test event's "Event", EventBridge's
// "source" and "detail-type", and an SNS message's "Type".
type envelope struct {
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	Event      string `json:"Event"`
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	EventID    string `json:"id"` // an EventBridge event's
	Type       string `json:"Type"`
}

// source returns the event source shared by all records, "" if there are
// none, or an error if they disagree.
func (e envelope) source() (string, error) {
	if len(e.Records) == 0 {
		return "", nil
	}
	src := e.Records[0].EventSource
	for _, r := range e.Records[1:] {
		if r.EventSource != src {
			return "", fmt.Errorf("records from different event sources %q and %q", src, r.EventSource)
		}
	}
	return src, nil
}

// eventBridge reports whether the payload is an EventBridge event.
func (e envelope) eventBridge() bool { return e.DetailType != "" && len(e.Records) == 0 }

// parseInvocation detects the shape of raw and parses it. It fails only when
// the payload as a whole cannot be understood; an SQS message that cannot be
// read is returned with its err set. Every shape but SQS is answered as a
// whole, so a message of theirs that cannot be read fails the payload.
func parseInvocation(raw []byte) (invocation, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return invocation{}, &UnrecognizedEventError{Err: fmt.Errorf("%w: %w", errUnrecognized, err)}
	}
	src, err := env.source()
	if err != nil {
		return invocation{}, &UnrecognizedEventError{Err: fmt.Errorf("%w: %w", errUnrecognized, err)}
	}
	var inv invocation
	switch {
	case src == sourceSQS:
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return invocation{}, &UnrecognizedEventError{Err: fmt.Errorf("parse sqs event: %w", err)}
		}
		inv = invocation{shape: ShapeSQS, messages: make([]message, len(ev.Records))}
		for i, r := range ev.Records {
			inv.messages[i] = parseNotification(r.MessageId, []byte(r.Body), true)
		}
		return inv, nil
	case src == sourceSNS:
		var ev events.SNSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return invocation{}, &UnrecognizedEventError{Err: fmt.Errorf("parse sns event: %w", err)}
		}
		inv = invocation{shape: ShapeSNS}
		for _, r := range ev.Records {
			inv.messages = append(inv.messages, parseSNS(r.SNS.MessageID, r.SNS))
		}
	case src == sourceS3:
		inv = invocation{shape: ShapeS3, messages: []message{parseS3("", raw)}}
	case src == "" && env.eventBridge():
		inv = invocation{shape: ShapeEventBridge, messages: []message{parseNotification(env.EventID, raw, false)}}
	case src == "" && env.Event == testEventName:
		return invocation{shape: ShapeTestEvent, messages: []message{{test: true}}}, nil
	default:
		return invocation{}, &UnrecognizedEventError{Err: errUnrecognized}
	}
	for _, m := range inv.messages {
		if m.err != nil {
			return invocation{}, &UnrecognizedEventError{Err: m.err}
		}
	}
	return inv, nil
}

// parseNotification reads the body of an SQS message, the message of an SNS
// notification or a direct EventBridge event: an S3 event, an s3:TestEvent,
// an EventBridge event from S3 or, when sns is set, an SNS notification
// (SNS → SQS without raw message delivery) carrying one of the others.
func parseNotification(id string, body []byte, sns bool) message {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return message{id: id, err: fmt.Errorf("message body is not JSON: %w", err)}
	}
	src, err := env.source()
	switch {
	case err != nil:
		return message{id: id, err: err}
	case src == sourceS3:
		return parseS3(id, body)
	case src != "":
		return message{id: id, err: fmt.Errorf("message body is not an S3 event notification: event source %q", src)}
	case env.Event == testEventName:
		return message{id: id, test: true}
	case env.eventBridge():
		return parseEventBridge(id, body)
	case sns && env.Type != "":
		var n events.SNSEntity
		if err := json.Unmarshal(body, &n); err != nil {
			return message{id: id, err: fmt.Errorf("parse sns message: %w", err)}
		}
		return parseSNS(id, n)
	}
	return message{id: id, err: errors.New("message body is not an S3 event notification")}
}

// parseSNS reads the S3 notification an SNS message carries. Other SNS
// message types (a SubscriptionConfirmation the topic sent to the queue)
// fail with a message that says what to do.
func parseSNS(id string, n events.SNSEntity) message {
	if n.Type != snsNotification {
		return message{id: id, err: fmt.Errorf("sns message of type %q, want %q (confirm a subscription by visiting its SubscribeURL)", n.Type, snsNotification)}
	}
	return parseNotification(id, []byte(n.Message), false)
}

// parseS3 reads an S3 event (events.S3Event).
func parseS3(id string, body []byte) message {
	m := message{id: id}
	var ev events.S3Event
	if err := json.Unmarshal(body, &ev); err != nil {
		m.err = fmt.Errorf("parse s3 event: %w", err)
		return m
	}
	for _, r := range ev.Records {
		kind, relevant := classify(r.EventName)
		if !relevant {
			m.ignored++
			continue
		}
		c, err := newChange(r.S3, kind)
		if err != nil {
			return message{id: id, err: err}
		}
		m.changes = append(m.changes, c)
	}
	return m
}

// newChange returns the change an S3 event record describes, its key
// decoded.
func newChange(e events.S3Entity, kind changeKind) (change, error) {
	key, err := pathplan.DecodeKey(e.Object.Key)
	if err == nil && key == "" {
		err = errors.New("s3 event without an object key")
	}
	if err != nil {
		return change{}, err
	}
	return newChangeOf(e, key, kind), nil
}

// newChangeOf returns the change an S3 event record describes for the
// object key, already decoded.
func newChangeOf(e events.S3Entity, key string, kind changeKind) change {
	return change{
		bucket:    e.Bucket.Name,
		key:       key,
		kind:      kind,
		versionID: e.Object.VersionID,
		etag:      e.Object.ETag,
		sequencer: e.Object.Sequencer,
	}
}

// classify sorts an S3 event name: ObjectCreated:* creates content; the
// DeleteMarkerCreated events of ObjectRemoved and LifecycleExpiration hide
// it behind a delete marker; the other ObjectRemoved:* and
// LifecycleExpiration:* events remove a version for good. Every other event
// (restores, tagging, ACLs, storage-class transitions…) leaves the content
// a viewer gets as it was.
func classify(eventName string) (kind changeKind, relevant bool) {
	switch {
	case strings.HasPrefix(eventName, "ObjectCreated:"):
		return created, true
	case strings.HasSuffix(eventName, ":DeleteMarkerCreated"):
		return marked, true
	case strings.HasPrefix(eventName, "ObjectRemoved:"), strings.HasPrefix(eventName, "LifecycleExpiration:"):
		return removed, true
	}
	return 0, false
}

// laterSequencer reports whether sequencer a orders after b. S3 sequencers
// are hexadecimal strings of varying length, compared after right-padding the
// shorter one with zeros; they order events on the same key only.
func laterSequencer(a, b string) bool {
	n := max(len(a), len(b))
	a = strings.ToUpper(a) + strings.Repeat("0", n-len(a))
	b = strings.ToUpper(b) + strings.Repeat("0", n-len(b))
	return a > b
}

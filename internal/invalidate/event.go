package invalidate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/djfront/djfront/internal/invalidation"
)

// Event sources as Lambda and S3 name them in a record's eventSource, and the
// event name of S3's test message.
const (
	sourceSQS     = "aws:sqs"
	sourceS3      = "aws:s3"
	testEventName = "s3:TestEvent"
)

// Shapes of an invocation, as reported in [Summary].Shape.
const (
	ShapeSQS       = "sqs"
	ShapeS3        = "s3"
	ShapeTestEvent = "s3:TestEvent"
)

// errUnrecognized is returned for a payload that is none of the three
// shapes; such an invocation cannot be answered per message.
var errUnrecognized = errors.New("unrecognized event: not an SQS event, an S3 event or an s3:TestEvent")

// invocation is a parsed payload: its shape and its messages. A direct S3
// event is one message without an id.
type invocation struct {
	shape    string
	messages []message
}

// message is one unit of success or failure: an SQS message, or the whole
// direct S3 event.
type message struct {
	id      string
	test    bool     // an s3:TestEvent, to acknowledge and ignore
	changes []change // the S3 object events it carries
	ignored int      // S3 events that do not change content (restore, tagging…)
	err     error    // why the message cannot be read; nil if it can
}

// change is one S3 event on an object, with its key decoded.
type change struct {
	bucket    string
	key       string
	created   bool // ObjectCreated:*; otherwise the object was removed
	versionID string
	etag      string
	sequencer string
}

// probe is just enough of any payload to tell the shapes apart. JSON field
// matching is case-insensitive, so it reads both Lambda's "Records" and the
// test event's "Event".
type probe struct {
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	Event string `json:"Event"`
}

// source returns the event source shared by all records, "" if there are
// none, or an error if they disagree.
func (p probe) source() (string, error) {
	if len(p.Records) == 0 {
		return "", nil
	}
	src := p.Records[0].EventSource
	for _, r := range p.Records[1:] {
		if r.EventSource != src {
			return "", fmt.Errorf("records from different event sources %q and %q", src, r.EventSource)
		}
	}
	return src, nil
}

// parseInvocation detects the shape of raw and parses it. It fails only when
// the payload as a whole cannot be understood; an SQS message that cannot be
// read is returned with its err set.
func parseInvocation(raw []byte) (invocation, error) {
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return invocation{}, fmt.Errorf("%w: %w", errUnrecognized, err)
	}
	src, err := p.source()
	if err != nil {
		return invocation{}, fmt.Errorf("%w: %w", errUnrecognized, err)
	}
	switch {
	case src == sourceSQS:
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return invocation{}, fmt.Errorf("parse sqs event: %w", err)
		}
		inv := invocation{shape: ShapeSQS, messages: make([]message, len(ev.Records))}
		for i, r := range ev.Records {
			inv.messages[i] = parseBody(r.MessageId, []byte(r.Body))
		}
		return inv, nil
	case src == sourceS3:
		m := parseBody("", raw)
		if m.err != nil {
			return invocation{}, m.err
		}
		return invocation{shape: ShapeS3, messages: []message{m}}, nil
	case src == "" && p.Event == testEventName:
		return invocation{shape: ShapeTestEvent, messages: []message{{test: true}}}, nil
	}
	return invocation{}, errUnrecognized
}

// parseBody reads an S3 notification: an S3 event or an s3:TestEvent.
func parseBody(id string, body []byte) message {
	m := message{id: id}
	var p probe
	if err := json.Unmarshal(body, &p); err != nil {
		m.err = fmt.Errorf("message body is not JSON: %w", err)
		return m
	}
	src, err := p.source()
	switch {
	case err != nil:
		m.err = err
		return m
	case src == "" && p.Event == testEventName:
		m.test = true
		return m
	case src != sourceS3:
		m.err = errors.New("message body is not an S3 event notification")
		return m
	}
	var ev events.S3Event
	if err := json.Unmarshal(body, &ev); err != nil {
		m.err = fmt.Errorf("parse s3 event: %w", err)
		return m
	}
	for _, r := range ev.Records {
		created, relevant := classify(r.EventName)
		if !relevant {
			m.ignored++
			continue
		}
		key, err := invalidation.DecodeKey(r.S3.Object.Key)
		if err == nil && key == "" {
			err = errors.New("s3 event without an object key")
		}
		if err != nil {
			m.err = err
			m.changes = nil
			return m
		}
		m.changes = append(m.changes, change{
			bucket:    r.S3.Bucket.Name,
			key:       key,
			created:   created,
			versionID: r.S3.Object.VersionID,
			etag:      r.S3.Object.ETag,
			sequencer: r.S3.Object.Sequencer,
		})
	}
	return m
}

// classify sorts an S3 event name: ObjectCreated:* creates content;
// ObjectRemoved:* and LifecycleExpiration:* remove it; every other event
// (restores, tagging, ACLs, storage-class transitions…) leaves the content a
// viewer gets as it was.
func classify(eventName string) (created, relevant bool) {
	switch {
	case strings.HasPrefix(eventName, "ObjectCreated:"):
		return true, true
	case strings.HasPrefix(eventName, "ObjectRemoved:"), strings.HasPrefix(eventName, "LifecycleExpiration:"):
		return false, true
	}
	return false, false
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

package invalidate

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/pathplan"
)

// EventBridge detail types of S3 events that change an object's content,
// and the deletion type of a delete marker. See
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
const (
	detailObjectCreated = "Object Created"
	detailObjectDeleted = "Object Deleted"
	deletionMarker      = "Delete Marker Created"
)

// s3Detail is the detail of an S3 event delivered by EventBridge, as far as
// the handler reads it. aws-lambda-go types the envelope
// ([events.EventBridgeEvent]) but not this detail. Whether its key is
// URL-encoded as in S3's own notifications is not settled: see
// eventBridgeChanges.
type s3Detail struct {
	Bucket struct {
		Name string `json:"name"`
	} `json:"bucket"`
	Object struct {
		Key       string `json:"key"`
		ETag      string `json:"etag"`
		VersionID string `json:"version-id"`
		Sequencer string `json:"sequencer"`
	} `json:"object"`
	DeletionType string `json:"deletion-type"`
}

// parseEventBridge reads an EventBridge event from S3, directly or as the
// body of an SQS message. Detail types other than Object Created and Object Deleted (restores,
// tags, ACLs, storage classes) are ignored.
func parseEventBridge(id string, body []byte) message {
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return message{id: id, err: fmt.Errorf("parse eventbridge event: %w", err)}
	}
	if ev.Source != sourceEventBridge {
		return message{id: id, err: fmt.Errorf("eventbridge event from source %q, want %q", ev.Source, sourceEventBridge)}
	}
	var kind changeKind
	switch ev.DetailType {
	case detailObjectCreated:
		kind = created
	case detailObjectDeleted:
		kind = removed
	default:
		return message{id: id, ignored: 1}
	}
	var d s3Detail
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return message{id: id, err: fmt.Errorf("parse eventbridge %q detail: %w", ev.DetailType, err)}
	}
	if kind == removed && d.DeletionType == deletionMarker {
		kind = marked
	}
	var e events.S3Entity
	e.Bucket.Name = d.Bucket.Name
	e.Object = events.S3Object{Key: d.Object.Key, ETag: d.Object.ETag, VersionID: d.Object.VersionID, Sequencer: d.Object.Sequencer}
	changes, err := eventBridgeChanges(e, kind)
	if err != nil {
		return message{id: id, err: err}
	}
	return message{id: id, changes: changes}
}

// eventBridgeChanges returns the changes of an EventBridge event from S3:
// one for its key, or two when the key holds '+' or '%'. S3's own
// notifications URL-encode keys ('+' for a space); AWS's EventBridge
// examples show plain keys, and a published capture shows a raw ':' where a
// notification sends %3A. If EventBridge keys are raw, decoding would turn a
// literal '+' into a space and leave the real file stale, so until AWS
// settles it such a key counts under both readings, decoded and as sent
// (the second marked alt): one path more, and nothing missed. A key whose
// '%' starts no valid escape cannot be encoded, and counts as sent.
func eventBridgeChanges(e events.S3Entity, kind changeKind) ([]change, error) {
	raw := e.Object.Key
	if !strings.ContainsAny(raw, "+%") {
		c, err := newChange(e, kind)
		return []change{c}, err
	}
	asSent := newChangeOf(e, raw, kind)
	decoded, err := pathplan.DecodeKey(raw)
	if err != nil || decoded == raw {
		return []change{asSent}, nil
	}
	asSent.alt = true
	return []change{newChangeOf(e, decoded, kind), asSent}, nil
}

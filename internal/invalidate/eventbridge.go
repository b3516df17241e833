package invalidate

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
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
// ([events.EventBridgeEvent]) but not this detail. The key is URL-encoded
// as in S3's own notifications.
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
	c, err := newChange(e, kind)
	if err != nil {
		return message{id: id, err: err}
	}
	return message{id: id, changes: []change{c}}
}

package invalidate

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djfront/djfront/internal/pathplan"
	"github.com/djfront/djfront/sam/fixtures"
)

// FuzzHandle feeds arbitrary payloads to the handler. It must never panic,
// and for an SQS event every message either is reported as failed or had
// each of its object keys covered by an invalidation that was created —
// nothing vanishes. It runs each payload three ways: CloudFront accepting
// everything, refusing everything (AccessDenied, one call at most), and
// refusing any path containing "a" (InvalidArgument, which the handler
// isolates). Version lookups fail, so every key counts as changed.
func FuzzHandle(f *testing.F) {
	for _, name := range fixtures.Names("*.json") {
		f.Add(fixtures.Must(f, name))
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"object\":{\"key\":\"a/b*c+d%2Fe\"}}}]}"}]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{}"},{"eventSource":"aws:sqs","messageId":"a","body":"null"}]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"s","body":"{\"Type\":\"Notification\",\"Message\":\"{\\\"detail-type\\\":\\\"Object Created\\\",\\\"source\\\":\\\"aws.s3\\\",\\\"detail\\\":{\\\"object\\\":{\\\"key\\\":\\\"x/a\\\"}}}\"}"}]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"e","body":"{\"detail-type\":\"Object Deleted\",\"source\":\"aws.s3\",\"detail\":{\"object\":{\"key\":\"b\"},\"deletion-type\":\"Permanently Deleted\"}}"},{"eventSource":"aws:sqs","messageId":"f","body":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectRemoved:Delete\",\"s3\":{\"object\":{\"key\":\"a\"}}}]}"}]}`))

	cfg := Config{DistributionID: "E1", Plan: pathplan.Options{MaxPaths: 3}}
	modes := []fuzzMode{{name: "accepted"}, {name: "denied", fail: always(errDenied)}, {name: "refused", refuse: "a"}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var ev events.SQSEvent
		sqs := json.Unmarshal(raw, &ev) == nil && len(ev.Records) > 0 &&
			!slices.ContainsFunc(ev.Records, func(m events.SQSMessage) bool { return m.EventSource != "aws:sqs" })
		for _, mode := range modes {
			cf := &fakeCloudFront{fail: mode.fail, refuse: mode.refuse}
			h := testHandler(cfg, cf, &fakeS3{err: errors.New("no versions")}, nil)
			got, err := h.Handle(context.Background(), raw)
			if sqs {
				checkNothingVanishes(t, mode, cfg, ev, got, err, cf)
			}
		}
	})
}

// fuzzMode is how the fake CloudFront answers in FuzzHandle: fail and
// refuse as in [fakeCloudFront].
type fuzzMode struct {
	name   string
	fail   func(int) error
	refuse string
}

// checkNothingVanishes checks the handler's answer to the SQS event ev
// under mode: a response, not an error, that reports only ev's message
// ids; at most one CreateInvalidation call unless CloudFront refuses
// paths; and every object key of a message not reported covered by an
// invalidation that was created.
func checkNothingVanishes(t *testing.T, mode fuzzMode, cfg Config, ev events.SQSEvent, got any, err error, cf *fakeCloudFront) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: SQS event: got error %v, want a response", mode.name, err)
	}
	reported := map[string]bool{}
	for _, id := range failures(t, got) {
		reported[id] = true
		if !slices.ContainsFunc(ev.Records, func(m events.SQSMessage) bool { return m.MessageId == id }) {
			t.Fatalf("%s: reported unknown message id %q", mode.name, id)
		}
	}
	if n := cf.count(); n > 1 && mode.refuse == "" {
		t.Fatalf("%s: got %d CreateInvalidation calls, want at most 1", mode.name, n)
	}
	created := createdPaths(mode, cf)
	for _, m := range ev.Records {
		if reported[m.MessageId] {
			continue
		}
		for _, key := range objectKeys(m.Body, true) {
			p, ok := cfg.Plan.ObjectPath(key)
			if ok && !pathplan.Covers(created, p) {
				t.Fatalf("%s: message %q succeeded but key %q is not covered by the invalidations created, %q", mode.name, m.MessageId, key, created)
			}
		}
	}
}

// createdPaths returns the paths of the calls cf answered with an
// invalidation under mode: not failed, and none of their paths refused.
func createdPaths(mode fuzzMode, cf *fakeCloudFront) []string {
	var created []string
	for i, c := range cf.calls {
		paths := c.InvalidationBatch.Paths.Items
		if mode.fail == nil || mode.fail(i+1) == nil {
			if mode.refuse == "" || !slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, mode.refuse) }) {
				created = append(created, paths...)
			}
		}
	}
	return created
}

// objectKeys returns the decoded keys of the created or removed objects in
// a notification body — an S3 event, an EventBridge event from S3 or, when
// sns is set, an SNS notification of either — read independently of the
// handler's parser.
func objectKeys(body string, sns bool) []string {
	var n struct {
		Type       string
		Message    string
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if json.Unmarshal([]byte(body), &n) == nil {
		switch {
		case sns && n.Type == "Notification":
			return objectKeys(n.Message, false)
		case n.Source == "aws.s3" && (n.DetailType == "Object Created" || n.DetailType == "Object Deleted"):
			var d struct {
				Object struct {
					Key string `json:"key"`
				} `json:"object"`
			}
			if json.Unmarshal(n.Detail, &d) == nil {
				if k, err := pathplan.DecodeKey(d.Object.Key); err == nil {
					return []string{k}
				}
			}
			return nil
		}
	}
	var ev events.S3Event
	if json.Unmarshal([]byte(body), &ev) != nil {
		return nil
	}
	var keys []string
	for _, r := range ev.Records {
		if r.EventSource != "aws:s3" || !strings.HasPrefix(r.EventName, "ObjectCreated:") &&
			!strings.HasPrefix(r.EventName, "ObjectRemoved:") && !strings.HasPrefix(r.EventName, "LifecycleExpiration:") {
			continue
		}
		if k, err := pathplan.DecodeKey(r.S3.Object.Key); err == nil {
			keys = append(keys, k)
		}
	}
	return keys
}

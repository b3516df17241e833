package invalidate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/djfront/djfront/internal/invalidation"
)

// FuzzHandle feeds arbitrary payloads to the handler. It must never panic,
// and for an SQS event every message either is reported as failed or had
// each of its object keys covered by the one invalidation — nothing
// vanishes. Version lookups fail, so every key counts as changed.
func FuzzHandle(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "sam", "events", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"object\":{\"key\":\"a/b*c+d%2Fe\"}}}]}"}]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"a","body":"{}"},{"eventSource":"aws:sqs","messageId":"a","body":"null"}]}`))

	cfg := Config{DistributionID: "E1", Plan: invalidation.Options{MaxPaths: 3}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, fail := range []bool{false, true} {
			cf := &fakeCloudFront{}
			if fail {
				cf.fail = always(errDenied)
			}
			h := testHandler(cfg, cf, &fakeS3{err: errors.New("no versions")}, nil)
			got, err := h.Handle(context.Background(), raw)

			var ev events.SQSEvent
			if json.Unmarshal(raw, &ev) != nil || len(ev.Records) == 0 ||
				slices.ContainsFunc(ev.Records, func(m events.SQSMessage) bool { return m.EventSource != "aws:sqs" }) {
				continue
			}
			if err != nil {
				t.Fatalf("SQS event: got error %v, want a response", err)
			}
			reported := map[string]bool{}
			for _, id := range failures(t, got) {
				reported[id] = true
				if !slices.ContainsFunc(ev.Records, func(m events.SQSMessage) bool { return m.MessageId == id }) {
					t.Fatalf("reported unknown message id %q", id)
				}
			}
			if n := cf.count(); n > 1 {
				t.Fatalf("got %d CreateInvalidation calls, want at most 1", n)
			}
			var paths []string
			if len(cf.calls) == 1 {
				paths = cf.calls[0].InvalidationBatch.Paths.Items
			}
			for _, m := range ev.Records {
				if reported[m.MessageId] {
					continue
				}
				if fail && len(cf.calls) > 0 {
					t.Fatalf("invalidation failed but message %q not reported", m.MessageId)
				}
				for _, key := range objectKeys(m.Body) {
					p, ok := cfg.Plan.ObjectPath(key)
					if ok && !invalidation.Covers(paths, p) {
						t.Fatalf("message %q succeeded but key %q is not covered by %q", m.MessageId, key, paths)
					}
				}
			}
		}
	})
}

// objectKeys returns the decoded keys of the created or removed objects in
// an S3 notification body, read independently of the handler's parser.
func objectKeys(body string) []string {
	var ev events.S3Event
	if json.Unmarshal([]byte(body), &ev) != nil {
		return nil
	}
	var keys []string
	for _, r := range ev.Records {
		if r.EventSource != "aws:s3" ||
			!strings.HasPrefix(r.EventName, "ObjectCreated:") && !strings.HasPrefix(r.EventName, "ObjectRemoved:") {
			continue
		}
		if k, err := invalidation.DecodeKey(r.S3.Object.Key); err == nil {
			keys = append(keys, k)
		}
	}
	return keys
}

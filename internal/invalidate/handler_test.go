package invalidate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/djfront/djfront/internal/pathplan"
	"github.com/djfront/djfront/sam/fixtures"
)

// fixture reads an event from sam/fixtures, the one copy shared with
// `sam local invoke -e`.
func fixture(tb testing.TB, name string) []byte {
	tb.Helper()
	return fixtures.Must(tb, name)
}

// testConfig is the configuration of the deployed stack: no origin path,
// Django's hashed names immutable, 15 paths.
func testConfig(tb testing.TB, env map[string]string) Config {
	tb.Helper()
	full := map[string]string{"DISTRIBUTION_ID": "E2QWRUHEXAMPLE"}
	for k, v := range env {
		full[k] = v
	}
	cfg, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := full[k]; return v, ok })
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// sqsMessageIDs returns the message ids of an SQS event.
func sqsMessageIDs(tb testing.TB, raw []byte) []string {
	tb.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		tb.Fatal(err)
	}
	ids := make([]string, len(ev.Records))
	for i, r := range ev.Records {
		ids[i] = r.MessageId
	}
	return ids
}

// failures returns the ids an SQS response reports.
func failures(tb testing.TB, got any) []string {
	tb.Helper()
	resp, ok := got.(events.SQSEventResponse)
	if !ok {
		tb.Fatalf("got result %T, want events.SQSEventResponse", got)
	}
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// fixtureTests are TestHandleFixtures' cases: each fixture of
// sam/fixtures the function reads, its shape, and what it must invalidate,
// skip and report failed.
var fixtureTests = []struct {
	fixture string
	shape   string
	// changed are the keys that must be invalidated, immutable and
	// unchanged those that must not be; failed the message ids
	// reported.
	changed   []string
	immutable []string
	unchanged []string
	failed    []string
}{
	{fixture: "s3-put.json", shape: ShapeS3, changed: []string{"static/img/hero banner.png"}},
	{fixture: "s3-delete.json", shape: ShapeS3, changed: []string{"static/js/old.js"}},
	{fixture: "s3-test-event.json", shape: ShapeTestEvent},
	{
		fixture: "sqs-batch.json", shape: ShapeSQS,
		changed: []string{
			"static/admin/css/base.css", "static/img/hero banner.png", "static/staticfiles.json",
			"static/img/café menu.png", "static/js/old.js",
		},
		immutable: []string{"static/admin/css/base.5af66c1b1797.css"},
	},
	{fixture: "sqs-test-event.json", shape: ShapeSQS},
	{
		fixture: "sqs-sns-batch.json", shape: ShapeSQS,
		changed: []string{"static/css/site.css", "static/js/old.js", "media/uploads/team photo.png"},
	},
	{
		fixture: "sqs-sns-raw.json", shape: ShapeSQS,
		changed: []string{"static/css/site.css", "static/js/old.js", "media/uploads/team photo.png"},
	},
	{fixture: "sns-s3.json", shape: ShapeSNS, changed: []string{"static/css/site.css", "static/js/old.js"}},
	// EventBridge keys with '+' or '%' count under both readings
	// (eventBridgeChanges): the fixture's hero+banner.png may be raw.
	{fixture: "eventbridge-object-created.json", shape: ShapeEventBridge, changed: []string{"static/img/hero banner.png", "static/img/hero+banner.png"}},
	{fixture: "eventbridge-object-deleted.json", shape: ShapeEventBridge, changed: []string{"static/js/old.js"}},
	{
		fixture: "sqs-eventbridge.json", shape: ShapeSQS,
		changed: []string{
			"static/img/hero banner.png", "static/img/hero+banner.png", "static/js/old.js",
			"media/uploads/team photo.png", "media/uploads/team+photo.png",
		},
		// Object Tags Added changes no content.
		unchanged: []string{"static/css/site.css"},
	},
	{
		fixture: "sqs-malformed.json", shape: ShapeSQS,
		changed: []string{"static/css/site.css"},
		failed:  []string{"9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b"},
	},
}

func TestHandleFixtures(t *testing.T) {
	for _, tt := range fixtureTests {
		t.Run(tt.fixture, func(t *testing.T) {
			raw := fixture(t, tt.fixture)
			cf := &fakeCloudFront{}
			cfg := testConfig(t, nil)
			h := testHandler(cfg, cf, &fakeS3{}, nil)
			got, err := h.Handle(context.Background(), raw)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if tt.shape == ShapeSQS {
				if got, want := failures(t, got), append([]string{}, tt.failed...); !slices.Equal(got, want) {
					t.Errorf("got failures %q, want %q", got, want)
				}
			} else if sum, ok := got.(Summary); !ok || sum.Shape != tt.shape {
				t.Errorf("got result %#v, want a Summary of shape %q", got, tt.shape)
			}
			checkInvalidated(t, cfg, cf, tt.changed, slices.Concat(tt.immutable, tt.unchanged))
		})
	}
}

// checkInvalidated checks the one CreateInvalidation call cf got, if any
// key changed, or that it got none: for cfg's distribution, with a
// Quantity that counts its paths, which cover every changed key and none
// of the skipped ones.
func checkInvalidated(t *testing.T, cfg Config, cf *fakeCloudFront, changed, skipped []string) {
	t.Helper()
	if len(changed) == 0 {
		if n := cf.count(); n != 0 {
			t.Errorf("got %d CreateInvalidation calls, want none", n)
		}
		return
	}
	in, err := cf.only()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(in.DistributionId), "E2QWRUHEXAMPLE"; got != want {
		t.Errorf("got distribution %q, want %q", got, want)
	}
	paths := in.InvalidationBatch.Paths.Items
	if got, want := int(aws.ToInt32(in.InvalidationBatch.Paths.Quantity)), len(paths); got != want {
		t.Errorf("got Quantity %d, want %d", got, want)
	}
	for _, k := range changed {
		p, _ := cfg.Plan.ObjectPath(k)
		if !pathplan.Covers(paths, p) {
			t.Errorf("changed key %q not covered by %q", k, paths)
		}
	}
	for _, k := range skipped {
		p, _ := cfg.Plan.ObjectPath(k)
		if pathplan.Covers(paths, p) {
			t.Errorf("key %q covered by %q, want it skipped", k, paths)
		}
	}
}

// TestEventBridgeKeyReadings: an EventBridge key with '+' or '%' counts
// under both readings, decoded and as sent, until AWS documents whether
// EventBridge encodes keys as S3's notifications do; the invocation still
// counts one event.
func TestEventBridgeKeyReadings(t *testing.T) {
	tests := []struct {
		name, key string
		want      []string // the keys invalidated
	}{
		{"plain key, one reading", "static/css/site.css", []string{"static/css/site.css"}},
		{"'+': a space, or a plus sign", "static/img/hero+banner.png", []string{"static/img/hero banner.png", "static/img/hero+banner.png"}},
		{"an escape, or a literal '%'", "static/a%3Ab.css", []string{"static/a:b.css", "static/a%3Ab.css"}},
		{"an encoded plus sign", "static/a%2Bb.css", []string{"static/a+b.css", "static/a%2Bb.css"}},
		{"'%' that starts no escape: only as sent", "static/100%.css", []string{"static/100%.css"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, _ := json.Marshal(map[string]any{"version": "0", "id": "eb-1", "detail-type": "Object Created", "source": "aws.s3",
				"detail": map[string]any{"bucket": map[string]string{"name": "b"}, "object": map[string]string{"key": tt.key}}})
			cf := &fakeCloudFront{}
			cfg := testConfig(t, nil)
			res, err := testHandler(cfg, cf, &fakeS3{}, nil).Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if sum := res.(Summary); sum.Events != 1 || sum.KeysSeen != len(tt.want) {
				t.Errorf("got %d events, %d keys seen; want 1 event, %d keys", sum.Events, sum.KeysSeen, len(tt.want))
			}
			var want []string
			for _, k := range tt.want {
				p, _ := cfg.Plan.ObjectPath(k)
				want = append(want, p)
			}
			in, err := cf.only()
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range want {
				if !pathplan.Covers(in.InvalidationBatch.Paths.Items, p) {
					t.Errorf("object %q not covered by %q", p, in.InvalidationBatch.Paths.Items)
				}
			}
			if got := len(in.InvalidationBatch.Paths.Items); got != len(want) {
				t.Errorf("got paths %q, want %d (one per reading)", in.InvalidationBatch.Paths.Items, len(want))
			}
		})
	}
}

// TestHandleSameBatchSameReference: a batch delivered again asks for the
// same invalidation, so CloudFront returns the first instead of a second.
func TestHandleSameBatchSameReference(t *testing.T) {
	for _, name := range []string{"sqs-batch.json", "s3-put.json"} {
		t.Run(name, func(t *testing.T) {
			cf := &fakeCloudFront{}
			h := testHandler(testConfig(t, nil), cf, &fakeS3{}, nil)
			for range 2 {
				if _, err := h.Handle(context.Background(), fixture(t, name)); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := len(cf.calls), 2; got != want {
				t.Fatalf("got %d calls, want %d", got, want)
			}
			a, b := cf.calls[0].InvalidationBatch, cf.calls[1].InvalidationBatch
			if got, want := aws.ToString(b.CallerReference), aws.ToString(a.CallerReference); got != want {
				t.Errorf("got CallerReference %q on redelivery, want %q", got, want)
			}
			if got, want := b.Paths.Items, a.Paths.Items; !slices.Equal(got, want) {
				t.Errorf("got paths %q on redelivery, want %q", got, want)
			}
		})
	}
}

func TestHandleRetries(t *testing.T) {
	batch := fixture(t, "sqs-batch.json")
	all := sqsMessageIDs(t, batch)
	tests := []struct {
		name         string
		fail         func(int) error
		timeout      time.Duration
		wantAttempts int // 0: more than one, bounded by the deadline
		wantFailed   []string
	}{
		{name: "succeeds", wantAttempts: 1, wantFailed: []string{}},
		{name: "throttling then success", fail: failFirst(3, errThrottling), wantAttempts: 4, wantFailed: []string{}},
		{name: "too many in progress then success", fail: failFirst(2, errTooMany), wantAttempts: 3, wantFailed: []string{}},
		{name: "5xx then success", fail: failFirst(1, errServer), wantAttempts: 2, wantFailed: []string{}},
		{name: "mixed faults then success", fail: failFirst(5, errThrottling, errTooMany, errServer), wantAttempts: 6, wantFailed: []string{}},
		{name: "not retryable", fail: always(errDenied), wantAttempts: 1, wantFailed: all},
		{name: "throttled until the deadline", fail: always(errThrottling), timeout: 300 * time.Millisecond, wantFailed: all},
		{name: "too many until the deadline", fail: always(errTooMany), timeout: 300 * time.Millisecond, wantFailed: all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			cf := &fakeCloudFront{fail: tt.fail}
			h := testHandler(testConfig(t, nil), cf, &fakeS3{}, nil)
			got, err := h.Handle(ctx, batch)
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got, want := failures(t, got), tt.wantFailed; !slices.Equal(got, want) {
				t.Errorf("got failures %q, want %q", got, want)
			}
			n := cf.count()
			if tt.wantAttempts > 0 && n != tt.wantAttempts {
				t.Errorf("got %d CreateInvalidation calls, want %d", n, tt.wantAttempts)
			}
			if tt.wantAttempts == 0 && n < 2 {
				t.Errorf("got %d CreateInvalidation calls, want retries until the deadline", n)
			}
			refs := map[string]bool{}
			for _, c := range cf.calls {
				refs[aws.ToString(c.InvalidationBatch.CallerReference)] = true
			}
			if len(refs) != 1 {
				t.Errorf("got %d caller references across retries, want 1", len(refs))
			}
		})
	}
}

// TestHandleDirectFailure: a direct S3 event that cannot be invalidated
// fails the invocation, so Lambda's asynchronous retries take over.
func TestHandleDirectFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	h := testHandler(testConfig(t, nil), &fakeCloudFront{fail: always(errThrottling)}, &fakeS3{}, nil)
	got, err := h.Handle(ctx, fixture(t, "s3-put.json"))
	if err == nil {
		t.Fatalf("got result %#v and no error, want an error", got)
	}
	if apiErr, ok := errors.AsType[smithy.APIError](err); !ok || apiErr.ErrorCode() != "Throttling" {
		t.Errorf("got error %v, want it to wrap the Throttling error", err)
	}
}

func TestHandleUnrecognized(t *testing.T) {
	tests := []struct{ name, payload string }{
		{"not JSON", `{"Records":`},
		{"empty object", `{}`},
		{"other event source", `{"Records":[{"eventSource":"aws:sns"}]}`},
		{"mixed event sources", `{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:s3"}]}`},
		{"other test event", `{"Event":"s3:SomethingElse"}`},
		{"S3 event with bad key", `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"object":{"key":"a%zz"}}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cf := &fakeCloudFront{}
			h := testHandler(testConfig(t, nil), cf, &fakeS3{}, nil)
			if got, err := h.Handle(context.Background(), json.RawMessage(tt.payload)); err == nil {
				t.Errorf("got result %#v and no error, want an error", got)
			}
			if n := cf.count(); n != 0 {
				t.Errorf("got %d CreateInvalidation calls, want none", n)
			}
		})
	}
}

// sqsEvent builds an SQS event whose message i has id "m<i>" and body
// bodies[i].
func sqsEvent(tb testing.TB, bodies ...string) []byte {
	tb.Helper()
	var ev events.SQSEvent
	for i, b := range bodies {
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId: "m" + string(rune('0'+i)), Body: b, EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:djfront-invalidate",
		})
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// s3Body builds an S3 event with one record per event, each given as
// eventName, raw key, versionId, eTag and sequencer.
func s3Body(tb testing.TB, recs ...[5]string) string {
	tb.Helper()
	var ev events.S3Event
	for _, r := range recs {
		var rec events.S3EventRecord
		rec.EventSource, rec.EventName = "aws:s3", r[0]
		rec.S3.Bucket.Name = "djfront-static-123456789012"
		rec.S3.Object = events.S3Object{Key: r[1], VersionID: r[2], ETag: r[3], Sequencer: r[4]}
		ev.Records = append(ev.Records, rec)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return string(raw)
}

func TestHandleMalformedIsolation(t *testing.T) {
	good := s3Body(t, [5]string{"ObjectCreated:Put", "static/css/site.css", "v2", "e2", "0A"})
	tests := []struct {
		name string
		bad  string
	}{
		{"not JSON", "{"},
		{"plain text", "hello"},
		{"JSON but not S3", `{"Type":"Notification","Message":"x"}`},
		{"no records", `{"Records":[]}`},
		{"other source", `{"Records":[{"eventSource":"aws:dynamodb"}]}`},
		{"undecodable key", s3Body(t, [5]string{"ObjectCreated:Put", "static/%zz", "v1", "e1", "0B"})},
		{"empty key", s3Body(t, [5]string{"ObjectRemoved:Delete", "", "", "", "0C"})},
		{"bad event time", `{"Records":[{"eventSource":"aws:s3","eventTime":"yesterday","eventName":"ObjectCreated:Put","s3":{"object":{"key":"k"}}}]}`},
		{"SNS subscription confirmation", `{"Type":"SubscriptionConfirmation","MessageId":"x","Message":"You have chosen to subscribe","SubscribeURL":"https://sns.example/"}`},
		{"SNS message not S3", `{"Type":"Notification","MessageId":"x","Message":"hello"}`},
		{"SNS inside SNS", `{"Type":"Notification","Message":"{\"Type\":\"Notification\",\"Message\":\"{}\"}"}`},
		{"SNS with a bad key", `{"Type":"Notification","Message":` + strconv.Quote(s3Body(t, [5]string{"ObjectCreated:Put", "static/%zz", "v1", "e1", "0B"})) + `}`},
		{"EventBridge from another source", `{"version":"0","id":"x","detail-type":"Object Created","source":"aws.ec2","detail":{}}`},
		{"EventBridge without a key", `{"version":"0","id":"x","detail-type":"Object Created","source":"aws.s3","detail":{"bucket":{"name":"b"},"object":{}}}`},
		{"EventBridge detail not an object", `{"version":"0","id":"x","detail-type":"Object Deleted","source":"aws.s3","detail":[1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cf := &fakeCloudFront{}
			h := testHandler(testConfig(t, nil), cf, &fakeS3{}, nil)
			got, err := h.Handle(context.Background(), sqsEvent(t, good, tt.bad, good))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := failures(t, got), []string{"m1"}; !slices.Equal(got, want) {
				t.Errorf("got failures %q, want %q", got, want)
			}
			in, err := cf.only()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := in.InvalidationBatch.Paths.Items, []string{"/static/css/site.css"}; !slices.Equal(got, want) {
				t.Errorf("got paths %q, want %q", got, want)
			}
		})
	}
}

// TestHandleRefusedPathsIsolated: CloudFront refusing one message's path
// (InvalidArgument) must not fail the batch: the handler bisects, the good
// messages are invalidated, only the bad one is reported (issue 10, item
// 12).
func TestHandleRefusedPathsIsolated(t *testing.T) {
	put := func(key, seq string) string {
		return s3Body(t, [5]string{"ObjectCreated:Put", key, "", "e", seq})
	}
	good := []string{"static/a.css", "static/b.css", "static/c.css", "static/d.css"}
	bodies := []string{put(good[0], "01"), put("static/refused.css", "02"), put(good[1], "03"), put(good[2], "04"), put(good[3], "05")}
	tests := []struct {
		name       string
		refuse     string
		wantFailed []string
	}{
		{name: "one message refused", refuse: "refused", wantFailed: []string{"m1"}},
		{name: "nothing refused", wantFailed: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cf := &fakeCloudFront{refuse: tt.refuse}
			var log bytes.Buffer
			h := testHandler(testConfig(t, nil), cf, &fakeS3{}, &log)
			got, err := h.Handle(context.Background(), sqsEvent(t, bodies...))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := failures(t, got), tt.wantFailed; !slices.Equal(got, want) {
				t.Errorf("got failures %q, want %q", got, want)
			}
			var created []string
			refs := map[string]bool{}
			for _, c := range cf.calls {
				paths := c.InvalidationBatch.Paths.Items
				if !slices.ContainsFunc(paths, func(p string) bool { return tt.refuse != "" && strings.Contains(p, tt.refuse) }) {
					created = append(created, paths...)
				}
				refs[aws.ToString(c.InvalidationBatch.CallerReference)] = true
			}
			if len(refs) != len(cf.calls) {
				t.Errorf("got %d caller references for %d calls, want one each", len(refs), len(cf.calls))
			}
			for _, k := range good {
				if !pathplan.Covers(created, "/"+k) {
					t.Errorf("good key %q not covered by the invalidations created, %q", k, created)
				}
			}
			line := logLine(t, &log)
			if rejected, _ := line["rejected"].([]any); len(rejected) != len(tt.wantFailed) {
				t.Errorf("got rejected %v in the log, want %d", line["rejected"], len(tt.wantFailed))
			}
		})
	}
}

// appKey is the key TestHandleUnchanged's events change.
const appKey = "static/app.js"

// putApp is an upload of appKey as version v with etag; delApp a delete
// marker v on it. seq is the event's sequencer.
func putApp(v, etag, seq string) [5]string {
	return [5]string{"ObjectCreated:Put", appKey, v, etag, seq}
}

func delApp(v, seq string) [5]string {
	return [5]string{"ObjectRemoved:DeleteMarkerCreated", appKey, v, "", seq}
}

// unchangedTests are TestHandleUnchanged's cases: the events of one direct
// S3 event on appKey, the versions S3 lists (pageSize at a time) or the
// error it fails with, and whether the object is skipped as unchanged,
// after how many ListObjectVersions calls and lookup errors.
var unchangedTests = []struct {
	name          string
	events        [][5]string
	versions      []s3types.ObjectVersion
	pageSize      int
	s3err         error
	wantUnchanged bool
	wantLookups   int
	wantErrors    int
}{
	{
		name:          "same content as the previous version",
		events:        [][5]string{putApp("v2", "aaa", "02")},
		versions:      []s3types.ObjectVersion{version(appKey, "v2", "aaa", 0, true), version(appKey, "v1", "aaa", 1, false)},
		wantUnchanged: true, wantLookups: 1,
	},
	{
		name:        "content changed",
		events:      [][5]string{putApp("v2", "bbb", "02")},
		versions:    []s3types.ObjectVersion{version(appKey, "v2", "bbb", 0, true), version(appKey, "v1", "aaa", 1, false)},
		wantLookups: 1,
	},
	{
		name:        "new object, no previous version",
		events:      [][5]string{putApp("v1", "aaa", "01")},
		versions:    []s3types.ObjectVersion{version(appKey, "v1", "aaa", 0, true)},
		wantLookups: 1,
	},
	{
		name:        "version not listed",
		events:      [][5]string{putApp("v9", "aaa", "09")},
		versions:    []s3types.ObjectVersion{version(appKey, "v2", "aaa", 0, true), version(appKey, "v1", "aaa", 1, false)},
		wantLookups: 1,
	},
	{
		name:          "deleted and saved again by collectstatic, same content",
		events:        [][5]string{delApp("d1", "02"), putApp("v2", "aaa", "03")},
		versions:      []s3types.ObjectVersion{version(appKey, "v2", "aaa", 0, true), version(appKey, "v1", "aaa", 2, false)},
		wantUnchanged: true, wantLookups: 1,
	},
	{
		name:   "two uploads in the batch: compared with the content before both",
		events: [][5]string{putApp("v2", "bbb", "02"), putApp("v3", "bbb", "03")},
		versions: []s3types.ObjectVersion{
			version(appKey, "v3", "bbb", 0, true), version(appKey, "v2", "bbb", 1, false), version(appKey, "v1", "aaa", 2, false),
		},
		wantLookups: 1,
	},
	{
		name:   "changed and changed back in one batch: the middle version may be cached",
		events: [][5]string{putApp("v2", "bbb", "02"), putApp("v3", "aaa", "03")},
		versions: []s3types.ObjectVersion{
			version(appKey, "v3", "aaa", 0, true), version(appKey, "v2", "bbb", 1, false), version(appKey, "v1", "aaa", 2, false),
		},
		wantLookups: 1,
	},
	{
		name:   "a version between the batch's uploads that the batch did not see",
		events: [][5]string{putApp("v2", "aaa", "02"), putApp("v4", "aaa", "04")},
		versions: []s3types.ObjectVersion{
			version(appKey, "v4", "aaa", 0, true), version(appKey, "v3", "ccc", 1, false),
			version(appKey, "v2", "aaa", 2, false), version(appKey, "v1", "aaa", 3, false),
		},
		wantLookups: 1,
	},
	{
		name:   "two uploads in the batch, out of order, same content throughout",
		events: [][5]string{putApp("v3", "aaa", "03"), putApp("v2", "aaa", "02")},
		versions: []s3types.ObjectVersion{
			version(appKey, "v3", "aaa", 0, true), version(appKey, "v2", "aaa", 1, false), version(appKey, "v1", "aaa", 2, false),
		},
		wantUnchanged: true, wantLookups: 1,
	},
	{
		name:        "uploaded then deleted: the removal is the latest event",
		events:      [][5]string{putApp("v2", "aaa", "02"), delApp("d1", "03")},
		wantLookups: 1,
	},
	{
		name:        "removal sequencer shorter but later",
		events:      [][5]string{putApp("v2", "aaa", "0200"), delApp("d1", "03")},
		wantLookups: 1,
	},
	{
		// collectstatic's delete and re-upload fell into two
		// batches: the re-upload's batch compares the versions.
		name:          "deleted, and uploaded again since",
		events:        [][5]string{delApp("d1", "03")},
		versions:      []s3types.ObjectVersion{version(appKey, "v2", "aaa", 0, true), version(appKey, "v1", "aaa", 2, false)},
		wantUnchanged: true, wantLookups: 1,
	},
	{
		name:        "deleted and still deleted",
		events:      [][5]string{delApp("d1", "03")},
		versions:    []s3types.ObjectVersion{version(appKey, "v1", "aaa", 2, false)},
		wantLookups: 1,
	},
	{
		name:        "deleted, the lookup fails",
		events:      [][5]string{delApp("d1", "03")},
		s3err:       errors.New("AccessDenied"),
		wantLookups: 1, wantErrors: 1,
	},
	{
		name:   "unversioned bucket",
		events: [][5]string{putApp("", "aaa", "02")},
	},
	{
		name:   "versioning suspended",
		events: [][5]string{putApp("null", "aaa", "02")},
	},
	{
		name:        "lookup fails",
		events:      [][5]string{putApp("v2", "aaa", "02")},
		s3err:       errors.New("AccessDenied"),
		wantLookups: 1, wantErrors: 1,
	},
	{
		// S3 lists newest first; a listing that does not is a doubt.
		name:        "listed oldest first",
		events:      [][5]string{putApp("v2", "aaa", "02")},
		versions:    []s3types.ObjectVersion{version(appKey, "v1", "aaa", 1, false), version(appKey, "v2", "aaa", 0, true)},
		wantLookups: 1,
	},
	{
		// The latest version is a delete marker written after the
		// batch's upload: the next batch will see it.
		name:        "no listed version is the latest",
		events:      [][5]string{putApp("v2", "aaa", "02")},
		versions:    []s3types.ObjectVersion{version(appKey, "v2", "aaa", 0, false), version(appKey, "v1", "aaa", 1, false)},
		wantLookups: 1,
	},
	{
		// Issue 10, item 9: v1 was a multipart upload started before
		// v2's put and completed after it, so its LastModified is
		// older than v2's although S3 made it later. S3 lists v3, v1,
		// v2, v0; v3 replaced v1 ("bbb", which CloudFront may hold),
		// not v2.
		name:   "multipart upload: S3's order, not LastModified",
		events: [][5]string{putApp("v3", "aaa", "04")},
		versions: []s3types.ObjectVersion{
			version(appKey, "v3", "aaa", 0, true), version(appKey, "v1", "bbb", 3, false),
			version(appKey, "v2", "aaa", 2, false), version(appKey, "v0", "aaa", 4, false),
		},
		wantLookups: 1,
	},
	{
		// Issue 10, item 8: put A, put B (cached), DeleteObject
		// VersionId=B, put A again, all in one batch. The listing
		// shows A, A, A: only the removal tells that B was served.
		name: "a version removed for good in the batch",
		events: [][5]string{
			putApp("v1", "aaa", "02"), putApp("v2", "bbb", "03"),
			{"ObjectRemoved:Delete", appKey, "v2", "", "04"}, putApp("v3", "aaa", "05"),
		},
		versions: []s3types.ObjectVersion{
			version(appKey, "v3", "aaa", 0, true), version(appKey, "v1", "aaa", 2, false), version(appKey, "v0", "aaa", 3, false),
		},
	},
	{
		name: "a lifecycle expiration of a version in the batch",
		events: [][5]string{
			putApp("v1", "aaa", "02"), {"LifecycleExpiration:Delete", appKey, "v0", "", "03"}, putApp("v2", "aaa", "04"),
		},
		versions: []s3types.ObjectVersion{version(appKey, "v2", "aaa", 0, true), version(appKey, "v1", "aaa", 1, false)},
	},
	{
		name:   "history over several pages, longer keys with the same prefix",
		events: [][5]string{putApp("v2", "aaa", "02")},
		versions: []s3types.ObjectVersion{
			version(appKey, "v2", "aaa", 0, true), version(appKey, "v1", "aaa", 1, false),
			version(appKey+".map", "m2", "ccc", 0, true), version(appKey+".map", "m1", "ddd", 1, false),
		},
		pageSize:      1,
		wantUnchanged: true, wantLookups: 2,
	},
	{
		name:   "previous version is another appKey's",
		events: [][5]string{putApp("v1", "aaa", "02")},
		versions: []s3types.ObjectVersion{
			version(appKey, "v1", "aaa", 0, true), version(appKey+".map", "m1", "aaa", 1, true),
		},
		pageSize:    1,
		wantLookups: 2,
	},
}

// TestHandleUnchanged covers the versioned-bucket check: which objects are
// skipped as unchanged and which count as changed.
func TestHandleUnchanged(t *testing.T) {
	for _, tt := range unchangedTests {
		t.Run(tt.name, func(t *testing.T) {
			cf := &fakeCloudFront{}
			s3c := &fakeS3{versions: tt.versions, pageSize: tt.pageSize, err: tt.s3err}
			h := testHandler(testConfig(t, nil), cf, s3c, nil)
			raw := s3Body(t, tt.events...)
			got, err := h.Handle(context.Background(), json.RawMessage(raw))
			if err != nil {
				t.Fatal(err)
			}
			sum := got.(Summary)
			if got, want := sum.SkippedUnchanged == 1, tt.wantUnchanged; got != want {
				t.Errorf("got skipped unchanged %d, want unchanged %v", sum.SkippedUnchanged, want)
			}
			if got, want := cf.count() == 0, tt.wantUnchanged; got != want {
				t.Errorf("got %d CreateInvalidation calls, want unchanged %v", cf.count(), want)
			}
			if got, want := s3c.calls, tt.wantLookups; got != want {
				t.Errorf("got %d ListObjectVersions calls, want %d", got, want)
			}
			if got, want := len(sum.LookupErrors), tt.wantErrors; got != want {
				t.Errorf("got %d lookup errors, want %d", got, want)
			}
		})
	}
}

// TestHandleSkipsLookups: objects the planner drops are not looked up.
func TestHandleSkipsLookups(t *testing.T) {
	s3c := &fakeS3{}
	h := testHandler(testConfig(t, map[string]string{"ORIGIN_PATH": "/static"}), &fakeCloudFront{}, s3c, nil)
	raw := s3Body(t,
		[5]string{"ObjectCreated:Put", "static/admin/css/base.5af66c1b1797.css", "v1", "e", "01"},
		[5]string{"ObjectCreated:Put", "media/upload.png", "v1", "e", "02"},
	)
	got, err := h.Handle(context.Background(), json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	sum := got.(Summary)
	if s3c.calls != 0 {
		t.Errorf("got %d ListObjectVersions calls, want none", s3c.calls)
	}
	if got, want := [3]int{sum.KeysSeen, sum.SkippedImmutable, sum.SkippedOutside}, [3]int{2, 1, 1}; got != want {
		t.Errorf("got keys/immutable/outside %v, want %v", got, want)
	}
}

// logLine returns the one JSON log line in log.
func logLine(tb testing.TB, log *bytes.Buffer) map[string]any {
	tb.Helper()
	lines := bytes.Split(bytes.TrimSpace(log.Bytes()), []byte("\n"))
	if len(lines) != 1 {
		tb.Fatalf("got %d log lines, want 1:\n%s", len(lines), log.Bytes())
	}
	var got map[string]any
	if err := json.Unmarshal(lines[0], &got); err != nil {
		tb.Fatal(err)
	}
	return got
}

// lambdaContext returns a context carrying Lambda's request id, as the
// runtime client passes it.
func lambdaContext(id string) context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
}

// TestHandleLogLine: one JSON line per invocation with the fields the
// issue names, the duration in milliseconds and Lambda's request id.
func TestHandleLogLine(t *testing.T) {
	var log bytes.Buffer
	h := testHandler(testConfig(t, nil), &fakeCloudFront{}, &fakeS3{}, &log)
	if _, err := h.Handle(lambdaContext("8f5e2c1a-req"), fixture(t, "sqs-batch.json")); err != nil {
		t.Fatal(err)
	}
	got := logLine(t, &log)
	want := map[string]any{
		"keys_seen":          6.0,
		"skipped_immutable":  1.0,
		"skipped_unchanged":  0.0,
		"paths_planned":      5.0,
		"estimated_cost_usd": 5 * pathplan.PricePerPath,
		"request_id":         "8f5e2c1a-req",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("got %s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["duration_ms"].(float64); !ok {
		t.Errorf("got duration_ms = %v, want an integer", got["duration_ms"])
	}
	invs, _ := got["invalidations"].([]any)
	if len(invs) != 1 || invs[0].(map[string]any)["id"] != "I1EXAMPLE" {
		t.Errorf("got invalidations %v, want the one with id I1EXAMPLE", got["invalidations"])
	}
}

// TestHandleLogLineParseFailure: a payload that cannot be read logs the
// error, its errorType, the duration and the request id, and no counts
// that would all be zero (issue 12).
func TestHandleLogLineParseFailure(t *testing.T) {
	var log bytes.Buffer
	h := testHandler(testConfig(t, nil), &fakeCloudFront{}, &fakeS3{}, &log)
	_, err := h.Handle(lambdaContext("req-1"), json.RawMessage(`{"Records":`))
	if _, ok := errors.AsType[*UnrecognizedEventError](err); !ok {
		t.Fatalf("got error %T %v, want an *UnrecognizedEventError", err, err)
	}
	got := logLine(t, &log)
	for _, k := range []string{"shape", "messages", "keys_seen", "paths", "paths_planned", "estimated_cost_usd"} {
		if v, ok := got[k]; ok {
			t.Errorf("got %s = %v on a parse failure, want no such field", k, v)
		}
	}
	if got["error_type"] != "UnrecognizedEventError" || got["request_id"] != "req-1" || got["error"] == nil {
		t.Errorf("got error_type %v, request_id %v, error %v; want UnrecognizedEventError, req-1 and the message",
			got["error_type"], got["request_id"], got["error"])
	}
}

// TestHandleLookupErrorsLogged: a failed version lookup is logged with its
// message, not only counted (issue 12).
func TestHandleLookupErrorsLogged(t *testing.T) {
	var log bytes.Buffer
	s3c := &fakeS3{err: errors.New("AccessDenied: not allowed to list versions")}
	h := testHandler(testConfig(t, nil), &fakeCloudFront{}, s3c, &log)
	raw := s3Body(t, [5]string{"ObjectCreated:Put", "static/app.js", "v2", "e", "02"})
	if _, err := h.Handle(context.Background(), json.RawMessage(raw)); err != nil {
		t.Fatal(err)
	}
	got := logLine(t, &log)
	msgs, _ := got["lookup_error_messages"].([]any)
	if got["lookup_errors"] != 1.0 || len(msgs) != 1 || !strings.Contains(msgs[0].(string), "not allowed to list versions") {
		t.Errorf("got lookup_errors %v, messages %v; want 1 and the S3 error", got["lookup_errors"], got["lookup_error_messages"])
	}
}

// TestHandleErrorTypes: errors returned to Lambda carry a named type, which
// Lambda reports as errorType.
func TestHandleErrorTypes(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		cf      *fakeCloudFront
		want    string
	}{
		{"unrecognized", []byte(`{}`), &fakeCloudFront{}, "UnrecognizedEventError"},
		{"invalidation refused", fixture(t, "s3-put.json"), &fakeCloudFront{fail: always(errDenied)}, "InvalidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := testHandler(testConfig(t, nil), tt.cf, &fakeS3{}, nil)
			_, err := h.Handle(context.Background(), tt.payload)
			if err == nil {
				t.Fatal("got no error")
			}
			if got := errorType(err); got != tt.want {
				t.Errorf("got errorType %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHandleRefusedMessageKeepsItsGoodPaths: a message whose keys plan to a
// good and a refused path is reported failed, but its good path is still
// invalidated, not lost with it (redeliveries ask for the same
// invalidation again, by the same caller reference).
func TestHandleRefusedMessageKeepsItsGoodPaths(t *testing.T) {
	mixed := s3Body(t,
		[5]string{"ObjectCreated:Put", "static/good.css", "", "e", "01"},
		[5]string{"ObjectCreated:Put", "static/refused.css", "", "e", "02"},
		[5]string{"ObjectCreated:Put", "static/also-good.js", "", "e", "03"})
	cf := &fakeCloudFront{refuse: "refused"}
	var log bytes.Buffer
	h := testHandler(testConfig(t, nil), cf, &fakeS3{}, &log)
	got, err := h.Handle(context.Background(), sqsEvent(t, mixed))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := failures(t, got), []string{"m0"}; !slices.Equal(got, want) {
		t.Errorf("got failures %q, want %q", got, want)
	}
	var created []string
	for _, c := range cf.calls {
		paths := c.InvalidationBatch.Paths.Items
		if !slices.ContainsFunc(paths, func(p string) bool { return strings.Contains(p, "refused") }) {
			created = append(created, paths...)
		}
	}
	for _, k := range []string{"static/good.css", "static/also-good.js"} {
		if !pathplan.Covers(created, "/"+k) {
			t.Errorf("good key %q of the refused message not covered by the invalidations created, %q", k, created)
		}
	}
	if line := logLine(t, &log); line["failed"] != 1.0 {
		t.Errorf("got failed %v in the log, want 1", line["failed"])
	}
}

// TestHandleFailuresDistinct: a message delivered twice in one batch (same
// message id, as SQS's at-least-once delivery and a batching window allow)
// is reported failed once.
func TestHandleFailuresDistinct(t *testing.T) {
	body := s3Body(t, [5]string{"ObjectCreated:Put", "static/a.css", "", "e", "01"})
	var ev events.SQSEvent
	for _, id := range []string{"dup", "other", "dup"} {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs"})
	}
	ev.Records = append(ev.Records, events.SQSMessage{MessageId: "bad", Body: "{", EventSource: "aws:sqs"},
		events.SQSMessage{MessageId: "bad", Body: "{", EventSource: "aws:sqs"})
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	h := testHandler(testConfig(t, nil), &fakeCloudFront{fail: always(errDenied)}, &fakeS3{}, &log)
	got, err := h.Handle(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := failures(t, got), []string{"bad", "dup", "other"}; !slices.Equal(got, want) {
		t.Errorf("got failures %q, want %q", got, want)
	}
	if line := logLine(t, &log); line["failed"] != 3.0 {
		t.Errorf("got failed %v in the log, want 3", line["failed"])
	}
}

// TestHandleLogErrorType: the log line of an invocation whose invalidation
// failed names the errorType Lambda reports for it (InvalidationError), not
// the type of the wrapped error underneath; an SQS batch, which answers
// with its failures instead of an error, logs the same type.
func TestHandleLogErrorType(t *testing.T) {
	for _, fixtureName := range []string{"s3-put.json", "sqs-batch.json"} {
		t.Run(fixtureName, func(t *testing.T) {
			var log bytes.Buffer
			h := testHandler(testConfig(t, nil), &fakeCloudFront{fail: always(errDenied)}, &fakeS3{}, &log)
			_, err := h.Handle(lambdaContext("req-2"), fixture(t, fixtureName))
			if err != nil && errorType(err) != "InvalidationError" {
				t.Fatalf("got error %T, want an *InvalidationError", err)
			}
			if got := logLine(t, &log)["error_type"]; got != "InvalidationError" {
				t.Errorf("got error_type %v in the log, want InvalidationError", got)
			}
		})
	}
}

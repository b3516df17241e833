package invalidate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/pathplan"
)

// snsCall makes one call to moto's SNS Query API, signed as the SDK would
// (the module has no SNS client), and returns the XML answer.
func snsCall(t *testing.T, st *stack, params url.Values) []byte {
	t.Helper()
	params.Set("Version", "2010-03-31")
	body := params.Encode()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, st.moto.Endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	creds, err := st.moto.Config.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "sns", motoserver.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("sns %s: %v", params.Get("Action"), err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sns %s: %s: %s", params.Get("Action"), resp.Status, out)
	}
	return out
}

// snsToQueue makes the bucket notify an SNS topic that delivers to the
// stack's queue, with raw message delivery or SNS's JSON envelope, in place
// of the bucket's direct S3 → SQS notification. It drains the
// s3:TestEvent the new configuration sends.
func (st *stack) snsToQueue(t *testing.T, raw bool) {
	t.Helper()
	var topic struct {
		Arn string `xml:"CreateTopicResult>TopicArn"`
	}
	if err := xml.Unmarshal(snsCall(t, st, url.Values{"Action": {"CreateTopic"}, "Name": {"djfront-static-changes"}}), &topic); err != nil {
		t.Fatal(err)
	}
	var sub struct {
		Arn string `xml:"SubscribeResult>SubscriptionArn"`
	}
	if err := xml.Unmarshal(snsCall(t, st, url.Values{"Action": {"Subscribe"}, "TopicArn": {topic.Arn},
		"Protocol": {"sqs"}, "Endpoint": {st.queue.arn}}), &sub); err != nil {
		t.Fatal(err)
	}
	snsCall(t, st, url.Values{"Action": {"SetSubscriptionAttributes"}, "SubscriptionArn": {sub.Arn},
		"AttributeName": {"RawMessageDelivery"}, "AttributeValue": {fmt.Sprint(raw)}})
	must(t, "notify the topic", func() error {
		_, err := st.s3.PutBucketNotificationConfiguration(t.Context(), &s3.PutBucketNotificationConfigurationInput{
			Bucket: aws.String(st.bucket),
			NotificationConfiguration: &s3types.NotificationConfiguration{TopicConfigurations: []s3types.TopicConfiguration{{
				Id:       aws.String("djfront-static-changes"),
				TopicArn: aws.String(topic.Arn),
				Events:   []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
			}}},
		})
		return err
	})
	st.deliver(t) // the s3:TestEvent, if moto sends one
}

// TestSNSEnvelopes: S3 → SNS → SQS → the function, with SNS's JSON
// envelope and with raw message delivery, on moto's own SNS. Changed keys
// are invalidated, a re-upload of the same content is skipped, a removal
// is invalidated (issue 10, item 12).
func TestSNSEnvelopes(t *testing.T) {
	testenv.Integration(t)
	for _, raw := range []bool{false, true} {
		t.Run(fmt.Sprintf("raw=%v", raw), func(t *testing.T) {
			st := newStack(t, versionsStack)
			st.snsToQueue(t, raw)
			const key = "static/site/menu.js"

			st.put(t, key, "menu()")
			invs, batches := st.deliver(t)
			if !pathplan.Covers(allPaths(invs), objectPath(key)) {
				t.Errorf("upload: got paths %q, want %s covered", allPaths(invs), objectPath(key))
			}
			if raw {
				checkBody(t, batches[0].Payload, `"Records"`)
			} else {
				checkBody(t, batches[0].Payload, `"TopicArn"`)
			}

			st.put(t, key, "menu()")
			if invs, _ := st.deliver(t); len(invs) != 0 {
				t.Errorf("same content again: got invalidations %+v, want none", invs)
			}

			st.deleteObject(t, key, "")
			if invs, _ := st.deliver(t); !pathplan.Covers(allPaths(invs), objectPath(key)) {
				t.Errorf("removal: got paths %q, want %s covered", allPaths(invs), objectPath(key))
			}
		})
	}
}

// checkBody fails t unless the first message body of an SQS event
// contains want.
func checkBody(t *testing.T, payload []byte, want string) {
	t.Helper()
	var ev struct {
		Records []struct {
			Body string `json:"body"`
		}
	}
	if err := json.Unmarshal(payload, &ev); err != nil || len(ev.Records) == 0 {
		t.Fatalf("SQS event %s: %v", payload, err)
	}
	if !strings.Contains(ev.Records[0].Body, want) {
		t.Errorf("got body %.200s, want it to contain %s", ev.Records[0].Body, want)
	}
}

// eventBridgeEvent returns the EventBridge event S3 sends for an object
// (AWS's shape, https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html).
// moto's own EventBridge events differ (an eTag field, a number for time, no
// deletion-type), so the test sends AWS's shape to the queue itself, as an
// EventBridge rule with an SQS target would.
func eventBridgeEvent(bucket, detailType, key, version, etag, deletion string, seq int) string {
	object := map[string]any{"key": url.QueryEscape(key), "version-id": version, "sequencer": fmt.Sprintf("%018X", seq)}
	if etag != "" {
		object["etag"], object["size"] = strings.Trim(etag, `"`), 10
	}
	detail := map[string]any{"version": "0", "bucket": map[string]string{"name": bucket}, "object": object,
		"request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012", "source-ip-address": "203.0.113.10", "reason": "PutObject"}
	if deletion != "" {
		detail["deletion-type"], detail["reason"] = deletion, "DeleteObject"
	}
	b, _ := json.Marshal(map[string]any{"version": "0", "id": fmt.Sprintf("eb-%d", seq), "detail-type": detailType,
		"source": "aws.s3", "account": "123456789012", "time": time.Now().UTC().Format(time.RFC3339),
		"region": motoserver.Region, "resources": []string{"arn:aws:s3:::" + bucket}, "detail": detail})
	return string(b)
}

// TestEventBridgeViaSQS: EventBridge Object Created / Object Deleted events
// for real versions of the moto bucket, delivered through the queue. The
// version check works on them as on S3's own notifications. The key holds
// '+' once encoded, so it also counts as sent (an EventBridge key may be
// raw): that reading names no object of the bucket and is invalidated each
// time, one path, beside the decoded one's verdict.
func TestEventBridgeViaSQS(t *testing.T) {
	testenv.Integration(t)
	st := newStack(t, versionsStack)
	// Only EventBridge events reach the queue in this test.
	must(t, "stop S3 → SQS notifications", func() error {
		_, err := st.s3.PutBucketNotificationConfiguration(t.Context(), &s3.PutBucketNotificationConfigurationInput{
			Bucket: aws.String(st.bucket), NotificationConfiguration: &s3types.NotificationConfiguration{},
		})
		return err
	})
	st.deliver(t)
	const key = "static/site/team photo.png"
	send := func(bodies ...string) {
		t.Helper()
		for _, b := range bodies {
			must(t, "send", func() error {
				_, err := st.sqs.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(st.queue.url), MessageBody: aws.String(b)})
				return err
			})
		}
	}
	head := func(version string) string {
		t.Helper()
		out, err := st.s3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key), VersionId: aws.String(version)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ETag)
	}

	v1 := st.put(t, key, "a picture")
	send(eventBridgeEvent(st.bucket, "Object Created", key, v1, head(v1), "", 1))
	if invs, _ := st.deliver(t); !pathplan.Covers(allPaths(invs), objectPath(key)) {
		t.Errorf("first upload: got paths %q, want %s covered", allPaths(invs), objectPath(key))
	}

	v2 := st.put(t, key, "a picture")
	send(eventBridgeEvent(st.bucket, "Object Created", key, v2, head(v2), "", 2))
	asSent := objectPath(url.QueryEscape(key)) // the reading that names no object
	if invs, _ := st.deliver(t); len(allPaths(invs)) != 1 || !pathplan.Covers(allPaths(invs), asSent) {
		t.Errorf("same content again: got invalidations %+v, want only the key as sent (%s), not the unchanged object",
			invs, url.QueryEscape(key))
	}

	marker := st.deleteObject(t, key, "")
	send(eventBridgeEvent(st.bucket, "Object Deleted", key, marker, "", "Delete Marker Created", 3),
		eventBridgeEvent(st.bucket, "Object Tags Added", "static/other.css", "v", "", "", 4))
	if invs, _ := st.deliver(t); !pathplan.Covers(allPaths(invs), objectPath(key)) {
		t.Errorf("removal: got paths %q, want %s covered", allPaths(invs), objectPath(key))
	}
}

package invalidate_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/djfront/djfront/internal/invalidation"
	"github.com/djfront/djfront/internal/lambdasqs"
	"github.com/djfront/djfront/internal/motoserver"
	"github.com/djfront/djfront/internal/testenv"
)

// stack is the deployed shape of the invalidate path on moto: a versioned
// bucket notifying an SQS queue with a dead-letter queue, a CloudFront
// distribution, and the built function fed by an SQS poller.
type stack struct {
	moto   *testenv.Moto
	s3     *s3.Client
	sqs    *sqs.Client
	cf     *cloudfront.Client
	bucket string
	distID string
	queue  queue
	dlq    queue
	poller *lambdasqs.Poller
}

type queue struct{ url, arn string }

// stackOptions shape the queue and the function.
type stackOptions struct {
	visibility      time.Duration // the queue's visibility timeout
	maxReceiveCount int           // before a message moves to the DLQ
	timeout         time.Duration // the function's timeout
	batchSize       int           // messages per invocation
	// cloudFrontEndpoint, if set, is the function's
	// AWS_ENDPOINT_URL_CLOUDFRONT (a fault-injecting proxy).
	cloudFrontEndpoint func(moto string) string
}

const bucketName = "djfront-static-e2e"

// newStack builds the stack on a fresh moto server.
func newStack(tb testing.TB, o stackOptions) *stack {
	tb.Helper()
	m := testenv.StartMoto(tb)
	ctx := tb.Context()
	st := &stack{moto: m, s3: m.S3(), sqs: m.SQS(), cf: m.CloudFront(), bucket: bucketName}

	must(tb, "create bucket", func() error {
		_, err := st.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(st.bucket)})
		return err
	})
	must(tb, "enable versioning", func() error {
		_, err := st.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(st.bucket),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
		})
		return err
	})
	st.dlq = st.createQueue(tb, "djfront-invalidate-dlq", nil)
	redrive, _ := json.Marshal(map[string]string{
		"deadLetterTargetArn": st.dlq.arn,
		"maxReceiveCount":     fmt.Sprint(o.maxReceiveCount),
	})
	st.queue = st.createQueue(tb, "djfront-invalidate", map[string]string{
		"VisibilityTimeout": fmt.Sprint(int(o.visibility.Seconds())),
		"RedrivePolicy":     string(redrive),
	})
	must(tb, "configure notifications", func() error {
		_, err := st.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
			Bucket: aws.String(st.bucket),
			NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
				Id:       aws.String("djfront-static-changes"),
				QueueArn: aws.String(st.queue.arn),
				Events:   []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"},
			}}},
		})
		return err
	})
	must(tb, "create distribution", func() error {
		out, err := st.cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
			CallerReference: aws.String("djfront-e2e"),
			Comment:         aws.String("djfront invalidate end-to-end test"),
			Enabled:         aws.Bool(true),
			Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
				Id:             aws.String("static"),
				DomainName:     aws.String(st.bucket + ".s3.us-east-1.amazonaws.com"),
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			}}},
			DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
				TargetOriginId:       aws.String("static"),
				ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
				CachePolicyId:        aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"), // CachingOptimized
			},
		}})
		if err == nil {
			st.distID = aws.ToString(out.Distribution.Id)
		}
		return err
	})

	env := append(m.Env(), "DISTRIBUTION_ID="+st.distID)
	if o.cloudFrontEndpoint != nil {
		env = append(env, "AWS_ENDPOINT_URL_CLOUDFRONT="+o.cloudFrontEndpoint(m.Endpoint))
	}
	fn := testenv.StartFunction(tb, testenv.BuildBootstrap(tb, "./functions/invalidate"), env, o.timeout)
	st.poller = &lambdasqs.Poller{
		Client: st.sqs, QueueURL: st.queue.url, QueueARN: st.queue.arn, Region: motoserver.Region,
		Function: fn, BatchSize: o.batchSize,
	}

	// Configuring the notification sent an s3:TestEvent: acknowledged,
	// nothing invalidated.
	batches, err := st.poller.Drain(tb.Context(), 20)
	if err != nil {
		tb.Fatal(err)
	}
	if got := countMessages(batches); got != 1 {
		tb.Fatalf("got %d messages after configuring notifications, want the one s3:TestEvent", got)
	}
	if f := failedMessages(batches); len(f) != 0 {
		tb.Fatalf("s3:TestEvent failed: %q", f)
	}
	if got := st.invalidations(tb); len(got) != 0 {
		tb.Fatalf("got %d invalidations for the s3:TestEvent, want none", len(got))
	}
	return st
}

func (st *stack) createQueue(tb testing.TB, name string, attrs map[string]string) queue {
	tb.Helper()
	var q queue
	must(tb, "create queue "+name, func() error {
		out, err := st.sqs.CreateQueue(tb.Context(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			return err
		}
		q.url = aws.ToString(out.QueueUrl)
		a, err := st.sqs.GetQueueAttributes(tb.Context(), &sqs.GetQueueAttributesInput{
			QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
		})
		if err != nil {
			return err
		}
		q.arn = a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
		return nil
	})
	return q
}

// recorded is an invalidation as moto recorded it.
type recorded struct {
	id, ref string
	paths   []string
}

// invalidations returns the distribution's invalidations in the order
// moto lists them.
func (st *stack) invalidations(tb testing.TB) []recorded {
	tb.Helper()
	ctx := tb.Context()
	list, err := st.cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(st.distID)})
	if err != nil {
		tb.Fatalf("list invalidations: %v", err)
	}
	var out []recorded
	for _, s := range list.InvalidationList.Items {
		inv, err := st.cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(st.distID), Id: s.Id})
		if err != nil {
			tb.Fatalf("get invalidation %s: %v", aws.ToString(s.Id), err)
		}
		b := inv.Invalidation.InvalidationBatch
		out = append(out, recorded{id: aws.ToString(s.Id), ref: aws.ToString(b.CallerReference), paths: b.Paths.Items})
	}
	return out
}

// since returns the invalidations of now that are not in before.
func since(before, now []recorded) []recorded {
	return slices.DeleteFunc(slices.Clone(now), func(r recorded) bool {
		return slices.ContainsFunc(before, func(b recorded) bool { return b.id == r.id })
	})
}

// keys returns the bucket's current keys under prefix.
func (st *stack) keys(tb testing.TB, prefix string) []string {
	tb.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(st.s3, &s3.ListObjectsV2Input{Bucket: aws.String(st.bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(tb.Context())
		if err != nil {
			tb.Fatalf("list %s: %v", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// dlqKeys returns the decoded object keys of the S3 events in the DLQ.
func (st *stack) dlqKeys(tb testing.TB) []string {
	tb.Helper()
	var keys []string
	for {
		out, err := st.sqs.ReceiveMessage(tb.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(st.dlq.url), MaxNumberOfMessages: 10, VisibilityTimeout: 60,
		})
		if err != nil {
			tb.Fatalf("receive from the DLQ: %v", err)
		}
		if len(out.Messages) == 0 {
			return keys
		}
		for _, m := range out.Messages {
			var ev events.S3Event
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				tb.Fatalf("DLQ message %s: %v", aws.ToString(m.MessageId), err)
			}
			for _, r := range ev.Records {
				k, err := url.QueryUnescape(r.S3.Object.Key)
				if err != nil {
					tb.Fatal(err)
				}
				keys = append(keys, k)
			}
		}
	}
}

// immutable is the function's default IMMUTABLE_PATTERN.
var immutable = regexp.MustCompile(invalidation.DefaultImmutablePattern)

// objectPath is the CloudFront path of key on a distribution without an
// origin path.
func objectPath(key string) string { return "/" + key }

// allPaths returns the paths of invs.
func allPaths(invs []recorded) []string {
	var paths []string
	for _, inv := range invs {
		paths = append(paths, inv.paths...)
	}
	return paths
}

func countMessages(batches []*lambdasqs.Batch) int {
	n := 0
	for _, b := range batches {
		n += len(b.IDs)
	}
	return n
}

// failedMessages returns the ids of the messages reported failed.
func failedMessages(batches []*lambdasqs.Batch) []string {
	var ids []string
	for _, b := range batches {
		ids = append(ids, b.Failed...)
	}
	return ids
}

func must(tb testing.TB, what string, f func() error) {
	tb.Helper()
	if err := f(); err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

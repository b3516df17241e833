package invalidate_test

import (
	"encoding/json"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/djfront/djfront/internal/local/lambdasqs"
	"github.com/djfront/djfront/internal/local/motostack"
	"github.com/djfront/djfront/internal/local/samlocal"
	"github.com/djfront/djfront/internal/local/testenv"
	"github.com/djfront/djfront/internal/pathplan"
)

// stack is the deployed shape of the invalidate path on moto: a versioned
// bucket notifying an SQS queue with a dead-letter queue, a CloudFront
// distribution, and the built function fed by an SQS poller.
type stack struct {
	moto   *testenv.Moto
	aws    *motostack.Stack
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

// newStack builds the stack on a fresh moto server: template.yaml's
// resources (motostack), with the queue timings of o.
func newStack(tb testing.TB, o stackOptions) *stack {
	tb.Helper()
	m := testenv.StartMoto(tb)
	tpl, err := samlocal.ReadTemplate(filepath.Join(testenv.RepoRoot(tb), "template.yaml"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := motostack.Create(tb.Context(), tpl, m.Config, motostack.Options{
		Name: "e2e", VisibilityTimeout: o.visibility, MaxReceiveCount: o.maxReceiveCount,
	})
	if err != nil {
		tb.Fatal(err)
	}
	st := &stack{
		moto: m, aws: res, s3: res.S3, sqs: res.SQS, cf: res.CloudFront, bucket: res.Bucket, distID: res.DistributionID,
		queue: queue{res.Queue.URL, res.Queue.ARN}, dlq: queue{res.DeadLetterQueue.URL, res.DeadLetterQueue.ARN},
	}

	env := append(m.Env(), "DISTRIBUTION_ID="+st.distID)
	if o.cloudFrontEndpoint != nil {
		env = append(env, "AWS_ENDPOINT_URL_CLOUDFRONT="+o.cloudFrontEndpoint(m.Endpoint))
	}
	fn := testenv.StartFunction(tb, testenv.BuildBootstrap(tb, "./functions/invalidate"), env, o.timeout)
	batchSize := o.batchSize
	if batchSize == 0 {
		batchSize = 10 // lambdasqs.Poller's own default, not the template's 1000
	}
	st.poller = res.Poller(fn, batchSize)

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

// recorded is an invalidation as moto recorded it.
type recorded struct {
	id, ref string
	paths   []string
}

// invalidations returns the distribution's invalidations, oldest first.
func (st *stack) invalidations(tb testing.TB) []recorded {
	tb.Helper()
	invs, err := st.aws.Invalidations(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	var out []recorded
	for _, inv := range invs {
		out = append(out, recorded{id: inv.ID, ref: inv.CallerReference, paths: inv.Paths})
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
var immutable = regexp.MustCompile(pathplan.DefaultImmutablePattern)

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

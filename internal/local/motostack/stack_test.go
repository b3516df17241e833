package motostack_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djfront/djfront/internal/local/motostack"
	"github.com/djfront/djfront/internal/local/samlocal"
	"github.com/djfront/djfront/internal/local/testenv"
)

func readTemplate(t *testing.T, path string) *samlocal.Template {
	t.Helper()
	tpl, err := samlocal.ReadTemplate(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// TestCreate builds the project's template in moto and reads back what
// deploys: the names, the queue attributes, the notifications and the
// distribution's behaviours.
func TestCreate(t *testing.T) {
	testenv.Integration(t)
	m := testenv.StartMoto(t)
	tpl := readTemplate(t, filepath.Join(testenv.RepoRoot(t), "template.yaml"))
	st, err := motostack.Create(t.Context(), tpl, m.Config, motostack.Options{Name: "test", VisibilityTimeout: 7 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	for _, c := range []struct{ what, got, want string }{
		{"bucket", st.Bucket, "djfront-assets-test"},
		{"asset prefixes", strings.Join(st.AssetPrefixes, ","), "static,media"},
		{"batch size", strconv.Itoa(st.BatchSize), "1000"},
		{"batching window", st.BatchingWindow.String(), "30s"},
		{"max receive count", strconv.Itoa(st.MaxReceiveCount), "5"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}

	v, err := st.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(st.Bucket)})
	if err != nil || v.Status != "Enabled" {
		t.Errorf("versioning = %v, %v; want Enabled", v, err)
	}
	for _, c := range []struct {
		what string
		read func(*testing.T, *motostack.Stack) []string
		want []string
	}{
		{"notifications", notifications, []string{
			"s3:ObjectCreated:* prefix=media/", "s3:ObjectCreated:* prefix=static/",
			"s3:ObjectRemoved:* prefix=media/", "s3:ObjectRemoved:* prefix=static/",
		}},
		{"cache behaviours", cacheBehaviors, []string{"static/* → Assets", "media/* → Assets"}},
	} {
		if got := c.read(t, st); !slices.Equal(got, c.want) {
			t.Errorf("%s %q, want %q", c.what, got, c.want)
		}
	}
	checkQueues(t, st)
	if invs, err := st.Invalidations(ctx); err != nil || len(invs) != 0 {
		t.Errorf("Invalidations = %v, %v; want none yet", invs, err)
	}
}

// notifications returns the bucket's notification rules, sorted, as
// "EVENT prefix=VALUE", failing t for a rule to another queue.
func notifications(t *testing.T, st *motostack.Stack) []string {
	t.Helper()
	n, err := st.S3.GetBucketNotificationConfiguration(t.Context(), &s3.GetBucketNotificationConfigurationInput{Bucket: aws.String(st.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, q := range n.QueueConfigurations {
		rule := string(q.Events[0])
		for _, f := range q.Filter.Key.FilterRules {
			rule += " " + strings.ToLower(string(f.Name)) + "=" + aws.ToString(f.Value)
		}
		if aws.ToString(q.QueueArn) != st.Queue.ARN {
			t.Errorf("notification %s goes to %s, want the queue %s", rule, aws.ToString(q.QueueArn), st.Queue.ARN)
		}
		rules = append(rules, rule)
	}
	slices.Sort(rules)
	return rules
}

// cacheBehaviors returns the distribution's cache behaviours as
// "PATTERN → ORIGIN".
func cacheBehaviors(t *testing.T, st *motostack.Stack) []string {
	t.Helper()
	d, err := st.CloudFront.GetDistribution(t.Context(), &cloudfront.GetDistributionInput{Id: aws.String(st.DistributionID)})
	if err != nil {
		t.Fatal(err)
	}
	var behaviors []string
	for _, b := range d.Distribution.DistributionConfig.CacheBehaviors.Items {
		behaviors = append(behaviors, aws.ToString(b.PathPattern)+" → "+aws.ToString(b.TargetOriginId))
	}
	return behaviors
}

// checkQueues checks the queues' attributes: the template's, the redrive
// policy, and the visibility timeout the test asked for.
func checkQueues(t *testing.T, st *motostack.Stack) {
	t.Helper()
	for _, q := range []struct {
		name  string
		queue motostack.Queue
		want  map[string]string
	}{
		{"queue", st.Queue, map[string]string{"MessageRetentionPeriod": "345600", "VisibilityTimeout": "7",
			"RedrivePolicy": `{"deadLetterTargetArn":"` + st.DeadLetterQueue.ARN + `","maxReceiveCount":5}`}},
		{"dead-letter queue", st.DeadLetterQueue, map[string]string{"MessageRetentionPeriod": "1209600"}},
	} {
		a, err := st.SQS.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(q.queue.URL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range q.want {
			if got := strings.ReplaceAll(a.Attributes[k], " ", ""); got != want {
				t.Errorf("%s %s = %q, want %q", q.name, k, got, want)
			}
		}
	}
}

// TestCreateRefusesWhatItDoesNotBuild: a queue property the package neither
// builds nor knowingly skips stops the build, naming it.
func TestCreateRefusesWhatItDoesNotBuild(t *testing.T) {
	testenv.Integration(t)
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(raw), "      MessageRetentionPeriod: 1209600\n", "      MessageRetentionPeriod: 1209600\n      FifoQueue: true\n", 1)
	if changed == string(raw) {
		t.Fatal("the dead-letter queue's MessageRetentionPeriod line is not in template.yaml: update the test")
	}
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	m := testenv.StartMoto(t)
	_, err = motostack.Create(t.Context(), readTemplate(t, path), m.Config, motostack.Options{})
	if want := "InvalidationDeadLetterQueue: property FifoQueue is not built locally"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Create error = %v, want %q", err, want)
	}
}

package motostack

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djfront/djfront/internal/local/samlocal"
)

// bucketSkipped are the bucket properties a local stack leaves out: access
// and encryption settings nothing local observes, and lifecycle rules that
// act after days.
var bucketSkipped = []string{"PublicAccessBlockConfiguration", "OwnershipControls", "BucketEncryption", "LifecycleConfiguration"}

// queueAttributes are the queue properties that are SQS attributes of the
// same name; queueSkipped those a local stack leaves out (encryption at
// rest, which nothing local observes).
var (
	queueAttributes = []string{"DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout"}
	queueSkipped    = []string{"SqsManagedSseEnabled"}
)

// createBucket creates the bucket with its versioning.
func (s *Stack) createBucket(ctx context.Context, props map[string]any, stackName string) error {
	if err := known(bucketID, props, append([]string{"BucketName", "VersioningConfiguration", "NotificationConfiguration"}, bucketSkipped...)); err != nil {
		return err
	}
	s.Bucket = resourceName(props["BucketName"], stackName, "assets")
	if _, err := s.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(s.Bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", s.Bucket, err)
	}
	status, err := text(props, "VersioningConfiguration", "Status")
	if err != nil {
		return fmt.Errorf("%s: %w", bucketID, err)
	}
	if _, err := s.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(s.Bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(status)},
	}); err != nil {
		return fmt.Errorf("versioning of %s: %w", s.Bucket, err)
	}
	return nil
}

// queueConfigurations returns the bucket's notification rules.
func queueConfigurations(bucket map[string]any) []any {
	n, _ := bucket["NotificationConfiguration"].(map[string]any)
	rules, _ := n["QueueConfigurations"].([]any)
	return rules
}

// createQueues creates the queue the bucket notifies and the dead-letter
// queue its redrive policy names.
func (s *Stack) createQueues(ctx context.Context, tpl *samlocal.Template, bucket map[string]any, o Options) error {
	rules := queueConfigurations(bucket)
	if len(rules) == 0 {
		return fmt.Errorf("%s: no NotificationConfiguration.QueueConfigurations", bucketID)
	}
	rule, _ := rules[0].(map[string]any)
	queueID, queue, err := queueOf(tpl, rule["Queue"])
	if err != nil {
		return fmt.Errorf("%s: notification queue: %w", bucketID, err)
	}
	redrive, _ := queue["RedrivePolicy"].(map[string]any)
	dlqID, dlq, err := queueOf(tpl, redrive["deadLetterTargetArn"])
	if err != nil {
		return fmt.Errorf("%s: RedrivePolicy: %w", queueID, err)
	}
	if s.DeadLetterQueue, err = s.createQueue(ctx, dlqID, dlq, o.Name, nil); err != nil {
		return err
	}
	if s.MaxReceiveCount, err = number(redrive, "maxReceiveCount"); err != nil {
		return fmt.Errorf("%s: RedrivePolicy: %w", queueID, err)
	}
	if o.MaxReceiveCount > 0 {
		s.MaxReceiveCount = o.MaxReceiveCount
	}
	policy, err := json.Marshal(map[string]string{"deadLetterTargetArn": s.DeadLetterQueue.ARN, "maxReceiveCount": strconv.Itoa(s.MaxReceiveCount)})
	if err != nil {
		return fmt.Errorf("%s: RedrivePolicy: %w", queueID, err)
	}
	attrs := map[string]string{"RedrivePolicy": string(policy)}
	if o.VisibilityTimeout > 0 {
		attrs["VisibilityTimeout"] = strconv.Itoa(int(o.VisibilityTimeout.Seconds()))
	}
	s.queueID = queueID
	s.Queue, err = s.createQueue(ctx, queueID, queue, o.Name, attrs)
	return err
}

// queueOf returns the logical id and properties of the queue arn (a
// !GetAtt Queue.Arn) names.
func queueOf(tpl *samlocal.Template, arn any) (string, map[string]any, error) {
	id, err := getAttTarget(arn, "Arn")
	if err != nil {
		return "", nil, err
	}
	props, err := tpl.Resource(id, "AWS::SQS::Queue")
	return id, props, err
}

// createQueue creates the queue id with its template attributes, then
// override, and returns its URL and ARN.
func (s *Stack) createQueue(ctx context.Context, id string, props map[string]any, stackName string, override map[string]string) (Queue, error) {
	if err := known(id, props, append(append([]string{"RedrivePolicy"}, queueAttributes...), queueSkipped...)); err != nil {
		return Queue{}, err
	}
	attrs := map[string]string{}
	for _, name := range queueAttributes {
		if _, ok := props[name]; !ok {
			continue
		}
		v, err := text(props, name)
		if err != nil {
			return Queue{}, fmt.Errorf("%s: %w", id, err)
		}
		attrs[name] = v
	}
	for k, v := range override {
		attrs[k] = v
	}
	name := id + "-" + stackName
	out, err := s.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return Queue{}, fmt.Errorf("create queue %s: %w", name, err)
	}
	a, err := s.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return Queue{}, fmt.Errorf("queue %s: %w", name, err)
	}
	return Queue{URL: aws.ToString(out.QueueUrl), ARN: a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}, nil
}

// notify sets the bucket's notifications to the queue, rule by rule as the
// template writes them. (moto then sends the queue an s3:TestEvent.)
func (s *Stack) notify(ctx context.Context, bucket map[string]any) error {
	var configs []s3types.QueueConfiguration
	for i, r := range queueConfigurations(bucket) {
		rule, _ := r.(map[string]any)
		event, err := text(rule, "Event")
		if err != nil {
			return fmt.Errorf("%s: notification %d: %w", bucketID, i, err)
		}
		if id, err := getAttTarget(rule["Queue"], "Arn"); err != nil || id != s.queueID {
			return fmt.Errorf("%s: notification %d: Queue %v: want the !GetAtt %s.Arn of the first (one queue is built)", bucketID, i, rule["Queue"], s.queueID)
		}
		c := s3types.QueueConfiguration{QueueArn: aws.String(s.Queue.ARN), Events: []s3types.Event{s3types.Event(event)}}
		filter, _ := rule["Filter"].(map[string]any)
		key, _ := filter["S3Key"].(map[string]any)
		if rules, _ := key["Rules"].([]any); len(rules) > 0 {
			c.Filter = &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{}}
			for _, fr := range rules {
				m, _ := fr.(map[string]any)
				name, err1 := text(m, "Name")
				value, err2 := text(m, "Value")
				if err1 != nil || err2 != nil {
					return fmt.Errorf("%s: notification %d: filter rule %v: want a literal Name and Value", bucketID, i, fr)
				}
				c.Filter.Key.FilterRules = append(c.Filter.Key.FilterRules, s3types.FilterRule{Name: s3types.FilterRuleName(name), Value: aws.String(value)})
			}
		}
		configs = append(configs, c)
	}
	if _, err := s.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(s.Bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: configs},
	}); err != nil {
		return fmt.Errorf("notifications of %s: %w", s.Bucket, err)
	}
	return nil
}

// known returns an error naming a property of resource id that is not in
// names: one this package would silently not build.
func known(id string, props map[string]any, names []string) error {
	for name := range props {
		if !slices.Contains(names, name) {
			return fmt.Errorf("%s: property %s is not built locally: add it to internal/local/motostack (or to its skipped list, saying why)", id, name)
		}
	}
	return nil
}

// resourceName returns the name a template property such as
// !Join ["-", [djfront-assets, <stack id>]] gives, with stackName for each
// part that is not a literal; without the property, fallback-stackName.
func resourceName(v any, stackName, fallback string) string {
	m, _ := v.(map[string]any)
	join, _ := m["Fn::Join"].([]any)
	if len(join) != 2 {
		if s, ok := v.(string); ok {
			return s
		}
		return fallback + "-" + stackName
	}
	sep, _ := join[0].(string)
	parts, _ := join[1].([]any)
	names := make([]string, len(parts))
	for i, p := range parts {
		if names[i], _ = p.(string); names[i] == "" {
			names[i] = stackName
		}
	}
	return strings.Join(names, sep)
}

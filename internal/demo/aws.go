package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djfront/djfront/internal/motoserver"
)

// The resources template.yaml declares, as the demo creates them in moto.
// Names are fixed (one stack per moto server); timings are shortened so the
// tour does not wait for the template's 30 s batching window or a 6 minute
// visibility timeout after a failed batch.
const (
	bucketName      = "djfront-assets-demo"
	queueName       = "djfront-invalidation-demo"
	dlqName         = "djfront-invalidation-dlq-demo"
	maxReceiveCount = 5  // template: RedrivePolicy.maxReceiveCount
	visibilitySecs  = 10 // template: 360
	staticPrefix    = "static"
	mediaPrefix     = "media"
)

// cloud holds the moto clients and the resources' identifiers.
type cloud struct {
	s3       *s3.Client
	sqs      *sqs.Client
	cf       *cloudfront.Client
	queueURL string
	queueARN string
	distID   string
	distHost string
}

func newCloud(endpoint string) *cloud {
	cfg := aws.Config{
		Region:       motoserver.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(motoserver.AccessKey, motoserver.SecretKey, ""),
		BaseEndpoint: aws.String(endpoint),
	}
	return &cloud{
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		sqs: sqs.NewFromConfig(cfg),
		cf:  cloudfront.NewFromConfig(cfg),
	}
}

// create makes the template's storage and delivery resources: the
// versioned bucket, the queue with its dead-letter queue, the bucket's
// notifications of static and media changes to the queue, and a
// distribution with the app and assets origins.
func (c *cloud) create(ctx context.Context) error {
	if _, err := c.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucketName)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketName, err)
	}
	if _, err := c.s3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucketName),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
	}); err != nil {
		return fmt.Errorf("enable versioning of %s: %w", bucketName, err)
	}
	_, dlqARN, err := c.createQueue(ctx, dlqName, map[string]string{"MessageRetentionPeriod": "1209600"})
	if err != nil {
		return err
	}
	redrive, err := json.Marshal(map[string]string{"deadLetterTargetArn": dlqARN, "maxReceiveCount": strconv.Itoa(maxReceiveCount)})
	if err != nil {
		return fmt.Errorf("redrive policy: %w", err)
	}
	if c.queueURL, c.queueARN, err = c.createQueue(ctx, queueName, map[string]string{
		"VisibilityTimeout": strconv.Itoa(visibilitySecs),
		"RedrivePolicy":     string(redrive),
	}); err != nil {
		return err
	}
	var rules []s3types.QueueConfiguration
	for _, prefix := range []string{staticPrefix, mediaPrefix} {
		for _, ev := range []s3types.Event{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"} {
			rules = append(rules, s3types.QueueConfiguration{
				QueueArn: aws.String(c.queueARN),
				Events:   []s3types.Event{ev},
				Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
					{Name: s3types.FilterRuleNamePrefix, Value: aws.String(prefix + "/")},
				}}},
			})
		}
	}
	if _, err := c.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(bucketName),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: rules},
	}); err != nil {
		return fmt.Errorf("notifications of %s: %w", bucketName, err)
	}

	behavior := func(pattern string) cftypes.CacheBehavior {
		return cftypes.CacheBehavior{
			PathPattern:          aws.String(pattern),
			TargetOriginId:       aws.String("Assets"),
			ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId:        aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"), // CachingOptimized
		}
	}
	out, err := c.cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("djfront-demo"),
		Comment:         aws.String("djfront demo (local edge)"),
		Enabled:         aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(2), Items: []cftypes.Origin{
			{
				Id:         aws.String("App"),
				DomainName: aws.String("a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"),
				CustomOriginConfig: &cftypes.CustomOriginConfig{
					HTTPPort: aws.Int32(80), HTTPSPort: aws.Int32(443), OriginProtocolPolicy: cftypes.OriginProtocolPolicyHttpsOnly,
				},
			},
			{
				Id:             aws.String("Assets"),
				DomainName:     aws.String(bucketName + ".s3.us-east-1.amazonaws.com"),
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			},
		}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
			TargetOriginId:       aws.String("App"),
			ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId:        aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"), // CachingDisabled (moto has no custom policies)
		},
		CacheBehaviors: &cftypes.CacheBehaviors{Quantity: aws.Int32(2), Items: []cftypes.CacheBehavior{
			behavior(staticPrefix + "/*"), behavior(mediaPrefix + "/*"),
		}},
	}})
	if err != nil {
		return fmt.Errorf("create distribution: %w", err)
	}
	c.distID = aws.ToString(out.Distribution.Id)
	c.distHost = aws.ToString(out.Distribution.DomainName)
	return nil
}

func (c *cloud) createQueue(ctx context.Context, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := c.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", "", fmt.Errorf("create queue %s: %w", name, err)
	}
	a, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// Invalidation is a CloudFront invalidation as the moto server recorded it.
type Invalidation struct {
	ID    string
	Paths []string
}

// invalidations returns the distribution's invalidations, oldest first.
func (c *cloud) invalidations(ctx context.Context) ([]Invalidation, error) {
	list, err := c.cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: aws.String(c.distID)})
	if err != nil {
		return nil, fmt.Errorf("list invalidations of %s: %w", c.distID, err)
	}
	items := list.InvalidationList.Items
	sort.SliceStable(items, func(i, j int) bool { return aws.ToTime(items[i].CreateTime).Before(aws.ToTime(items[j].CreateTime)) })
	var out []Invalidation
	for _, it := range items {
		got, err := c.cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(c.distID), Id: it.Id})
		if err != nil {
			return nil, fmt.Errorf("get invalidation %s: %w", aws.ToString(it.Id), err)
		}
		inv := Invalidation{ID: aws.ToString(it.Id)}
		if b := got.Invalidation.InvalidationBatch; b != nil && b.Paths != nil {
			inv.Paths = b.Paths.Items
		}
		out = append(out, inv)
	}
	return out, nil
}

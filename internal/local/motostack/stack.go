package motostack

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/djfront/djfront/internal/local/lambdasqs"
	"github.com/djfront/djfront/internal/local/motoserver"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// The logical ids of the template's resources this package creates.
const (
	bucketID       = "AssetsBucket"
	distributionID = "Distribution"
	eventSourceID  = "InvalidationEventSource"
)

// Options adapt the template's stack to a local run.
type Options struct {
	// Name stands in for the stack id in resource names (one stack per
	// moto server). Default: "local".
	Name string
	// VisibilityTimeout, if set, replaces the queue's (the template's 360 s
	// would make a test wait six minutes for a redelivery).
	VisibilityTimeout time.Duration
	// MaxReceiveCount, if set, replaces the redrive policy's.
	MaxReceiveCount int
}

// Queue is an SQS queue of the stack.
type Queue struct {
	URL, ARN string
}

// Stack is the template's storage and delivery resources in a moto server,
// with clients for it.
type Stack struct {
	// Bucket is the assets bucket's name.
	Bucket string
	// AssetPrefixes are the key prefixes the distribution serves from the
	// bucket ("static", "media"), from its cache behaviours.
	AssetPrefixes []string
	// Queue receives the bucket's notifications; DeadLetterQueue gets what
	// fails MaxReceiveCount times.
	Queue, DeadLetterQueue Queue
	// MaxReceiveCount is the redrive policy's (Options.MaxReceiveCount if set).
	MaxReceiveCount int
	// DistributionID is the distribution's id.
	DistributionID string
	// BatchSize and BatchingWindow are the event source mapping's
	// BatchSize and MaximumBatchingWindowInSeconds.
	BatchSize      int
	BatchingWindow time.Duration

	// S3, SQS and CloudFront reach the moto server.
	S3         *s3.Client
	SQS        *sqs.Client
	CloudFront *cloudfront.Client

	queueID string // Queue's logical id
}

// Create creates tpl's storage and delivery resources in the moto server cfg
// reaches (see motoserver.Config).
func Create(ctx context.Context, tpl *samlocal.Template, cfg aws.Config, o Options) (*Stack, error) {
	if o.Name == "" {
		o.Name = "local"
	}
	s := &Stack{S3: motoserver.NewS3(cfg), SQS: sqs.NewFromConfig(cfg), CloudFront: cloudfront.NewFromConfig(cfg)}
	if err := s.readEventSource(tpl); err != nil {
		return nil, err
	}
	bucket, err := tpl.Resource(bucketID, "AWS::S3::Bucket")
	if err != nil {
		return nil, err
	}
	if err := s.createBucket(ctx, bucket, o.Name); err != nil {
		return nil, err
	}
	if err := s.createQueues(ctx, tpl, bucket, o); err != nil {
		return nil, err
	}
	if err := s.notify(ctx, bucket); err != nil {
		return nil, err
	}
	if err := s.createDistribution(ctx, tpl, o.Name); err != nil {
		return nil, err
	}
	return s, nil
}

// readEventSource reads the event source mapping's batching.
func (s *Stack) readEventSource(tpl *samlocal.Template) error {
	props, err := tpl.Resource(eventSourceID, "AWS::Lambda::EventSourceMapping")
	if err != nil {
		return err
	}
	if s.BatchSize, err = number(props, "BatchSize"); err != nil {
		return fmt.Errorf("%s: %w", eventSourceID, err)
	}
	window, err := number(props, "MaximumBatchingWindowInSeconds")
	if err != nil {
		return fmt.Errorf("%s: %w", eventSourceID, err)
	}
	s.BatchingWindow = time.Duration(window) * time.Second
	return nil
}

// Poller returns the poller that plays the event source mapping between the
// stack's queue and fn, batchSize messages at a time (the template's
// BatchSize when 0).
func (s *Stack) Poller(fn lambdasqs.Invoker, batchSize int) *lambdasqs.Poller {
	if batchSize == 0 {
		batchSize = s.BatchSize
	}
	return &lambdasqs.Poller{
		Client: s.SQS, QueueURL: s.Queue.URL, QueueARN: s.Queue.ARN, Region: motoserver.Region,
		Function: fn, BatchSize: batchSize,
	}
}

// number returns the property name of props as a whole number.
func number(props map[string]any, name string) (int, error) {
	v, ok := props[name].(string)
	n, err := strconv.Atoi(v)
	if !ok || err != nil {
		return 0, fmt.Errorf("property %s: %v is not a whole number", name, props[name])
	}
	return n, nil
}

// text returns the property at path (keys of nested mappings) as a string.
func text(props map[string]any, path ...string) (string, error) {
	var v any = props
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("property %v: %v is not a literal string", path, v)
	}
	return s, nil
}

// getAttTarget returns the logical id a {"Fn::GetAtt": [id, attr]} names.
func getAttTarget(v any, attr string) (string, error) {
	m, _ := v.(map[string]any)
	ref, _ := m["Fn::GetAtt"].([]any)
	if len(ref) != 2 || ref[1] != attr {
		return "", fmt.Errorf("%v is not a !GetAtt of %s", v, attr)
	}
	id, ok := ref[0].(string)
	if !ok {
		return "", fmt.Errorf("%v is not a !GetAtt of %s", v, attr)
	}
	return id, nil
}

// Command invalidate is the invalidate Lambda: S3 event notifications about
// the static and media files bucket in (via SQS, SNS or EventBridge), the
// fewest CloudFront invalidations that cover every changed file out. The
// work is done by package github.com/djfront/djfront/internal/invalidate,
// whose Build reads the configuration, failing at cold start with a message
// that names the variable at fault, and builds the AWS clients once
// (endpoints and region from the SDK's standard settings: AWS_REGION,
// AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_CLOUDFRONT, AWS_ENDPOINT_URL_S3…);
// internal/coldstart runs the Lambda loop.
//
// Build it as Lambda runs it:
//
//	CGO_ENABLED=0 GOOS=linux go build -tags lambda.norpc -o bootstrap ./functions/invalidate
package main

import (
	"github.com/djfront/djfront/internal/coldstart"
	"github.com/djfront/djfront/internal/invalidate"
)

func main() { coldstart.Main(invalidate.Build) }

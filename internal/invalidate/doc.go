// Package invalidate is the invalidate Lambda: it receives S3 event
// notifications for a CloudFront distribution's origin bucket — through an
// SQS queue as the deployed stack does, or any of the other ways S3 events
// fan out — and creates the CloudFront invalidation that covers every
// changed file.
//
// [Handler.Handle] accepts these shapes and tells them apart by their
// content (event.go, eventbridge.go):
//
//   - an SQS event whose message bodies are S3 notifications, SNS
//     notifications carrying them (SNS → SQS without raw message delivery;
//     with it the body is the S3 event itself) or EventBridge events from
//     S3 (an EventBridge rule with an SQS target); the answer is an
//     [events.SQSEventResponse] naming the messages that failed, so SQS
//     redelivers those and, after the queue's maxReceiveCount, moves them to
//     its dead-letter queue. A message that cannot be read fails on its own;
//   - an SNS event (SNS invoking the function), a plain S3 event (S3
//     invoking it, or `sam local invoke -e sam/fixtures/s3-put.json`) or an
//     EventBridge event (a rule targeting the function); a failure is
//     returned as an error (an [*UnrecognizedEventError] or an
//     [*InvalidationError]) so that Lambda's asynchronous retries take over;
//   - the s3:TestEvent that S3 sends when a notification is configured, on its
//     own or inside any of the above: acknowledged and ignored.
//
// One invocation, in call order (handler.go): parseInvocation reads the
// payload into messages of changes; partitionMessages sets aside the malformed
// ones; latestPerObject orders each object's events by sequencer;
// changedObjects looks up versions to drop objects whose content did not
// change (versions.go, where the rules are documented on unchanged); plan
// hands the created and the removed keys to package invalidation, which
// turns them into at most MAX_PATHS paths; create (isolate.go) checks the
// paths and makes one CreateInvalidation call, retried on throttling,
// server errors and TooManyInvalidationsInProgress with jittered
// exponential backoff until shortly before the Lambda deadline
// (cloudfront.go) — and, when CloudFront refuses the paths as invalid,
// splits the batch to isolate the messages at fault. Its CallerReference is
// derived from the batch, so a redelivered batch asks for the same
// invalidation again instead of paying for a second one. Each invocation
// ends with one JSON log line (log.go; see [Summary]).
//
// AWS documentation implemented here:
//   - S3 event message structure:
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
//   - S3 events in EventBridge:
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
//   - SNS message format (SNS → SQS):
//     https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
//   - Lambda with SQS, partial batch responses:
//     https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
//   - CloudFront CreateInvalidation:
//     https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html
package invalidate

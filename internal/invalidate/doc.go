// Package invalidate is the invalidate Lambda: it receives S3 event
// notifications for a CloudFront distribution's origin bucket — directly, or
// through an SQS queue as the deployed stack does — and creates the one
// CloudFront invalidation that covers every changed file.
//
// [Handler.Handle] accepts the three shapes such an invocation can have and
// tells them apart by their content:
//
//   - an SQS event whose message bodies are S3 notifications; the answer is an
//     [events.SQSEventResponse] naming the messages that failed, so SQS
//     redelivers those and, after the queue's maxReceiveCount, moves them to
//     its dead-letter queue. A message that cannot be read fails on its own;
//   - a plain S3 event (S3 invoking the function directly, or
//     `sam local invoke -e sam/events/s3-put.json`); a failure is returned as
//     an error so that Lambda's asynchronous retries take over;
//   - the s3:TestEvent that S3 sends when a notification is configured, on its
//     own or as an SQS message body: acknowledged and ignored.
//
// Within one invocation the S3 events are reduced to the latest event per
// object (by the events' sequencer), keys whose content did not change are
// dropped (see [Handler] for the versioned-bucket check), and the planner in
// package invalidation turns the rest into at most MAX_PATHS paths. The
// function then makes one CreateInvalidation call, retrying throttling,
// server errors and TooManyInvalidationsInProgress with jittered exponential
// backoff until shortly before the Lambda deadline. Its CallerReference is
// derived from the batch, so a redelivered batch asks for the same
// invalidation again instead of paying for a second one.
//
// Each invocation writes one JSON log line (see [Summary]).
//
// AWS documentation implemented here:
//   - S3 event message structure:
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
//   - Lambda with SQS, partial batch responses:
//     https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
//   - CloudFront CreateInvalidation:
//     https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html
package invalidate

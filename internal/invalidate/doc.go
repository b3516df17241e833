// Package invalidate is the invalidate Lambda's I/O: it reads the S3 event
// notifications for a CloudFront distribution's origin bucket — through an
// SQS queue as the deployed stack does, or any of the other ways S3 events
// fan out — looks up object versions in S3, and creates the CloudFront
// invalidation that covers every changed file. Which paths cover them is
// decided by package [pathplan], which is pure; this package is everything
// around it that talks to AWS.
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
// S3's notifications URL-encode object keys; whether EventBridge does is not
// settled, so an EventBridge key with '+' or '%' counts under both readings
// (eventBridgeChanges): one path more, never a stale file.
//
// One invocation, in call order (handler.go): parseInvocation reads the
// payload into messages of changes; partitionMessages sets aside the
// malformed ones; latestPerObject orders each object's events by
// sequencer; changedObjects looks up versions to drop objects whose content
// did not change (versions.go; see “Unchanged content” below); plan hands
// the created and the removed keys to [pathplan.NewPlan], which turns them
// into at most MAX_PATHS paths; create (isolate.go) checks the paths and
// makes one CreateInvalidation call, retried on throttling, server errors
// and TooManyInvalidationsInProgress with jittered exponential backoff
// until shortly before the Lambda deadline (cloudfront.go) — and, when
// CloudFront refuses the paths as invalid, splits the batch to isolate the
// messages at fault. Its CallerReference is derived from the batch
// ([pathplan.CallerReference]), so a redelivered batch asks for the same
// invalidation again instead of paying for a second one. Each step returns
// its result, and handle assembles them into the invocation's [Summary],
// which it logs as one JSON line (log.go).
//
// # Unchanged content
//
// Django's collectstatic re-uploads every file whose source is newer than
// the stored copy — on a fresh CI checkout, all of them — so most uploads
// of a deploy carry the same bytes as before, and skipping those is the
// difference between invalidating the three files that changed and wiping
// /static/*. In a versioned bucket the handler compares, for each object
// whose latest event in the invocation created it, the new version's ETag
// with the ETag of the version it replaced, and skips the object when they
// are equal (versions.go):
//
//   - The versions come from ListObjectVersions with Prefix set to the key,
//     keeping entries for exactly that key, in S3's order: newest first, by
//     the order S3 created them. LastModified is not used: it has a
//     resolution of one second, and for a multipart upload it is when the
//     upload started, not when the version appeared. A listing whose first
//     version of the key is not IsLatest (an emulator listing oldest first,
//     or a delete marker after the batch's events) is a doubt.
//   - The version replaced is the one listed right after the oldest version
//     the invocation's events created for the key: with several events for a
//     key in one batch, the content CloudFront may hold is the one before
//     all of them — or any version in between, so the key is unchanged only
//     when every version from the oldest through the latest has that ETag
//     too (put B then put A over A is a change: B may have been cached).
//   - Delete markers are skipped: collectstatic deletes a file before saving
//     it again, so every re-upload of unchanged content has one just before
//     it. While the key had no content CloudFront could only cache the error
//     response, which it keeps for the distribution's error caching TTL
//     (10 seconds by default). A removal that is the latest event for its
//     key always counts as a change.
//   - A delete marker that is the latest event for its key in the batch
//     but no longer the key's latest entry in S3 is superseded:
//     collectstatic's delete and re-upload of a file may fall into two
//     batches, and the re-upload's own event compares the new version with
//     the one before the marker.
//   - A version removed for good (DeleteObject with a VersionId, a
//     lifecycle expiration) makes the key changed without a lookup: put A,
//     put B, delete version B, put A again leaves A, A in the listing while
//     B may be cached.
//
// On any doubt the object counts as changed: no version id (an unversioned
// bucket, or the "null" version of a suspended one), no ETag, a version not
// found in the listing, no earlier version, or any error from S3. Objects
// the planner drops anyway (immutable, outside the origin path) are not
// looked up. The ETag covers the bytes only: re-uploading the same bytes
// with new metadata (Cache-Control, Content-Type) is skipped as unchanged;
// invalidate such a deploy by hand.
//
// # AWS documentation
//
// Implemented here:
//   - S3 event message structure:
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
//   - S3 events in EventBridge:
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
//   - SNS message format (SNS → SQS):
//     https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
//   - Lambda with SQS, partial batch responses:
//     https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
//   - S3 ListObjectVersions:
//     https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
//   - CloudFront CreateInvalidation:
//     https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html
package invalidate

// Package secretcache holds the values of one AWS Secrets Manager secret in
// memory: the versions labelled AWSCURRENT, AWSPENDING and AWSPREVIOUS.
//
// A read is one snapshot ([ReadVersions]): a single ListSecretVersionIds
// call says which version carries which label, then each version's value is
// read by its id (GetSecretValue with VersionId). Reading the three labels
// one after the other instead could straddle a rotation's finishSecret and
// miss the new value altogether (AWSCURRENT read before the move,
// AWSPENDING after it). A version's value never changes, so a re-read reads
// only the values of versions it has not seen: usually one call.
//
// A [Secret] is read at cold start ([Load], bounded by the caller) and
// again once the held values are [RefreshInterval] old. [Secret.Match]
// accepts a value the held values accept at once (a due re-read then runs
// in the background); a value they refuse is checked again after the due or
// running re-read, waited for at most [ReadTimeout], so an environment idle
// through a rotation accepts the new value on its first request.
// [Secret.Current] waits the same way when a re-read is due, so the value
// sent is never one superseded while the environment was idle. A re-read
// makes one attempt (no SDK retries) bounded by [ReadTimeout] of running
// time and [WallTimeout] of wall-clock time; a failure keeps the held
// values and holds the next attempt back ([RetryAfterFailure], doubling,
// counted from the end of the failed read). Behind a Secrets Manager
// endpoint that hangs, a forged value costs one bounded wait per back-off
// and the held values keep serving.
//
// [Secret.Match] accepts AWSCURRENT and AWSPREVIOUS, and AWSPENDING only
// within [PendingWindow] of the version's creation. The pending value is
// accepted because a rotation function (package rotation) makes it live at
// the far end (setSecret) before Secrets Manager moves AWSCURRENT to it
// (finishSecret); only for a while, because a pending version is also what
// a failed rotation leaves behind, or anyone allowed PutSecretValue can add.
// The creation time is GetSecretValue's CreatedDate (ListSecretVersionIds
// has it too on AWS; moto there reports the time of the call).
//
// See https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecretVersionIds.html
// and https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html.
package secretcache

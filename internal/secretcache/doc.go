// Package secretcache holds the values of one AWS Secrets Manager secret in
// memory: the versions labelled AWSCURRENT, AWSPENDING and AWSPREVIOUS,
// read with GetSecretValue at cold start and re-read as rotation moves the
// labels.
//
// A [Secret] answers two questions. [Secret.Match] says, in constant time,
// whether a value is one of the held versions; on a value that matches none
// it re-reads the secret, at most once per [RefreshInterval] (once per
// [RetryAfterFailure] after a failed read), so a just-rotated value is
// refused for at most that long and a flood of forged values costs at most
// one read a minute while Secrets Manager answers. [Secret.Current] gives the
// AWSCURRENT value to send. Both read the secret again once the held values
// are [MaxAge] old, so a value rotated out stops being accepted.
//
// AWSPENDING is accepted as well as AWSCURRENT and AWSPREVIOUS because a
// rotation function (see package rotation) makes the new value live at the
// far end (setSecret) before Secrets Manager moves AWSCURRENT to it
// (finishSecret).
//
// See https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
// and https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html.
package secretcache

// Package lambdalimit holds the Lambda quotas that both the functions and the
// local Runtime API server enforce, so that the two cannot disagree.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html.
package lambdalimit

// MaxResponse is the largest response, in bytes, that Lambda accepts from a
// runtime for a synchronous invocation (6 MB); the JSON-encoded API Gateway
// response must fit in it.
const MaxResponse = 6_291_556

// MaxRequest is the largest payload, in bytes, of a synchronous invocation
// (6 MB): for API Gateway, the whole event JSON, a binary body in base64.
// Invoke refuses a larger one with RequestTooLargeException (HTTP 413),
// "Request must be smaller than 6291456 bytes for the InvokeFunction
// operation".
const MaxRequest = 6_291_456

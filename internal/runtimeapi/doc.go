// Package runtimeapi runs a built Lambda `bootstrap` binary locally, the way
// AWS Lambda runs a custom runtime: as a child process whose
// AWS_LAMBDA_RUNTIME_API points at a loopback implementation of the Lambda
// Runtime API (next invocation, invocation response, invocation error,
// initialization error), with the standard Lambda environment variables set.
//
// It stands in for the AWS Lambda Runtime Interface Emulator, which cannot be
// installed here. A [Server] starts the process, hands it one invocation at a
// time with [Server.Invoke], and serves Lambda's Invoke API over HTTP
// ([Server.ServeHTTP]) as the emulator does. The Lambda behaviours a test can
// rely on:
//
//   - the deadline (Lambda-Runtime-Deadline-Ms) is the invocation's start plus
//     [Function.Timeout]; a runtime that has not answered by then yields a
//     "Sandbox.Timedout" error and is killed, and a fresh one is started (a
//     cold start) before the next invocation;
//   - a runtime that exits mid-invocation yields "Runtime.ExitError";
//   - a response larger than [MaxResponseSize] is refused with 413 and yields
//     "Function.ResponseSizeTooLarge";
//   - an error posted to /runtime/init/error makes [Start] fail with it.
//
// The child is started in its own process group, so the package works on
// Unix systems only.
//
// Runtime API reference: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
package runtimeapi

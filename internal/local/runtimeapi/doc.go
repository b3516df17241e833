// Package runtimeapi runs a built Lambda `bootstrap` binary locally, the way
// AWS Lambda runs a custom runtime: as a child process whose
// AWS_LAMBDA_RUNTIME_API points at a loopback implementation of the Lambda
// Runtime API (next invocation, invocation response, invocation error,
// initialization error) and of the Extensions API (register, event/next —
// for extensions that subscribe to no events), with the standard Lambda
// environment variables set.
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
//   - an error posted to /runtime/init/error makes [Start] fail with it;
//   - init ends when the runtime asks for its first invocation and every
//     extension it registered for its first event; an init longer than
//     [InitTimeout] (10 s) is killed and run again inside the first
//     invocation, bounded by the function's timeout (a "suppressed init"),
//     and a runtime that exited is initialized anew before the next
//     invocation; [Server.Inits] lists every init with its phase and status,
//     and each writes an INIT_REPORT log line;
//   - with [Function.SnapStart], each init ends in a snapshot: the runtime
//     sees AWS_LAMBDA_INITIALIZATION_TYPE=snap-start, calls restore/next,
//     every process of the environment is stopped for SnapStart.Freeze,
//     then restored, and the runtime has [RestoreTimeout] to ask for its
//     first invocation or post restore/error ([Server.Restores], a
//     RESTORE_REPORT log line); a runtime that skips restore/next does not
//     start;
//   - [Server.Close] is Lambda's shutdown: SIGTERM to the runtime process
//     only if an extension is registered, [ShutdownGrace] for it to exit,
//     then SIGKILL to every process of the environment — also those that
//     left its process group (see proctree.KillSandbox).
//
// Processes are started and stopped with internal/childproc; the package
// works on Linux only (it reads /proc to find an environment's processes).
//
// Runtime API reference: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
package runtimeapi

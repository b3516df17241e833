// Package childproc starts and stops child processes the way every part of
// djfront needs them: the app hostforward runs inside the Lambda (production),
// the runtime processes of the local Lambda Runtime API server, and the moto
// and gunicorn servers of the demo and the tests.
//
// A child runs in a process group of its own, so stopping it reaches its own
// children too (gunicorn's workers): SIGTERM to the group, a grace period,
// then SIGKILL to the group, also after a clean exit, since a worker may
// outlive its master. Its combined output goes to a writer of the caller's
// choice and to a bounded Tail kept for error messages. AwaitHTTP polls a
// started server until it answers; Run runs a command to completion with its
// output kept, killed when its context ends. Signal reaches the child alone
// (Lambda's SIGTERM to the runtime process). What only the local tooling
// needs (killing a whole emulated environment, free ports) is in
// internal/local/proctree, so that it is never linked into a Lambda.
//
// Only Linux (and other Unix) semantics are supported: process groups and
// signals, as in Lambda's execution environment.
package childproc

// Package appproc runs the app inside the hostforward Lambda (the in-function
// mode, UPSTREAM_COMMAND): it starts the app as a child process on loopback
// at cold start, tells when it is ready, holds requests back until then,
// restarts it when it dies or is wedged, runs its management commands on
// request, and stops it when Lambda shuts the environment down.
//
// The order of one cold start (hostforward.Setup makes the calls) and one
// request:
//
//  1. ConfigFromEnv reads UPSTREAM_COMMAND, UPSTREAM_READY_PATH,
//     UPSTREAM_BOOT_TIMEOUT, UPSTREAM_SNAPSTART_PATH, MANAGE_COMMAND,
//     MANAGE_ALLOW and LAMBDA_TASK_ROOT.
//  2. Start runs `/bin/sh -c UPSTREAM_COMMAND` in the task root with the
//     function's environment plus PORT, its output going to the function's
//     own, line by line, and polls UPSTREAM_READY_PATH every 10 ms (every
//     500 ms after an answer of 500 or more, whose traceback the app logs)
//     until the app answers with a status from 100 to 499.
//  3. AwaitInit holds the init phase until the app is ready, but never past
//     InitBudget from process start: Lambda kills an init that takes longer
//     than 10 s and re-runs it inside the first invoke, so a slow app would
//     boot twice. Past the budget the function takes invocations and the
//     first one waits for the rest of the boot (LWA calls this async init).
//  4. Each request goes through Transport's RoundTrip, which waits for the
//     app (bounded by the request's context: then a *StartingError, which
//     says what the last readiness request got), and turns a
//     failure caused by the app's death into a *childproc.ExitError. An app
//     that dies after it had been ready for a second is started again at
//     once; one that dies while booting, or just after, is started again by
//     the next request, so a command that fails at once, or an app that
//     crashes as soon as it is up, does not restart in a loop.
//  5. A wedged app is started again too. One that is not ready after
//     BootTimeout of the time invocations (and the init) waited for it hangs
//     at boot. After a request that timed out, the next one first checks
//     that the app answers its ready path within LivenessTimeout, with any
//     status: a threaded app with one stuck request still answers and is
//     kept, one whose threads are all stuck (or that hangs) is replaced.
//     Both clocks run only while an invocation is under way, never across
//     the freezes between invocations, when the app makes no progress
//     either; so gunicorn keeps --timeout 0, whose heartbeat would find a
//     frozen worker late on thaw.
//  6. Stop, on Lambda's SIGTERM, sends SIGTERM to the app's process group
//     and SIGKILLs what is left after StopGrace.
//
// Under SnapStart (snapstart.go; hostforward's snapStart makes the calls)
// AwaitReady replaces AwaitInit — the init waits for a ready app, up to
// SnapStartInitBudget — and Hook POSTs to the app's hooks
// (UPSTREAM_SNAPSTART_PATH + phase, with the token the app got in
// DJFRONT_SNAPSTART_TOKEN, the path in DJFRONT_SNAPSTART_PATH) before the
// snapshot and after a restore; Revive, after a restore, checks the app as
// for a wedged one and starts a dead one again.
//
// Manage runs MANAGE_COMMAND with a management invocation's arguments, once
// internal/dispatch has checked the invocation (MANAGE_ALLOW is its list).
//
// See https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
// for the init, invoke and shutdown phases.
package appproc

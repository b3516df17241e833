// Package demo runs the whole djfront chain on loopback for `make demo` and
// `make local` (cmd/djfront-local) and for the browser test: the moto server
// with template.yaml's storage and delivery resources (package motostack),
// the hostforward and invalidate functions built from the template and run
// under the local Lambda Runtime API, the S3 → SQS → invalidate delivery
// (package lambdasqs), the app's PostgreSQL (package pgserver), and the
// local edge (package localedge) in front of it all. Tour walks a viewer's requests through it and prints what each hop
// did.
//
// The example Django app (package djangoserver) runs inside hostforward by
// default (InFunction, the template's in-function mode): hostforward starts
// its gunicorn at cold start and runs its management commands as
// {"manage": ARGS} invocations, and the function's Invoke API is served on
// loopback for `djfront manage` (Stack.ManageCommand). With External,
// gunicorn runs on its own and hostforward forwards to it.
//
// Every child process is started with internal/childproc, in a process
// group of its own, and stopped by Close; one that exits on its own is
// reported on Failures. The in-function app is hostforward's child, stopped
// with it by the Runtime API server's shutdown.
package demo

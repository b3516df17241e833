// Package demo is the local stack: a project's whole djfront chain on
// loopback, for `djfront local` (cmd/djfront) in a user's project and for
// `make demo`, `make local` (cmd/djfront-local) and the tests with the
// repository's example project. From the project's template it runs the
// moto server with the template's storage and delivery resources and the
// secrets its functions read (package motostack), the functions under the
// local Lambda Runtime API as the template configures them (package
// samlocal: built from source, or djfront's prebuilt artifacts), the S3 →
// SQS → invalidate delivery (package lambdasqs), with Config.Postgres a
// throwaway PostgreSQL for the app (package pgserver, the example's), and
// the local edge (package localedge) in front of it all. Tour walks a viewer's requests
// through the example and prints what each hop did.
//
// The app runs inside its function by default (InFunction): the template's
// AppFunction, a python3.X function whose layer's AWS_LAMBDA_EXEC_WRAPPER
// hands the Python runtime over to hostforward, which starts the app
// (UPSTREAM_COMMAND) at cold start in the project's directory and runs its
// management commands as {"manage": ARGS} invocations; the function's
// Invoke API is served on loopback for `djfront manage`
// (Stack.ManageCommand). Its environment is the template's, then the
// user's (Config.Env: DATABASE_URL and the rest), then the stack's own
// (StackVariable); without a DATABASE_URL it is the throwaway PostgreSQL's
// or else a SQLite file in StateDir. At start the stack migrates, creates the superuser (one
// that exists is kept) and collects the static files to the bucket; with
// Config.Reload an edit of the project's Python files or templates starts
// a new execution environment, so the app runs the edited code. With
// External (the example only), gunicorn runs on its own and the template's
// HostForwardFunction forwards to it.
//
// Every child process is started with internal/childproc, in a process
// group of its own, and stopped by Close; one that exits on its own is
// reported on Failures. The in-function app is its function's child,
// stopped with it by the Runtime API server's shutdown.
package demo

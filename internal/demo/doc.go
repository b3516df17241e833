// Package demo runs the whole djfront chain on loopback for `make demo` and
// `make local` (cmd/djfront-local) and for the browser test: the moto server
// with template.yaml's storage and delivery resources (package motostack),
// the example Django app under gunicorn (package djangoserver), the
// hostforward and invalidate functions built from the template and run under
// the local Lambda Runtime API, the S3 → SQS → invalidate delivery
// (package lambdasqs), and the local edge (package localedge) in front of it
// all. Tour walks a viewer's requests through it and prints what each hop
// did.
//
// Every child process is started with internal/childproc, in a process
// group of its own, and stopped by Close; one that exits on its own is
// reported on Failures.
package demo

// Package events holds the event fixtures in this directory — API Gateway
// HTTP API (payload 2.0), S3 and SQS events — the one copy both the Go tests
// and `sam local invoke -e sam/events/NAME.json` (or `go run ./sam/invoke`)
// use. They are embedded (as aws-lambda-go's lambdaurl tests embed theirs),
// so a test reads them wherever it runs:
//
//	payload := events.Must(t, "s3-put.json")
//
// Event shapes: https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html
package events

import (
	"embed"
	"io/fs"
	"testing"
)

//go:embed *.json
var files embed.FS

// Read returns the fixture name ("s3-put.json"), or an error wrapping
// fs.ErrNotExist.
func Read(name string) ([]byte, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return nil, &fs.PathError{Op: "read fixture", Path: "sam/events/" + name, Err: fs.ErrNotExist}
	}
	return b, nil
}

// Names returns the names of the fixtures that match pattern (path.Match
// syntax, such as "api-*.json"), sorted.
func Names(pattern string) []string {
	names, _ := fs.Glob(files, pattern) // the only error is a malformed pattern: no names
	return names
}

// Must returns the fixture name, failing tb if there is none.
func Must(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := Read(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

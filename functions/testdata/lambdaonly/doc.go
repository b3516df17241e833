// Package lambdaonly is a fixture of deps_test.go: it links testing only in
// the Lambda build (linux, arm64, cgo off), which a check run with the
// host's settings would not see.
package lambdaonly

//go:build linux && arm64 && !cgo

package lambdaonly

import _ "testing"

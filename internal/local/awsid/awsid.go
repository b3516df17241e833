// Package awsid makes the identifiers the local stand-ins for AWS (the
// Runtime API server, the CloudFront and API Gateway edge) put where AWS
// puts its own: random hex, request ids and X-Ray trace headers, in the
// shapes AWS documents, so that code reading them locally reads what it
// will read in AWS.
//
// See https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader.
package awsid

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Hex returns n random bytes as 2n lowercase hex digits.
func Hex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// UUID returns a random (version 4) UUID, the shape of a Lambda request id.
func UUID() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// TraceRoot returns the Root field of an X-Ray trace header for a new trace
// begun at t: "Root=1-" + t as 8 hex digits + "-" + 24 random hex digits.
func TraceRoot(t time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s", t.Unix(), Hex(12))
}

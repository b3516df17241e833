package awsid_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/awsid"
)

func TestShapes(t *testing.T) {
	at := time.Unix(0x5e1f2a3b, 0)
	tests := []struct {
		name string
		got  func() string
		want string
	}{
		{"Hex", func() string { return awsid.Hex(4) }, `^[0-9a-f]{8}$`},
		{"UUID, version 4", awsid.UUID, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"TraceRoot", func() string { return awsid.TraceRoot(at) }, `^Root=1-5e1f2a3b-[0-9a-f]{24}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := tt.got(), tt.got()
			if !regexp.MustCompile(tt.want).MatchString(a) {
				t.Errorf("got %q, want the shape %s", a, tt.want)
			}
			if a == b {
				t.Errorf("two calls gave %q twice", a)
			}
		})
	}
}

package manageapi_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/djfront/djfront/internal/manageapi"
)

func TestSplitQualifier(t *testing.T) {
	const arn = "arn:aws:lambda:eu-west-1:123456789012:function:djfront-hostforward-x"
	tests := []struct {
		in, name, qualifier string
	}{
		{"fn", "fn", ""},
		{"fn:manage", "fn", "manage"},
		{"fn:$LATEST", "fn", "$LATEST"},
		{"123456789012:function:fn", "123456789012:function:fn", ""},
		{"123456789012:function:fn:manage", "123456789012:function:fn", "manage"},
		{arn, arn, ""},
		{arn + ":manage", arn, "manage"},
		{arn + ":7", arn, "7"},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:fn:manage", "arn:aws-cn:lambda:cn-north-1:123456789012:function:fn", "manage"},
		{"", "", ""},
		{"a:b:c", "a:b:c", ""}, // no form of the Invoke API: left whole
		{arn + ":manage:x", arn + ":manage:x", ""},
	}
	for _, tt := range tests {
		name, qualifier := manageapi.SplitQualifier(tt.in)
		if name != tt.name || qualifier != tt.qualifier {
			t.Errorf("SplitQualifier(%q) = %q, %q; want %q, %q", tt.in, name, qualifier, tt.name, tt.qualifier)
		}
	}
}

// TestClientContext decodes the client context as aws-lambda-go does from
// Lambda-Runtime-Client-Context: the function finds the marker and the
// claimed user.
func TestClientContext(t *testing.T) {
	for _, tt := range []struct {
		user string
		want map[string]string
	}{
		{"alice", map[string]string{manageapi.MarkerKey: manageapi.MarkerValue, manageapi.UserKey: "alice"}},
		{"", map[string]string{manageapi.MarkerKey: manageapi.MarkerValue}},
	} {
		var cc lambdacontext.ClientContext
		if err := json.Unmarshal(manageapi.ClientContext(tt.user), &cc); err != nil {
			t.Fatal(err)
		}
		if len(cc.Custom) != len(tt.want) || cc.Custom[manageapi.MarkerKey] != "1" || cc.Custom[manageapi.UserKey] != tt.want[manageapi.UserKey] {
			t.Errorf("ClientContext(%q) decodes to custom %v, want %v", tt.user, cc.Custom, tt.want)
		}
	}
}

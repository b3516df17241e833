// Package manageapi is the wire format of a management invocation of the
// in-function app's function: the event {"manage": [ARGS…]}, the alias it
// must be invoked through, the client context that marks it synchronous, and
// the result the function answers. internal/dispatch checks the invocation
// and encodes the result inside the Lambda; `djfront manage` and the local
// stack do the reverse. It is the one copy of these names and types.
//
// See docs/hostforward.md#management-invocations for what each part
// guards against, and https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
// for the Invoke API.
package manageapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Alias is the function alias a management invocation must be invoked
// through: the function refuses one whose invoked function ARN ends in
// anything else. The template creates it (pointing at $LATEST) and grants
// lambda:InvokeFunction on it alone in its ManagePolicy; API Gateway
// invokes the unqualified function, never the alias.
const Alias = "manage"

// Client context that marks a management invocation as synchronous:
// Lambda passes the caller's client context to the function for synchronous
// invocations only, so an asynchronous (Event) invocation arrives without it
// and is refused.
const (
	// MarkerKey is the key, in the client context's custom map, of the
	// marker the function requires.
	MarkerKey = "djfront-manage"
	// MarkerValue is the marker's value.
	MarkerValue = "1"
	// UserKey is the key, in the custom map, of the name of the local user
	// the caller says it runs as: logged by the function, never trusted.
	UserKey = "djfront-user"
)

// Request is a management invocation's event: the arguments of
// `manage.py`, never a shell line.
type Request struct {
	Manage []string `json:"manage"`
}

// Result is a management invocation's (normal, non-error) result.
type Result struct {
	// ExitCode is the command's exit status; -1 when a signal ended it.
	ExitCode int `json:"exitCode"`
	// Output is its stdout and stderr interleaved: the last bytes, as many
	// as the function keeps.
	Output string `json:"output"`
}

// Encode is the event that runs manage.py with args.
func Encode(args []string) ([]byte, error) {
	return json.Marshal(Request{Manage: args})
}

// ClientContext is the client context (JSON, before the base64 encoding
// the Invoke API's X-Amz-Client-Context wants) of a management invocation:
// the marker, and user as the caller's claimed user name when not empty.
func ClientContext(user string) []byte {
	custom := map[string]string{MarkerKey: MarkerValue}
	if user != "" {
		custom[UserKey] = user
	}
	b, _ := json.Marshal(map[string]any{"custom": custom}) // a map of strings always encodes
	return b
}

// DecodeResult reads a function's answer to a management invocation. An
// answer without exitCode is not one (a function other than hostforward
// with UPSTREAM_COMMAND answered).
func DecodeResult(payload []byte) (Result, error) {
	var res struct {
		ExitCode *int   `json:"exitCode"`
		Output   string `json:"output"`
	}
	if err := json.Unmarshal(payload, &res); err != nil {
		return Result{}, fmt.Errorf("not a management result: %w", err)
	}
	if res.ExitCode == nil {
		return Result{}, errors.New("not a management result: no exitCode")
	}
	return Result{ExitCode: *res.ExitCode, Output: res.Output}, nil
}

// SplitQualifier splits a function name as the Invoke API takes it (a
// name, a partial ARN ACCOUNT:function:NAME or a full ARN
// arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME, each with an optional
// :QUALIFIER) into the unqualified name or ARN and the qualifier, "" when
// there is none. An invoked function ARN is a full ARN.
func SplitQualifier(function string) (unqualified, qualifier string) {
	parts := strings.Split(function, ":")
	n := 1 // the parts of an unqualified name
	switch {
	case len(parts) >= 7 && parts[0] == "arn":
		n = 7
	case len(parts) >= 3 && parts[1] == "function":
		n = 3
	}
	if len(parts) != n+1 {
		return function, ""
	}
	return strings.Join(parts[:n], ":"), parts[n]
}

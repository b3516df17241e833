// Package manageapi is the wire format of a management invocation of the
// in-function app's function: the event {"manage": [ARGS…]} and the result
// the function answers. internal/dispatch decodes the event and encodes the
// result inside the Lambda; `djfront manage` and the local stack do the
// reverse. It is the one copy of these types.
package manageapi

import (
	"encoding/json"
	"errors"
	"fmt"
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

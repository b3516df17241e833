// Command fn is a Lambda function for the runtimeapi tests, built on the real
// aws-lambda-go runtime client. The event's "action" chooses what it does:
//
//	echo     return "payload"
//	error    return an error with "message"
//	panic    panic with "message" (the runtime reports it, then exits)
//	sleep    sleep "ms" milliseconds, then return "payload"
//	exit     os.Exit("code") mid-invocation
//	huge     return a JSON string of "size" bytes
//	context  return what the function sees of its invocation and environment
//	print    print "fn: ID ARN CUSTOM": the request id, invoked function ARN
//	         and client context's custom map (JSON), for an invocation
//	         nobody waits for
//	spawn    start a daemon (`setsid sleep 60`, reparented away) and return its pid
//
// With FN_INIT=error it posts an init error (type "Runtime.TestInit",
// message "init failed on purpose") and exits 1 before starting; with
// FN_INIT=exit it exits 3 before starting; with FN_INIT=sleep it sleeps
// FN_INIT_MS milliseconds first. With FN_SIGTERM set it registers for
// SIGTERM (lambda.WithEnableSIGTERM, an extension with no events) and, on
// SIGTERM, prints "fn: SIGTERM" and exits 0.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action  string          `json:"action"`
	Payload json.RawMessage `json:"payload"`
	Message string          `json:"message"`
	MS      int             `json:"ms"`
	Code    int             `json:"code"`
	Size    int             `json:"size"`
}

// seen is what the "context" action returns.
type seen struct {
	RequestID     string            `json:"requestId"`
	FunctionARN   string            `json:"functionArn"`
	DeadlineMS    int64             `json:"deadlineMs"`
	ClientContext map[string]string `json:"clientContext"`
	TraceID       string            `json:"traceId"`
	Dir           string            `json:"dir"`
	PID           int               `json:"pid"`
	Env           map[string]string `json:"env"`
}

func handle(ctx context.Context, ev event) (any, error) {
	switch ev.Action {
	case "echo":
		return ev.Payload, nil
	case "error":
		return nil, errors.New(ev.Message)
	case "panic":
		panic(ev.Message)
	case "sleep":
		time.Sleep(time.Duration(ev.MS) * time.Millisecond)
		return ev.Payload, nil
	case "exit":
		os.Exit(ev.Code)
	case "spawn":
		out, err := exec.Command("/bin/sh", "-c", "setsid sleep 60 > /dev/null 2>&1 & echo $!").Output()
		if err != nil {
			return nil, err
		}
		return strconv.Atoi(strings.TrimSpace(string(out)))
	case "huge":
		return strings.Repeat("x", ev.Size-2), nil // the quotes make it Size bytes
	case "print":
		lc, _ := lambdacontext.FromContext(ctx)
		custom, _ := json.Marshal(lc.ClientContext.Custom)
		fmt.Printf("fn: %s %s %s\n", lc.AwsRequestID, lc.InvokedFunctionArn, custom)
		return nil, nil
	case "context":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		dir, _ := os.Getwd()
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		return seen{
			RequestID:     lc.AwsRequestID,
			FunctionARN:   lc.InvokedFunctionArn,
			DeadlineMS:    deadline.UnixMilli(),
			ClientContext: lc.ClientContext.Custom,
			TraceID:       os.Getenv("_X_AMZN_TRACE_ID"),
			Dir:           dir,
			PID:           os.Getpid(),
			Env:           env,
		}, nil
	}
	return nil, errors.New("unknown action " + ev.Action)
}

// initError reports an initialization error the way custom runtimes do.
func initError() {
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	body := `{"errorType":"Runtime.TestInit","errorMessage":"init failed on purpose"}`
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err == nil {
		resp.Body.Close()
	}
	os.Exit(1)
}

func main() {
	switch os.Getenv("FN_INIT") {
	case "error":
		initError()
	case "exit":
		os.Exit(3)
	case "sleep":
		ms, _ := strconv.Atoi(os.Getenv("FN_INIT_MS"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	var opts []lambda.Option
	if os.Getenv("FN_SIGTERM") != "" {
		opts = append(opts, lambda.WithEnableSIGTERM(func() {
			fmt.Println("fn: SIGTERM")
			os.Exit(0)
		}))
	}
	lambda.StartWithOptions(handle, opts...)
}

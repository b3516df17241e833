package snapstart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Error types SnapStart's runtime errors carry, as Lambda documents them.
const (
	BeforeSnapshotError = "Runtime.BeforeSnapshotError"
	AfterRestoreError   = "Runtime.AfterRestoreError"
)

// InitType is AWS_LAMBDA_INITIALIZATION_TYPE's value in an environment
// initialized for a snapshot.
const InitType = "snap-start"

// RestoreBudget bounds Hooks.AfterRestore: below Lambda's 10 s limit on the
// restore and its hooks, with room to report a failure.
const RestoreBudget = 9 * time.Second

// Config is where the Runtime API is, read once at cold start.
type Config struct {
	// RuntimeAPI is AWS_LAMBDA_RUNTIME_API: host:port of the Runtime API.
	RuntimeAPI string
}

// ConfigFromEnv returns the SnapStart configuration when
// AWS_LAMBDA_INITIALIZATION_TYPE is "snap-start" (ok true), and ok false for
// any other initialization type. The error names AWS_LAMBDA_RUNTIME_API when
// it is unset under SnapStart.
func ConfigFromEnv(getenv func(string) string) (c Config, ok bool, err error) {
	if getenv("AWS_LAMBDA_INITIALIZATION_TYPE") != InitType {
		return Config{}, false, nil
	}
	c.RuntimeAPI = getenv("AWS_LAMBDA_RUNTIME_API")
	if c.RuntimeAPI == "" {
		return Config{}, false, errors.New("AWS_LAMBDA_RUNTIME_API: unset, and AWS_LAMBDA_INITIALIZATION_TYPE is snap-start")
	}
	return c, true, nil
}

// Hooks are the runtime's work around the snapshot. Either may be nil.
type Hooks struct {
	// BeforeSnapshot runs once init is done; the snapshot is taken after it
	// returns nil.
	BeforeSnapshot func(ctx context.Context) error
	// AfterRestore runs in each restored environment before it takes
	// invocations; its context ends after RestoreBudget.
	AfterRestore func(ctx context.Context) error
	// OnSIGTERM, when set, runs when Lambda shuts the environment down:
	// Run registers an internal extension for it before the snapshot (see
	// onSIGTERM), so the handler must not ask lambda.Start for SIGTERM.
	OnSIGTERM func()
}

// Run runs the SnapStart protocol (see the package documentation) and
// returns once the environment is restored and Hooks.AfterRestore
// succeeded. A hook's error is reported to the Runtime API with its error
// type and returned wrapped; so is a failure of restore/next itself, as an
// init error (Runtime.BeforeSnapshotError): no restore happened.
func Run(ctx context.Context, cfg Config, hooks Hooks) error {
	c := &client{api: "http://" + cfg.RuntimeAPI, http: &http.Client{}}
	if hooks.OnSIGTERM != nil {
		if err := c.onSIGTERM(ctx, hooks.OnSIGTERM); err != nil {
			return c.fail(ctx, "init/error", BeforeSnapshotError, err)
		}
	}
	if hooks.BeforeSnapshot != nil {
		if err := hooks.BeforeSnapshot(ctx); err != nil {
			return c.fail(ctx, "init/error", BeforeSnapshotError, fmt.Errorf("before snapshot: %w", err))
		}
	}
	if err := c.restoreNext(ctx); err != nil {
		// Refused before any restore: the init failed (awslambdaric reports
		// it so too); restore/error is for a restored environment only.
		return c.fail(ctx, "init/error", BeforeSnapshotError, err)
	}
	if hooks.AfterRestore != nil {
		rctx, cancel := context.WithTimeout(ctx, RestoreBudget)
		defer cancel()
		if err := hooks.AfterRestore(rctx); err != nil {
			return c.fail(ctx, "restore/error", AfterRestoreError, fmt.Errorf("after restore: %w", err))
		}
	}
	return nil
}

// Paths of the Runtime API and the Extensions API.
const (
	runtimePath   = "/2018-06-01/runtime/"
	extensionPath = "/2020-01-01/extension/"
)

// client calls the Runtime API's SnapStart endpoints.
type client struct {
	api  string // http://host:port
	http *http.Client
}

// restoreNext calls GET restore/next and waits for its answer: the restore.
// The connection is not reused: it was open across the snapshot.
func (c *client) restoreNext(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.api+runtimePath+"restore/next", nil)
	if err != nil {
		return fmt.Errorf("restore/next: %w", err)
	}
	req.Close = true
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("restore/next: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("restore/next: status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
	}
	return nil
}

// errorDocument is the body of an error posted to the Runtime API.
type errorDocument struct {
	ErrorMessage string   `json:"errorMessage"`
	ErrorType    string   `json:"errorType"`
	StackTrace   []string `json:"stackTrace"`
}

// fail posts cause to path with errorType and returns cause, joined with
// the failure to post it if there was one.
func (c *client) fail(ctx context.Context, path, errorType string, cause error) error {
	doc, _ := json.Marshal(errorDocument{ErrorMessage: cause.Error(), ErrorType: errorType, StackTrace: []string{}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.api+runtimePath+path, bytes.NewReader(doc))
	if err != nil {
		return errors.Join(cause, fmt.Errorf("report it to %s: %w", path, err))
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return errors.Join(cause, fmt.Errorf("report it to %s: %w", path, err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusAccepted {
		return errors.Join(cause, fmt.Errorf("report it to %s: status %d", path, resp.StatusCode))
	}
	return &ReportedError{Type: errorType, Err: cause}
}

// ReportedError is Run's error once it was posted to the Runtime API.
type ReportedError struct {
	Type string // BeforeSnapshotError or AfterRestoreError
	Err  error
}

// Error returns "Type: Err".
func (e *ReportedError) Error() string { return e.Type + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *ReportedError) Unwrap() error { return e.Err }

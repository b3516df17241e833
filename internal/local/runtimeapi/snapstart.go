package runtimeapi

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/djfront/djfront/internal/lambdalimit"
	"github.com/djfront/djfront/internal/local/proctree"
)

// RestoreTimeout is Lambda's limit on a SnapStart restore: from the restore
// until the runtime asks for its first invocation, its after-restore hooks
// included.
const RestoreTimeout = 10 * time.Second

// SnapStartInitTimeout is Lambda's limit on the init phase of a SnapStart
// function, unless its timeout is longer.
const SnapStartInitTimeout = 130 * time.Second

// defaultInitTimeout is fn's limit on the init phase (see Function.InitTimeout).
func (fn Function) defaultInitTimeout() time.Duration {
	if fn.SnapStart != nil {
		return max(SnapStartInitTimeout, fn.Timeout)
	}
	return InitTimeout
}

// SnapStart makes a Function's environments start as Lambda SnapStart's
// do (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-custom.html):
// the runtime sees AWS_LAMBDA_INITIALIZATION_TYPE=snap-start; its init ends
// when it calls GET /runtime/restore/next (the snapshot), which answers
// only once the environment is restored; every process of the environment
// is stopped (SIGSTOP) in between, for Freeze, as a snapshot is restored
// minutes to days later; then the runtime has RestoreTimeout to ask for its
// first invocation, or it may post /runtime/restore/error. No invocation is
// handed over before that. An environment whose runtime asks for an
// invocation without calling restore/next fails to start, as Lambda refuses
// to publish a version of a runtime that does not implement it.
type SnapStart struct {
	// Freeze is how long the environment stays stopped between the
	// snapshot and the restore.
	Freeze time.Duration
}

// Restore is one SnapStart snapshot and restore of an environment.
type Restore struct {
	Snapshot time.Time     // when the runtime called restore/next
	Frozen   int           // how many processes were stopped
	Restored time.Time     // when restore/next answered
	Duration time.Duration // from Restored to the first invocation/next, or the failure
	Status   string        // StatusSuccess, StatusError or StatusTimeout
	Error    *FunctionError
}

// snapAPI is the SnapStart part of one environment's Runtime API.
type snapAPI struct {
	called   chan struct{} // closed when restore/next is called
	restored chan struct{} // closed by the Server: restore/next answers
	failed   chan struct{} // closed when the runtime posts restore/error
	asked    chan struct{} // closed at the first invocation/next after the restore

	mu       sync.Mutex
	snapshot time.Time
	err      *FunctionError
	once     sync.Once // asked
}

// serveSnapStart adds the SnapStart endpoints to a's Runtime API.
func (a *runtimeAPI) serveSnapStart() {
	a.snap = &snapAPI{called: make(chan struct{}), restored: make(chan struct{}), failed: make(chan struct{}), asked: make(chan struct{})}
	const prefix = "/2018-06-01/runtime/"
	a.mux.HandleFunc("GET "+prefix+"restore/next", a.restoreNext)
	a.mux.HandleFunc("POST "+prefix+"restore/error", a.restoreError)
}

// restoreNext serves GET /runtime/restore/next: it ends the init (the
// snapshot) and answers once the Server restored the environment.
func (a *runtimeAPI) restoreNext(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	if a.initErr != nil || a.started {
		a.mu.Unlock()
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "restore/next is allowed once, at the end of init")
		return
	}
	a.started = true
	a.snap.mu.Lock()
	a.snap.snapshot = time.Now()
	a.snap.mu.Unlock()
	close(a.snap.called)
	a.initDone()
	a.mu.Unlock()
	select {
	case <-a.snap.restored:
		w.WriteHeader(http.StatusOK)
	case <-r.Context().Done():
	}
}

// restoreError serves POST /runtime/restore/error, allowed once, after the
// restore and before the first invocation/next.
func (a *runtimeAPI) restoreError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, lambdalimit.MaxResponse))
	if err != nil {
		writeError(w, http.StatusBadRequest, "TruncatedHTTPRequest", "reading the request body: "+err.Error())
		return
	}
	s := a.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	_, restored := received(s.restored)
	_, asked := received(s.asked)
	if !restored || asked || s.err != nil {
		writeError(w, http.StatusForbidden, "InvalidStateTransition", "restore/error is allowed once, after the restore and before the first invocation")
		return
	}
	s.err = parseFunctionError(body, r.Header.Get(headerErrorType))
	close(s.failed)
	writeAccepted(w)
}

// askedForInvocation records an invocation/next: under SnapStart the first
// one after the restore ends it.
func (a *runtimeAPI) askedForInvocation() {
	if a.snap != nil {
		a.snap.once.Do(func() { close(a.snap.asked) })
	}
}

// snapshotAndRestore takes env, whose init just ended, through SnapStart's
// snapshot and restore (see SnapStart) and records it. The *FunctionError
// is the restore's failure; the error is a runtime that does not speak the
// protocol.
func (s *Server) snapshotAndRestore(env *environment) (*FunctionError, error) {
	snap := env.api.snap
	if _, ok := received(snap.called); !ok {
		return nil, fmt.Errorf("runtimeapi: SnapStart: the runtime asked for an invocation without calling restore/next")
	}
	frozen := proctree.StopSandbox(env.proc.Pid(), env.marker)
	fmt.Fprintf(s.logs, "SNAPSHOT Processes: %d\tFreeze: %s\n", len(frozen), s.fn.SnapStart.Freeze)
	time.Sleep(s.fn.SnapStart.Freeze)
	proctree.ContinueSandbox(frozen)
	rec := Restore{Frozen: len(frozen), Restored: time.Now(), Status: StatusError}
	snap.mu.Lock()
	rec.Snapshot = snap.snapshot
	snap.mu.Unlock()
	close(snap.restored)

	timer := time.NewTimer(RestoreTimeout)
	defer timer.Stop()
	select {
	case <-snap.asked:
		rec.Status = StatusSuccess
	case <-snap.failed:
		snap.mu.Lock()
		rec.Error = snap.err
		snap.mu.Unlock()
	case <-env.proc.Exited():
		rec.Error = errorResult("", "Runtime.ExitError", exitReason(env.proc.Err())).Error
	case <-timer.C:
		rec.Status = StatusTimeout
		rec.Error = errorResult("", "Sandbox.Timedout", fmt.Sprintf("Restore timed out after %.2f seconds", RestoreTimeout.Seconds())).Error
	}
	rec.Duration = time.Since(rec.Restored)
	s.mu.Lock()
	s.restores = append(s.restores, rec)
	s.mu.Unlock()
	fmt.Fprintf(s.logs, "RESTORE_REPORT Restore Duration: %.2f ms\tStatus: %s\n", float64(rec.Duration)/float64(time.Millisecond), rec.Status)
	return rec.Error, nil
}

// Restores returns every SnapStart snapshot and restore so far, in order.
func (s *Server) Restores() []Restore {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Restore(nil), s.restores...)
}

// initType is AWS_LAMBDA_INITIALIZATION_TYPE's value for fn.
func (fn Function) initType() string {
	if fn.SnapStart != nil {
		return "snap-start"
	}
	return "on-demand"
}

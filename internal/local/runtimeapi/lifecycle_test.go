package runtimeapi_test

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/childproc"
	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

// The phases around invocations: init with its limit and the suppressed
// init, re-init after the runtime exits, and shutdown with and without an
// extension.

func startFn(t *testing.T, fn runtimeapi.Function) (*runtimeapi.Server, *childproc.Tail) {
	t.Helper()
	logs := childproc.NewTail(1 << 20)
	fn.Binary, fn.Logs = testenv.BuildBootstrap(t, fnPackage), logs
	srv, err := runtimeapi.Start(t.Context(), fn)
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, logs)
	}
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("logs:\n%s", logs)
		}
	})
	return srv, logs
}

func phases(inits []runtimeapi.Init) string {
	var s []string
	for _, in := range inits {
		s = append(s, in.Phase+":"+in.Status)
	}
	return strings.Join(s, " ")
}

func TestSuppressedInit(t *testing.T) {
	testenv.Integration(t)
	tests := []struct {
		name       string
		initMS     int
		timeout    time.Duration
		wantInits  string
		wantResult string // payload, or the error type
	}{
		{"init within the limit", 100, 5 * time.Second, "init:success", `"ok"`},
		{"re-run inside the first invocation", 1500, 5 * time.Second, "init:timeout invoke:success", `"ok"`},
		{"re-run past the function timeout", 5000, 1500 * time.Millisecond, "init:timeout invoke:timeout", "Sandbox.Timedout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, logs := startFn(t, runtimeapi.Function{
				Env:         []string{"FN_INIT=sleep", "FN_INIT_MS=" + strconv.Itoa(tt.initMS)},
				InitTimeout: time.Second,
				Timeout:     tt.timeout,
			})
			res := invoke(t, srv, `{"action":"echo","payload":"ok"}`)
			got := string(res.Payload)
			if res.Error != nil {
				got = res.Error.Type
			}
			if got != tt.wantResult {
				t.Errorf("first invocation: got %s (%v), want %s", got, res.Error, tt.wantResult)
			}
			if got := phases(srv.Inits()); got != tt.wantInits {
				t.Errorf("inits %q, want %q", got, tt.wantInits)
			}
			if n := strings.Count(logs.String(), "INIT_REPORT"); n != len(srv.Inits()) {
				t.Errorf("%d INIT_REPORT lines for %d inits", n, len(srv.Inits()))
			}
		})
	}
}

func TestReinitAfterExit(t *testing.T) {
	testenv.Integration(t)
	srv, _ := startFn(t, runtimeapi.Function{})
	before := invokeContext(t, srv).PID
	invoke(t, srv, `{"action":"exit","code":2}`)
	if after := invokeContext(t, srv).PID; after == before {
		t.Errorf("served by pid %d after the runtime exited, want a new runtime", after)
	}
	if got, want := phases(srv.Inits()), "init:success init:success"; got != want {
		t.Errorf("inits %q, want %q", got, want)
	}
}

// TestRecycle: a recycled function runs in a new environment, started with
// a cold start before Recycle returns, and the old one is shut down as at
// Close — its runtime and whatever it spawned gone, SIGTERM first when an
// extension is registered.
func TestRecycle(t *testing.T) {
	testenv.Integration(t)
	srv, logs := startFn(t, runtimeapi.Function{Env: []string{"FN_SIGTERM=1"}})
	before := invokeContext(t, srv).PID
	if got := srv.RuntimePid(); got != before {
		t.Errorf("RuntimePid() = %d, want %d, the pid that served", got, before)
	}
	res := invoke(t, srv, `{"action":"spawn"}`)
	daemon, err := strconv.Atoi(string(res.Payload))
	if err != nil {
		t.Fatalf("spawn: %s %v", res.Payload, res.Error)
	}
	if err := srv.Recycle(t.Context()); err != nil {
		t.Fatalf("Recycle: %v", err)
	}
	if got, want := phases(srv.Inits()), "init:success init:success"; got != want {
		t.Errorf("inits after Recycle %q, want %q (the new environment started at once)", got, want)
	}
	for name, p := range map[string]int{"old runtime": before, "its daemon": daemon} {
		if !gone(p) {
			t.Errorf("%s %d outlived Recycle", name, p)
		}
	}
	if !strings.Contains(logs.String(), "fn: SIGTERM") {
		t.Error("the old runtime got no SIGTERM, though it registered an extension")
	}
	if after := invokeContext(t, srv).PID; after == before || after != srv.RuntimePid() {
		t.Errorf("served by pid %d after Recycle (RuntimePid %d), want a new runtime, not %d", after, srv.RuntimePid(), before)
	}
}

func TestShutdown(t *testing.T) {
	testenv.Integration(t)
	tests := []struct {
		name        string
		env         []string
		wantSIGTERM bool
	}{
		{"no extension: SIGKILL alone", nil, false},
		{"extension registered: SIGTERM first", []string{"FN_SIGTERM=1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, logs := startFn(t, runtimeapi.Function{Env: tt.env})
			pid := invokeContext(t, srv).PID
			res := invoke(t, srv, `{"action":"spawn"}`)
			daemon, err := strconv.Atoi(string(res.Payload))
			if err != nil {
				t.Fatalf("spawn: %s %v", res.Payload, res.Error)
			}
			srv.Close()
			if got := strings.Contains(logs.String(), "fn: SIGTERM"); got != tt.wantSIGTERM {
				t.Errorf("runtime got SIGTERM: %v, want %v", got, tt.wantSIGTERM)
			}
			for name, p := range map[string]int{"runtime": pid, "daemon": daemon} {
				if gone(p) {
					continue
				}
				t.Errorf("%s %d outlived Close", name, p)
			}
		})
	}
}

// gone reports whether pid has ended (or is a zombie), waiting a moment for
// whoever inherited it to reap it.
func gone(pid int) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return true
		}
	}
	return false
}

package snapstart_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/snapstart"
)

// runtimeAPI is a Runtime API stand-in that records the calls it got, and
// the hooks' runs, in one ordered log.
type runtimeAPI struct {
	mu            sync.Mutex
	log           []string
	restoreStatus int
}

func (r *runtimeAPI) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

func (r *runtimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	entry := req.Method + " " + strings.TrimPrefix(req.URL.Path, "/2018-06-01/runtime/")
	if t := req.Header.Get("Lambda-Runtime-Function-Error-Type"); t != "" {
		entry += " " + t
		if !strings.Contains(string(body), `"errorType":"`+t+`"`) {
			entry += " (body without errorType)"
		}
	}
	r.add(entry)
	switch {
	case req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/restore/next"):
		w.WriteHeader(r.restoreStatus)
	case req.Method == http.MethodPost:
		w.WriteHeader(http.StatusAccepted)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestRun(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name          string
		restoreStatus int
		beforeErr     error
		afterErr      error
		wantLog       []string
		wantType      string // the ReportedError's type; "" for success
	}{
		{"success", 200, nil, nil, []string{"before", "GET restore/next", "after"}, ""},
		{"before snapshot fails", 200, boom, nil,
			[]string{"before", "POST init/error Runtime.BeforeSnapshotError"}, snapstart.BeforeSnapshotError},
		{"after restore fails", 200, nil, boom,
			[]string{"before", "GET restore/next", "after", "POST restore/error Runtime.AfterRestoreError"}, snapstart.AfterRestoreError},
		{"restore/next refused", 500, nil, nil,
			[]string{"before", "GET restore/next", "POST init/error Runtime.BeforeSnapshotError"}, snapstart.BeforeSnapshotError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &runtimeAPI{restoreStatus: tt.restoreStatus}
			srv := httptest.NewServer(api)
			defer srv.Close()
			hooks := snapstart.Hooks{
				BeforeSnapshot: func(context.Context) error { api.add("before"); return tt.beforeErr },
				AfterRestore:   func(context.Context) error { api.add("after"); return tt.afterErr },
			}
			err := snapstart.Run(context.Background(), snapstart.Config{RuntimeAPI: strings.TrimPrefix(srv.URL, "http://")}, hooks)
			if !slices.Equal(api.log, tt.wantLog) {
				t.Errorf("calls: got %q, want %q", api.log, tt.wantLog)
			}
			var reported *snapstart.ReportedError
			switch {
			case tt.wantType == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.wantType != "" && (!errors.As(err, &reported) || reported.Type != tt.wantType):
				t.Errorf("got error %v, want a ReportedError of type %s", err, tt.wantType)
			}
			if tt.beforeErr != nil && !errors.Is(err, boom) || tt.afterErr != nil && !errors.Is(err, boom) {
				t.Errorf("got error %v, want it to wrap the hook's", err)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantOK  bool
		wantErr string
	}{
		{"on-demand", map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, false, ""},
		{"unset", map[string]string{}, false, ""},
		{"snap-start", map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001"}, true, ""},
		{"snap-start without the API", map[string]string{"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}, false,
			"AWS_LAMBDA_RUNTIME_API: unset, and AWS_LAMBDA_INITIALIZATION_TYPE is snap-start"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok, err := snapstart.ConfigFromEnv(func(k string) string { return tt.env[k] })
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if ok != tt.wantOK || gotErr != tt.wantErr {
				t.Fatalf("got ok %v, error %q; want ok %v, error %q", ok, gotErr, tt.wantOK, tt.wantErr)
			}
			if ok && c.RuntimeAPI != tt.env["AWS_LAMBDA_RUNTIME_API"] {
				t.Errorf("RuntimeAPI: got %q, want %q", c.RuntimeAPI, tt.env["AWS_LAMBDA_RUNTIME_API"])
			}
		})
	}
}

// TestOnSIGTERM: the extension that makes Lambda send SIGTERM is registered
// before the snapshot (afterwards Lambda refuses it), its init ended with
// event/next, and SIGTERM then runs OnSIGTERM.
func TestOnSIGTERM(t *testing.T) {
	api := &runtimeAPI{restoreStatus: 200}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2020-01-01/extension/register", func(w http.ResponseWriter, r *http.Request) {
		api.add("register " + r.Header.Get("Lambda-Extension-Name"))
		w.Header().Set("Lambda-Extension-Identifier", "ext-1")
	})
	mux.HandleFunc("GET /2020-01-01/extension/event/next", func(w http.ResponseWriter, r *http.Request) {
		api.add("event/next " + r.Header.Get("Lambda-Extension-Identifier"))
		<-r.Context().Done() // no events: it answers at shutdown only
	})
	mux.Handle("/", api)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer srv.CloseClientConnections()

	stopped := make(chan struct{})
	hooks := snapstart.Hooks{
		BeforeSnapshot: func(context.Context) error { api.add("before"); return nil },
		OnSIGTERM:      func() { close(stopped) },
	}
	if err := snapstart.Run(context.Background(), snapstart.Config{RuntimeAPI: strings.TrimPrefix(srv.URL, "http://")}, hooks); err != nil {
		t.Fatal(err)
	}
	var log []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		api.mu.Lock()
		log = slices.Clone(api.log) // event/next is sent in the background: it blocks
		api.mu.Unlock()
		if slices.Contains(log, "event/next ext-1") {
			break
		}
	}
	if len(log) < 4 || log[0] != "register djfront-sigterm" || !slices.Contains(log, "event/next ext-1") ||
		slices.Index(log, "before") > slices.Index(log, "GET restore/next") {
		t.Errorf("calls: got %q, want the registration first, event/next, the hook, then restore/next", log)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("SIGTERM did not run OnSIGTERM")
	}
}

// A restore/next that fails answered before any restore
// (no snapshot was taken), so the failure is the init's. AWS's own runtime
// client (awslambdaric bootstrap.on_init_complete) runs the before-snapshot
// hooks and restore/next in one block and posts either's failure to
// /runtime/init/error as Runtime.BeforeSnapshotError; /runtime/restore/error
// is only allowed after a restore.
func TestRestoreNextRefusedIsAnInitError(t *testing.T) {
	api := &runtimeAPI{restoreStatus: 500}
	srv := httptest.NewServer(api)
	defer srv.Close()
	err := snapstart.Run(context.Background(), snapstart.Config{RuntimeAPI: strings.TrimPrefix(srv.URL, "http://")}, snapstart.Hooks{})
	want := []string{"GET restore/next", "POST init/error Runtime.BeforeSnapshotError"}
	if !slices.Equal(api.log, want) {
		t.Errorf("calls: got %q, want %q", api.log, want)
	}
	var reported *snapstart.ReportedError
	if !errors.As(err, &reported) || reported.Type != snapstart.BeforeSnapshotError {
		t.Errorf("got error %v, want a ReportedError of type %s", err, snapstart.BeforeSnapshotError)
	}
}

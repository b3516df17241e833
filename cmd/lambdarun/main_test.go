package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/runtimeapi"
	"github.com/djfront/djfront/internal/local/testenv"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    config
		wantErr string
	}{
		{
			name: "defaults",
			args: []string{"-binary", "bin/bootstrap"},
			want: config{listen: "127.0.0.1:9000", fn: runtimeapi.Function{Binary: "bin/bootstrap", Name: "function", Timeout: 3 * time.Second, MemoryMB: 128}},
		},
		{
			name: "everything",
			args: []string{"-binary", "b", "-name", "hf", "-listen", "127.0.0.1:0", "-timeout", "30s", "-memory", "512",
				"-env", "A=1", "-env", "B=x=y", "-event", "ev.json"},
			want: config{listen: "127.0.0.1:0", event: "ev.json", fn: runtimeapi.Function{Binary: "b", Name: "hf", Timeout: 30 * time.Second,
				MemoryMB: 512, Env: []string{"A=1", "B=x=y"}}},
		},
		{name: "no binary", args: []string{"-name", "x"}, wantErr: "-binary is required"},
		{name: "bad env", args: []string{"-binary", "b", "-env", "NOEQUALS"}, wantErr: `invalid value "NOEQUALS" for flag -env: want KEY=VALUE`},
		{name: "empty env key", args: []string{"-binary", "b", "-env", "=v"}, wantErr: `invalid value "=v" for flag -env: want KEY=VALUE`},
		{name: "extra argument", args: []string{"-binary", "b", "extra"}, wantErr: `unexpected arguments: ["extra"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("got %v, want flag.ErrHelp", err)
		}
	})
}

const fnPackage = "./internal/local/runtimeapi/testdata/fn"

func TestEvent(t *testing.T) {
	testenv.Integration(t)
	bin := testenv.BuildBootstrap(t, fnPackage)
	tests := []struct {
		name      string
		event     string
		stdin     bool
		wantOut   string
		wantError string // the FunctionError's type
	}{
		{name: "response", event: `{"action":"echo","payload":{"a":1}}`, wantOut: "{\"a\":1}\n"},
		{name: "from stdin", event: `{"action":"echo","payload":"in"}`, stdin: true, wantOut: "\"in\"\n"},
		{name: "function error", event: `{"action":"error","message":"no"}`,
			wantOut: "{\"errorMessage\":\"no\",\"errorType\":\"errorString\"}\n", wantError: "errorString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file, stdin := "-", strings.NewReader(tt.event)
			if !tt.stdin {
				file = filepath.Join(t.TempDir(), "event.json")
				if err := os.WriteFile(file, []byte(tt.event), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), []string{"-binary", bin, "-event", file}, stdin, &stdout, &stderr)
			var fe *runtimeapi.FunctionError
			switch {
			case tt.wantError == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.wantError != "" && (!errors.As(err, &fe) || fe.Type != tt.wantError):
				t.Errorf("got error %v, want a FunctionError of type %s", err, tt.wantError)
			}
			if stdout.String() != tt.wantOut {
				t.Errorf("got stdout %q, want %q", stdout.String(), tt.wantOut)
			}
			if !strings.Contains(stderr.String(), "START RequestId: ") {
				t.Errorf("stderr has no START line: %q", stderr.String())
			}
		})
	}
	t.Run("missing event file", func(t *testing.T) {
		err := run(t.Context(), []string{"-binary", bin, "-event", filepath.Join(t.TempDir(), "none.json")}, nil, io.Discard, io.Discard)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v, want ErrNotExist", err)
		}
	})
}

// signalWriter reports on ready when a write contains mark.
type signalWriter struct {
	mark  string
	ready chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(w.mark)) {
		select {
		case w.ready <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func TestServe(t *testing.T) {
	testenv.Integration(t)
	bin := testenv.BuildBootstrap(t, fnPackage)
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	stderr := &signalWriter{mark: `"msg":"serving"`, ready: make(chan struct{}, 1)}

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-binary", bin, "-listen", addr, "-name", "served"}, nil, io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-stderr.ready:
	case err := <-done:
		t.Fatalf("run ended before serving: %v", err)
	}

	resp, err := http.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json",
		strings.NewReader(`{"action":"context"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var seen struct {
		FunctionARN string `json:"functionArn"`
		PID         int    `json:"pid"`
	}
	if err := json.Unmarshal(body, &seen); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("got %d %s, want 200 and the function's view of its invocation", resp.StatusCode, body)
	}
	if want := "arn:aws:lambda:us-east-1:123456789012:function:served"; seen.FunctionARN != want {
		t.Errorf("function ARN: got %s, want %s", seen.FunctionARN, want)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after the signal: got %v, want nil", err)
	}
	if err := syscall.Kill(seen.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("function process %d after shutdown: kill(pid, 0) = %v, want ESRCH", seen.PID, err)
	}
	done <- nil // for the cleanup
}

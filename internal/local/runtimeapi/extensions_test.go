package runtimeapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

const extBase = "/2020-01-01/extension/"

func TestRegisterExtension(t *testing.T) {
	named := http.Header{"Lambda-Extension-Name": {"GoLangEnableSIGTERM"}}
	tests := []struct {
		name       string
		header     http.Header
		body       string
		wantStatus int
		wantType   string
	}{
		{"no events", named, `{"events": []}`, http.StatusOK, ""},
		{"events omitted", named, `{}`, http.StatusOK, ""},
		{"no name", nil, `{"events": []}`, http.StatusBadRequest, "InvalidRequest"},
		{"not JSON", named, `events`, http.StatusBadRequest, "InvalidRequest"},
		{"events not delivered here", named, `{"events": ["INVOKE", "SHUTDOWN"]}`, http.StatusBadRequest, "InvalidRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := fakeEnvironment(t)
			got := do(t, "POST", url[:len(url)-len(base)]+extBase+"register", tt.header, []byte(tt.body))
			if got.status != tt.wantStatus {
				t.Fatalf("status %d %s, want %d", got.status, got.body, tt.wantStatus)
			}
			if tt.wantStatus == http.StatusOK {
				if got.header.Get("Lambda-Extension-Identifier") == "" {
					t.Error("no Lambda-Extension-Identifier")
				}
				if want := `{"functionName":"fn","functionVersion":"$LATEST","handler":"bootstrap"}`; got.body != want {
					t.Errorf("body %s, want %s", got.body, want)
				}
				return
			}
			if want := `"errorType":"` + tt.wantType + `"`; !strings.Contains(got.body, want) {
				t.Errorf("body %s, want %s", got.body, want)
			}
		})
	}
}

// TestInitWaitsForExtensions checks that init ends only when the runtime and
// every registered extension have asked for their first event, and that
// registration closes with init.
func TestInitWaitsForExtensions(t *testing.T) {
	api, url := fakeEnvironment(t)
	root := url[:len(url)-len(base)]
	reg := do(t, "POST", root+extBase+"register", http.Header{"Lambda-Extension-Name": {"x"}}, []byte(`{"events":[]}`))
	id := reg.header.Get("Lambda-Extension-Identifier")

	hold(t, url+"invocation/next", nil) // the runtime: blocks until an invocation
	time.Sleep(50 * time.Millisecond)
	if _, ok := received(api.ready); ok {
		t.Fatal("init done while a registered extension has not asked for an event")
	}
	if got := do(t, "GET", root+extBase+"event/next", http.Header{"Lambda-Extension-Identifier": {"unknown"}}, nil); got.status != http.StatusForbidden {
		t.Errorf("next with an unknown id: %d, want 403", got.status)
	}
	hold(t, root+extBase+"event/next", http.Header{"Lambda-Extension-Identifier": {id}}) // blocks: no events
	select {
	case <-api.ready:
	case <-time.After(5 * time.Second):
		t.Fatal("init not done after the extension asked for its first event")
	}
	if n := api.extensionCount(); n != 1 {
		t.Errorf("extensionCount() = %d, want 1", n)
	}
	late := do(t, "POST", root+extBase+"register", http.Header{"Lambda-Extension-Name": {"late"}}, []byte(`{"events":[]}`))
	if late.status != http.StatusForbidden {
		t.Errorf("register after init: %d %s, want 403", late.status, late.body)
	}
}

// hold makes a GET that blocks, abandoned when the test ends (before the
// server closes, which waits for its requests).
func hold(t *testing.T, url string, header http.Header) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
}

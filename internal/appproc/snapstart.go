package appproc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

const (
	// DefaultHookPath is UPSTREAM_SNAPSTART_PATH's default: where
	// djfront.urls serves its SnapStart hooks when mounted at /djfront/.
	DefaultHookPath = "/djfront/snapstart/"
	// HookTokenEnv is the app's variable holding Config.HookToken.
	HookTokenEnv = "DJFRONT_SNAPSTART_TOKEN"
	// HookPathEnv is the app's variable holding Config.HookPath, where
	// djfront's UpstreamVerifyMiddleware answers the hooks before any other
	// middleware or the URLconf sees the request.
	HookPathEnv = "DJFRONT_SNAPSTART_PATH"
	// HookTokenHeader carries Config.HookToken on App.Hook's requests.
	HookTokenHeader = "X-Djfront-Snapstart-Token"
	// Hook phases, the last segment of a hook's path.
	BeforeSnapshot = "before-snapshot"
	AfterRestore   = "after-restore"
	// SnapStartInitBudget is how long, from process start, the init of an
	// environment made for a snapshot waits for the app to be ready: below
	// Lambda's 130 s SnapStart init limit (the function's timeout is not
	// known to the runtime, so the lower bound is used).
	SnapStartInitBudget = 125 * time.Second
	// maxHookAnswer is how much of a failed hook's answer is quoted.
	maxHookAnswer = 512
)

// NewHookToken returns a random token for Config.HookToken: 32 bytes, hex.
// It lives in the app's environment only, so nothing outside the execution
// environment can call the hooks.
func NewHookToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// parseHookPath checks that v is an absolute path ending in a slash.
func parseHookPath(v string) (string, error) {
	if _, err := parseReadyPath(v); err != nil || strings.Contains(v, "?") || !strings.HasSuffix(v, "/") {
		return "", fmt.Errorf(`want a path ending in "/" like %s, or "off", got %q`, DefaultHookPath, v)
	}
	return v, nil
}

// AwaitReady returns once the app is ready (restarting one that hangs at
// boot, as for a request), or an error if it exits first or ctx ends.
func (a *App) AwaitReady(ctx context.Context) error {
	_, err := a.await(ctx)
	return err
}

// Hook asks the app to run its hooks of phase (BeforeSnapshot or
// AfterRestore): a POST to Config.HookPath + phase + "/" with the ready
// host, header (the caller's credentials) and HookTokenHeader, on a
// connection closed once answered. Any status but 200 is an error quoting
// the answer (and a redirect's Location). Without a HookPath it does nothing
// but this: Hook(BeforeSnapshot) marks the app's current process as the one
// the snapshot holds, which Revive compares with after the restore.
func (a *App) Hook(ctx context.Context, phase string, header http.Header) error {
	if phase == BeforeSnapshot {
		a.mu.Lock()
		a.snapped = a.cur
		a.mu.Unlock()
	}
	if a.cfg.HookPath == "" {
		return nil
	}
	path := a.cfg.HookPath + phase + "/"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.URL.String()+path, http.NoBody)
	if err != nil {
		return fmt.Errorf("the app's %s hook: %w", phase, err)
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set(HookTokenHeader, a.cfg.HookToken)
	if a.cfg.ReadyHost != "" {
		req.Host = a.cfg.ReadyHost
	}
	start := time.Now()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("the app's %s hook, POST %s: %w", phase, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxHookAnswer))
	if resp.StatusCode != http.StatusOK {
		hint := ""
		switch loc := resp.Header.Get("Location"); {
		case resp.StatusCode == http.StatusNotFound:
			hint = ` (mount djfront.urls at /djfront/, set UPSTREAM_SNAPSTART_PATH, or set it to "off" for an app without hooks)`
		case loc != "":
			hint = fmt.Sprintf(" to %q (put djfront's UpstreamVerifyMiddleware first in MIDDLEWARE: it answers the hooks before anything redirects)", loc)
		}
		return fmt.Errorf("the app's %s hook, POST %s: status %d%s: %s", phase, path, resp.StatusCode, hint, bytes.TrimSpace(body))
	}
	a.log.Info("app hook done", slog.String("phase", phase), slog.Int64("duration_ms", time.Since(start).Milliseconds()))
	return nil
}

// Revive checks, after a restore, that the app still answers its ready
// path (see check), and starts it again if it exited or does not answer: a
// clean restart, whose boot the first request waits for. restarted reports
// whether it did; then the app's after-restore hooks need not run, as the
// new app did not live through the snapshot.
//
// The process compared with is the one Hook(BeforeSnapshot) marked, not the
// current one: the app's supervisor may have restarted a process that died
// while frozen before Revive runs, and that new process never ran the
// before-snapshot hooks (Django's after-restore hook refuses it, 409).
func (a *App) Revive(ctx context.Context) (restarted bool, err error) {
	a.mu.Lock()
	before := a.snapped
	if before == nil {
		before = a.cur
	}
	a.mu.Unlock()
	inst, err := a.current()
	if err == nil && inst == before {
		inst, err = a.check(ctx, inst, "the restore")
	}
	if err != nil {
		return false, err
	}
	if inst != before {
		a.log.Warn("app restarted after the restore", slog.Int("old_pid", before.p.Pid()), slog.Int("pid", inst.p.Pid()))
		return true, nil
	}
	return false, nil
}

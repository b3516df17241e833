package snapstart

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// extensionName is the internal extension Run registers for SIGTERM.
const extensionName = "djfront-sigterm"

// onSIGTERM registers an internal extension that subscribes to no events
// — the only way to have Lambda send SIGTERM (not just SIGKILL) at shutdown
// — and runs f on SIGTERM. It must run during init: aws-lambda-go's
// lambda.WithEnableSIGTERM registers when the loop starts, which under
// SnapStart is after the restore, when registering is no longer allowed.
func (c *client) onSIGTERM(ctx context.Context, f func()) error {
	base := c.api + extensionPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"register", bytes.NewReader([]byte(`{"events":[]}`)))
	if err != nil {
		return fmt.Errorf("register for SIGTERM: %w", err)
	}
	req.Header.Set("Lambda-Extension-Name", extensionName)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("register for SIGTERM: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	id := resp.Header.Get("Lambda-Extension-Identifier")
	if resp.StatusCode != http.StatusOK || id == "" {
		return fmt.Errorf("register for SIGTERM: status %d", resp.StatusCode)
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)
	go func() {
		<-signals
		f()
	}()
	next, err := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodGet, base+"event/next", nil)
	if err != nil {
		return fmt.Errorf("register for SIGTERM: %w", err)
	}
	next.Header.Set("Lambda-Extension-Identifier", id)
	// With no events subscribed, event/next answers only at shutdown; the
	// call ends the extension's init.
	go func() {
		if resp, err := c.http.Do(next); err == nil {
			resp.Body.Close()
		}
	}()
	return nil
}

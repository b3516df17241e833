package hostforward

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/djfront/djfront/internal/appproc"
	"github.com/djfront/djfront/internal/snapstart"
)

// snapApp is the in-function app as snapStart sees it.
type snapApp struct {
	app  *appproc.App
	stop func() // stops the app and exits, on Lambda's SIGTERM
}

// snapStart runs the SnapStart protocol (package snapstart) once the
// Handler h is built, and returns once the environment is restored and ready
// for invocations. Before the snapshot: the app is ready (waiting up to
// appproc.SnapStartInitBudget from process start: no early end of init as
// with async init), it ran its before-snapshot hooks (djfront closes its
// database connections), and no keep-alive connection to it is left in
// transport. After the restore: transport's connections are dropped again
// (whatever the snapshot kept is dead), the app is checked to still answer
// — one that exited or hangs is started again, a clean restart whose boot
// the first request waits for — and a surviving app runs its after-restore
// hooks (djfront reseeds random). A hook's failure fails the init or the
// restore (snapstart.Run reports it). app is nil without the in-function app.
func snapStart(ctx context.Context, cfg snapstart.Config, h *Handler, transport *http.Transport, app *snapApp, logger *slog.Logger) error {
	hooks := snapstart.Hooks{
		BeforeSnapshot: func(context.Context) error {
			transport.CloseIdleConnections()
			return nil
		},
		AfterRestore: func(context.Context) error {
			transport.CloseIdleConnections()
			return nil
		},
	}
	if app != nil {
		hooks.BeforeSnapshot = func(ctx context.Context) error {
			return beforeSnapshot(ctx, h, transport, app.app, logger)
		}
		hooks.AfterRestore = func(ctx context.Context) error {
			return afterRestore(ctx, h, transport, app.app, logger)
		}
		hooks.OnSIGTERM = app.stop
	}
	return snapstart.Run(ctx, cfg, hooks)
}

// beforeSnapshot readies the app for the snapshot (see snapStart).
func beforeSnapshot(ctx context.Context, h *Handler, transport *http.Transport, app *appproc.App, logger *slog.Logger) error {
	ctx, cancel := context.WithDeadline(ctx, appproc.ProcessStart().Add(appproc.SnapStartInitBudget))
	defer cancel()
	if err := app.AwaitReady(ctx); err != nil {
		return fmt.Errorf("the app is not ready: %w", err)
	}
	if err := app.Hook(ctx, appproc.BeforeSnapshot, h.appHeader(ctx)); err != nil {
		return err
	}
	transport.CloseIdleConnections()
	logger.Info("ready for the snapshot")
	return nil
}

// afterRestore readies a restored environment for invocations (see
// snapStart).
func afterRestore(ctx context.Context, h *Handler, transport *http.Transport, app *appproc.App, logger *slog.Logger) error {
	transport.CloseIdleConnections()
	restarted, err := app.Revive(ctx)
	if err != nil {
		return err
	}
	if !restarted {
		if err := app.Hook(ctx, appproc.AfterRestore, h.appHeader(ctx)); err != nil {
			return err
		}
	}
	logger.Info("restored", slog.Bool("app_restarted", restarted))
	return nil
}

// appHeader returns the credential the app checks on every request
// (X-Upstream-Verify), for requests hostforward makes of its own.
func (h *Handler) appHeader(ctx context.Context) http.Header {
	hdr := http.Header{}
	if h.creds.upstream != nil {
		hdr.Set(headerUpstreamVerify, h.creds.upstream.Current(ctx))
	}
	return hdr
}

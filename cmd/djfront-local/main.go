// Command djfront-local runs the whole djfront chain on loopback, with the
// moto server standing in for AWS, and walks a tour through it:
//
//	viewer ──https──▶ local edge (CloudFront + API Gateway, 127.0.0.1:3000)
//	                    ├─ /static/*, /media/* ──▶ S3 bucket (moto)
//	                    └─ everything else ──payload 2.0──▶ hostforward ──▶ Django (gunicorn, hostforward's child)
//	djfront manage -- migrate ──Invoke API──▶ hostforward ──▶ manage.py migrate (in the function)
//	collectstatic ──▶ S3 ──▶ SQS ──▶ invalidate ──▶ CloudFront invalidation (moto)
//
// By default the app runs inside the function, as the template's
// AppFunction deploys it: the Python runtime's bootstrap hands over to
// hostforward through the layer's exec wrapper, hostforward starts gunicorn
// at cold start and runs management commands on request; once up, the
// command prints how to run `djfront manage -- migrate` against it. With
// -app external, gunicorn runs on its own and hostforward forwards to it
// over loopback. It is the code of `djfront local` (cmd/djfront), run on the
// repository's example project (examples/djangoapp) with the repository's
// Python (.venv) and a throwaway PostgreSQL for its database, where
// `djfront local` in a user's project keeps SQLite under .djfront/ unless
// DATABASE_URL names one.
//
// `make demo` runs it once: start, tour, stop. `make local` (-stay) keeps it
// up after the tour until Ctrl-C, for a browser at https://localhost:3000/
// (the edge's certificate is self-signed: accept it once), and restarts the
// app when one of its Python files or templates changes. Ctrl-C stops every
// process it started. The processes' output goes to a log file whose path it
// prints.
//
// Usage:
//
//	djfront-local [-addr 127.0.0.1:3000] [-host localhost] [-app in-function|external] [-stay] [-tour=false] [-log FILE]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/djfront/djfront/internal/local/demo"
	"github.com/djfront/djfront/internal/local/samlocal"
)

// readyLine starts the line printed once the stack is up; manageLine, the
// next one in the in-function mode, gives the command that migrates.
const (
	readyLine  = "ready: "
	manageLine = "migrate: "
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "djfront-local:", err)
		os.Exit(1)
	}
}

// options are the command line's settings.
type options struct {
	addr, host, app, logPath string
	stay, tour               bool
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("djfront-local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:3000", "the local edge's address (port 0: any free port)")
	fs.StringVar(&o.host, "host", "localhost", "the viewer's host name (must resolve to the edge's address)")
	fs.StringVar(&o.app, "app", demo.InFunction, "where the app runs: "+demo.InFunction+" (hostforward starts it) or "+demo.External+" (gunicorn on its own)")
	fs.BoolVar(&o.stay, "stay", false, "stay up after the tour until Ctrl-C")
	fs.BoolVar(&o.tour, "tour", true, "walk the tour once the stack is up")
	fs.StringVar(&o.logPath, "log", filepath.Join(os.TempDir(), "djfront-local.log"), "file for the output of every process")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if o.app != demo.InFunction && o.app != demo.External {
		return nil, fmt.Errorf("-app %q: want %s or %s", o.app, demo.InFunction, demo.External)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := samlocal.ProjectRoot(wd)
	if err != nil {
		return err
	}
	logFile, err := os.Create(o.logPath)
	if err != nil {
		return fmt.Errorf("log file: %w", err)
	}
	defer logFile.Close()
	fmt.Fprintf(stdout, "djfront-local: the processes' output goes to %s\n", o.logPath)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	stack, err := demo.Start(ctx, demo.Config{Root: root, Addr: o.addr, Host: o.host, App: o.app, Progress: stdout, Logs: logFile,
		Tour: o.tour, Reload: o.stay, Postgres: true})
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("interrupted; everything started was stopped")
		}
		return fmt.Errorf("%w\n(more in %s)", err, o.logPath)
	}
	defer func() {
		fmt.Fprintln(stdout, "djfront-local: stopping every process")
		stack.Close()
	}()
	fmt.Fprintf(stdout, "%s%s (Django admin %s/admin/, user %s, password %s)\n", readyLine, stack.URL, stack.URL, stack.AdminUser, stack.AdminPassword)
	if c := stack.ManageCommand(); c != "" {
		fmt.Fprintf(stdout, "%s%s\n", manageLine, c)
	}
	return serve(ctx, stack, o, stdout)
}

// serve walks the tour and, with -stay, waits for Ctrl-C. A process that
// dies ends it, naming the process.
func serve(ctx context.Context, stack *demo.Stack, o *options, stdout io.Writer) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case err := <-stack.Failures():
			cancel(err)
		case <-ctx.Done():
		}
	}()
	failure := func() error {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			return cause
		}
		return nil
	}
	if o.tour {
		if err := stack.Tour(ctx, stdout); err != nil {
			if cause := failure(); cause != nil {
				return cause
			}
			return err
		}
	}
	if !o.stay {
		return nil
	}
	fmt.Fprintf(stdout, "\nUp until Ctrl-C. Open %s/admin/ (user %s, password %s).\n"+
		"The edge's certificate is self-signed for %s: accept it in the browser once.\n"+
		"An edit of the example's Python files or templates restarts the app.\n",
		stack.URL, stack.AdminUser, stack.AdminPassword, o.host)
	<-ctx.Done()
	return failure()
}

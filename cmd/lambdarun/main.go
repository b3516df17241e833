// Command lambdarun runs a Lambda function binary (a `bootstrap`) locally,
// behind a loopback implementation of the Lambda Runtime API, as the AWS
// Lambda Runtime Interface Emulator does.
//
// Usage:
//
//	lambdarun -binary PATH [-name N] [-listen 127.0.0.1:9000] [-timeout 3s] [-memory 128] [-env K=V ...] [-event FILE]
//
// Without -event it serves Lambda's Invoke API until SIGINT or SIGTERM:
//
//	curl -d @event.json http://127.0.0.1:9000/2015-03-31/functions/function/invocations
//
// With -event FILE ("-" for standard input) it invokes the function once
// with the file's content, prints the response (or the error document) to
// standard output, and exits 1 on a function error. The function's output
// goes to standard error, with lambdarun's own JSON logs.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/djfront/djfront/internal/local/runtimeapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	var fe *runtimeapi.FunctionError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.As(err, &fe): // the error document is on stdout
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "lambdarun:", err)
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	fn     runtimeapi.Function
	listen string
	event  string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("lambdarun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.fn.Binary, "binary", "", "the function's executable (`path`), required")
	fs.StringVar(&c.fn.Name, "name", runtimeapi.DefaultName, "the function's `name`")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:9000", "`address` to serve the Invoke API on")
	fs.DurationVar(&c.fn.Timeout, "timeout", runtimeapi.DefaultTimeout, "the function's `timeout`")
	fs.IntVar(&c.fn.MemoryMB, "memory", runtimeapi.DefaultMemoryMB, "the function's memory size in `MB` (not enforced)")
	fs.Func("env", "an environment variable `K=V` for the function (repeatable)", func(kv string) error {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return errors.New("want KEY=VALUE")
		}
		c.fn.Env = append(c.fn.Env, kv)
		return nil
	})
	fs.StringVar(&c.event, "event", "", "invoke once with the event in `file` (- for stdin), print the response, and exit")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.fn.Binary == "" {
		return config{}, errors.New("-binary is required")
	}
	return c, nil
}

// run runs the command until ctx ends (serving) or the invocation is done
// (-event). A function error is returned as a *runtimeapi.FunctionError.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var event []byte
	if c.event != "" {
		if event, err = readEvent(c.event, stdin); err != nil {
			return err
		}
	}
	c.fn.Logs = stderr
	srv, err := runtimeapi.Start(ctx, c.fn)
	if err != nil {
		return err
	}
	defer srv.Close()
	if c.event != "" {
		return invokeOnce(ctx, srv, event, stdout)
	}
	return serve(ctx, srv, c.listen, slog.New(slog.NewJSONHandler(stderr, nil)))
}

func readEvent(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read the event from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read the event: %w", err)
	}
	return b, nil
}

func invokeOnce(ctx context.Context, srv *runtimeapi.Server, event []byte, stdout io.Writer) error {
	res, err := srv.Invoke(ctx, event)
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	out := res.Payload
	if res.Error != nil {
		out = res.Error.Payload
	}
	if _, err := fmt.Fprintf(stdout, "%s\n", out); err != nil {
		return fmt.Errorf("write the response: %w", err)
	}
	if res.Error != nil {
		return res.Error
	}
	return nil
}

// serve serves srv's Invoke API on addr until ctx ends, then stops the
// function (ending invocations in progress) and the HTTP server.
func serve(ctx context.Context, srv *runtimeapi.Server, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	log.Info("serving", "url", "http://"+ln.Addr().String()+"/2015-03-31/functions/function/invocations")

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("stopping")
	srv.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"strings"
	"unicode"

	"github.com/djfront/djfront/internal/sitecheck"
)

// Exit statuses of `djfront check`: a contract with scripts.
const (
	checkOK       = 0         // no check failed (skipped checks are fine)
	checkFailed   = 1         // a check failed
	checkNotValid = exitUsage // usage error, or the site cannot be reached at all
)

const checkUsage = `usage: djfront check [--json] [--insecure] [--origin URL] [--probe-token T | --probe-token-file F] URL

Audits a live CloudFront + Django site for the pitfalls djfront fixes and
prints one line per check with the fix. URL may be a bare host
(www.example.com means https://www.example.com/); the flags may also follow
it. Every request is harmless (GET, HEAD,
OPTIONS, a POST with no body to a missing path) and bounded in number and time.

Exit status: 0 no check failed, 1 a check failed, 2 usage error or the site
cannot be reached.

`

// runCheck runs `djfront check args…`, writing the report to e.stdout and
// problems to e.stderr, and returns the exit status.
func runCheck(ctx context.Context, e env, args []string) int {
	stdout, stderr := e.stdout, e.stderr
	fs := flag.NewFlagSet("djfront check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, checkUsage)
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print the report as JSON: {\"url\", \"checks\": [{\"id\", \"ok\", \"detail\", \"fix\"}]}")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate (the local edge's self-signed one)")
	origin := fs.String("origin", "", "the distribution's origin (API Gateway endpoint or app URL), for origin-bypass")
	token := fs.String("probe-token", "", "DJFRONT_PROBE_TOKEN of the site's Django probe view: exact host, scheme and csrf checks")
	tokenFile := fs.String("probe-token-file", "", "read the probe token from this file (mode 600 or 640), not the command line")
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return checkOK
		}
		return checkNotValid
	}
	if len(positional) != 1 {
		fmt.Fprintf(stderr, "djfront check: want one URL, got %d arguments\n", len(positional))
		fs.Usage()
		return checkNotValid
	}
	site, err := parseSiteURL(positional[0])
	if err != nil {
		fmt.Fprintf(stderr, "djfront check: %v\n", err)
		return checkNotValid
	}
	if *token, err = probeToken(*token, *tokenFile); err != nil {
		fmt.Fprintf(stderr, "djfront check: %v\n", err)
		return checkNotValid
	}
	opts := sitecheck.Options{URL: site, ProbeToken: *token, Insecure: *insecure}
	if *origin != "" {
		if opts.Origin, err = url.Parse(*origin); err != nil || (opts.Origin.Scheme != "http" && opts.Origin.Scheme != "https") || opts.Origin.Host == "" {
			fmt.Fprintf(stderr, "djfront check: --origin %q: want an http(s)://host[:port][/path] URL\n", *origin)
			return checkNotValid
		}
	}
	report, err := sitecheck.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "djfront check: %s\n", sitecheck.Printable(err.Error())) // the site's words: no terminal escapes
		var badCert *tls.CertificateVerificationError
		if errors.As(err, &badCert) && !*insecure {
			fmt.Fprintln(stderr, "djfront check: a self-signed certificate (the local edge's)? add --insecure")
		}
		return checkNotValid
	}
	write := sitecheck.WriteText
	if *asJSON {
		write = sitecheck.WriteJSON
	}
	if err := write(stdout, report); err != nil {
		fmt.Fprintf(stderr, "djfront check: write the report: %v\n", err)
		return checkNotValid
	}
	if report.Failed() {
		return checkFailed
	}
	return checkOK
}

// parseInterleaved parses args with fs, flags before and after the other
// arguments, which it returns in order: `djfront check URL --json` as well
// as `djfront check --json URL`. After "--" everything is an argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseSiteURL reads the site's URL; a bare host means https://host/.
func parseSiteURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("URL %q: %w", raw, err)
	case u.Scheme != "https":
		return nil, fmt.Errorf("URL %q: give the https:// address (the http:// redirect is one of the checks)", raw)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("URL %q: no host", raw)
	case u.User != nil:
		return nil, fmt.Errorf("URL %q: no user:password@ in the URL", raw)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// maxTokenFile bounds what --probe-token-file reads.
const maxTokenFile = 4096

// probeToken returns the probe token: flagToken (--probe-token), or the
// contents of file (--probe-token-file, see readTokenFile); an error for
// both.
func probeToken(flagToken, file string) (string, error) {
	switch {
	case file == "":
		return flagToken, nil
	case flagToken != "":
		return "", errors.New("give --probe-token or --probe-token-file, not both")
	}
	return readTokenFile(file)
}

// readTokenFile reads a probe token from path: one line (its line ending
// dropped), at most maxTokenFile bytes, no white space or control
// characters inside. A file anyone on the machine can read or change (mode
// o+r or o+w) is refused, as ssh refuses such a key: the token would be no
// secret; the group may read it.
func readTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("--probe-token-file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("--probe-token-file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o006 != 0 && runtime.GOOS != "windows" {
		return "", fmt.Errorf("--probe-token-file %s: mode %04o: anyone on this machine can read or change it: chmod 600 %s", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("--probe-token-file %s: %w", path, err)
	case len(b) > maxTokenFile:
		return "", fmt.Errorf("--probe-token-file %s: longer than %d bytes: not a token", path, maxTokenFile)
	}
	token := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	switch {
	case token == "":
		return "", fmt.Errorf("--probe-token-file %s is empty", path)
	case strings.IndexFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return "", fmt.Errorf("--probe-token-file %s: want the token alone, on one line", path)
	}
	return token, nil
}

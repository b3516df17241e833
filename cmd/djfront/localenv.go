package main

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxEnvFile bounds an --env-file: far above any real one.
const maxEnvFile = 1 << 20

// envName is what an environment variable's name may be: a shell's.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// lambdaReserved are the variables Lambda sets itself and refuses in a
// function's configuration
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
var lambdaReserved = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
	"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
	"AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
	"AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
}

// parseEnvFile reads an --env-file named name: one KEY=VALUE a line, blank
// lines and # comments skipped, an optional "export " before the key. The
// value is the rest of the line, trimmed; a value wholly in single or double
// quotes loses them, and nothing else is interpreted (no escapes, no $
// expansion, no multi-line values). It refuses, naming the line but never a
// value (it may be a secret): a file that is not UTF-8 text or is larger
// than maxEnvFile, a NUL byte, a line without "=", a key that is not a
// shell name, a key given twice, a key Lambda reserves (lambdaReserved) or
// one of AWS_*, which the local stack sets (moto's endpoint and
// credentials), and an unbalanced quote.
func parseEnvFile(data []byte, name string) ([]string, error) {
	switch {
	case len(data) > maxEnvFile:
		return nil, fmt.Errorf("%s: larger than %d bytes: not an env file", name, maxEnvFile)
	case !utf8.Valid(data):
		return nil, fmt.Errorf("%s: not UTF-8 text", name)
	case bytes.IndexByte(data, 0) >= 0:
		return nil, fmt.Errorf("%s: holds a NUL byte", name)
	}
	var out, seen []string
	var errs []error
	for i, line := range strings.Split(string(data), "\n") {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: %s", name, i+1, fmt.Sprintf(format, args...)))
		}
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok:
			bad("want KEY=VALUE%s; the line is not shown: it may hold a secret", leadingName(line))
			continue
		case !envName.MatchString(key):
			bad("the text before the first \"=\" is not a variable name (letters, digits and _, not first a digit)%s; "+
				"the line is not shown: it may hold a secret", leadingName(line))
			continue
		case slices.Contains(seen, key):
			bad("%s is set twice", key)
		case slices.Contains(lambdaReserved, key):
			bad("%s is reserved: Lambda sets it and refuses it in a function's configuration", key)
		case strings.HasPrefix(key, "AWS_"):
			bad("%s: the local stack is AWS here (moto's endpoint and credentials), so it sets every AWS_ variable itself", key)
		}
		seen = append(seen, key)
		if q := value[:min(1, len(value))]; q == `"` || q == "'" {
			if len(value) < 2 || !strings.HasSuffix(value, q) {
				bad("%s: unbalanced %s quote (values are one line; quotes are not escaped)", key, q)
				continue
			}
			value = value[1 : len(value)-1]
		}
		out = append(out, key+"="+value)
	}
	return out, errors.Join(errs...)
}

// leadingName returns, for an error about line, ` ("=" missing after NAME?)` if line
// starts with a variable name followed by a space, a tab or ":" (a
// forgotten "=", a YAML-style "NAME: value"), else "": the part of a line
// parseEnvFile may show, never what could be a value.
func leadingName(line string) string {
	i := strings.IndexAny(line, " \t:")
	if i <= 0 || !envName.MatchString(line[:i]) {
		return ""
	}
	return ` ("=" missing after ` + line[:i] + "?)"
}

// shellEnv returns what of the shell's environment reaches the app, as the
// shell's environment reaches `manage.py runserver`: all of it but what the
// local stack decides — every AWS_* variable (the stack is AWS: moto's
// endpoint and credentials; a user's keys or profile never reach a local
// app), those Lambda reserves, PATH (the function's, with the project's
// Python first), PYTHONHOME (it would take the interpreter out of its
// virtualenv), and gunicorn's own (GUNICORN_CMD_ARGS, FORWARDED_ALLOW_IPS:
// which proxies the app trusts is the function's to say).
func shellEnv(environ []string) []string {
	return slices.DeleteFunc(slices.Clone(environ), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(name, "AWS_") || slices.Contains(lambdaReserved, name) ||
			slices.Contains([]string{"PATH", "PYTHONHOME", "GUNICORN_CMD_ARGS", "FORWARDED_ALLOW_IPS"}, name)
	})
}

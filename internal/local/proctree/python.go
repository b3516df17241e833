package proctree

import (
	"context"
	"os/exec"
	"slices"
	"strings"

	"github.com/djfront/djfront/internal/childproc"
)

// PythonImports reports whether python (an interpreter's path or name)
// imports module: how the tooling checks that a Python part it runs is
// installed. A python that cannot be started imports nothing.
func PythonImports(ctx context.Context, python, module string) bool {
	res, err := childproc.Run(ctx, exec.Command(python, "-c", "import "+module), 4<<10)
	return err == nil && res.ExitCode == 0
}

// ShellQuote returns s quoted for /bin/sh as one word: in single quotes,
// each single quote of s closing the quotes, escaped, then reopening them.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Getenv returns the value of name in env (KEY=VALUE entries, as
// os.Environ), the last one, as exec gives it to the process; "" if unset.
func Getenv(env []string, name string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

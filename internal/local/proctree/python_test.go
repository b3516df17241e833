package proctree_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/djfront/djfront/internal/local/proctree"
	"github.com/djfront/djfront/internal/local/testenv"
)

func TestPythonImports(t *testing.T) {
	python := testenv.Python(t)
	tests := []struct {
		name, python, module string
		want                 bool
	}{
		{"standard module", python, "json", true},
		{"missing module", python, "djfront_no_such_module", false},
		{"missing interpreter", "/nonexistent/python3", "json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := proctree.PythonImports(context.Background(), tt.python, tt.module); got != tt.want {
				t.Errorf("PythonImports(%s, %s) = %v, want %v", tt.python, tt.module, got, tt.want)
			}
		})
	}
}

// TestShellQuote runs each quoted word through /bin/sh and gets it back.
func TestShellQuote(t *testing.T) {
	for _, s := range []string{"plain", "with space", "it's", `$HOME "x" \n`, "'", ""} {
		t.Run(s, func(t *testing.T) {
			out, err := exec.Command("/bin/sh", "-c", "printf %s "+proctree.ShellQuote(s)).Output()
			if err != nil || string(out) != s {
				t.Errorf("sh printed %q (%v), want %q", out, err, s)
			}
		})
	}
}

func TestGetenv(t *testing.T) {
	env := []string{"A=1", "AB=2", "A=3", "EMPTY=", "B"}
	for name, want := range map[string]string{"A": "3", "AB": "2", "EMPTY": "", "B": "", "C": ""} {
		if got := proctree.Getenv(env, name); got != want {
			t.Errorf("Getenv(%q) = %q, want %q", name, got, want)
		}
	}
}

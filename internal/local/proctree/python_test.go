package proctree_test

import (
	"context"
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

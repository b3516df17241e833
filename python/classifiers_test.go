package python_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/djfront/djfront/internal/local/pyenv"
)

// TestClassifiersAreTheMatrix checks that pyproject.toml declares exactly
// the Django versions the tests run against (pyenv.Matrix): a "Framework ::
// Django :: X.Y" classifier is a claim that X.Y works, which only the matrix
// shows.
func TestClassifiersAreTheMatrix(t *testing.T) {
	toml, err := os.ReadFile(filepath.Join(pyenv.Root(), "python", "pyproject.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range regexp.MustCompile(`"Framework :: Django :: ([0-9.]+)"`).FindAllSubmatch(toml, -1) {
		got = append(got, string(m[1]))
	}
	matrix, err := pyenv.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, d := range matrix {
		want = append(want, d.Version)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pyproject.toml's Django classifiers: got %v, want the tested matrix %v", got, want)
	}
}

// Package pyenv locates djfront's one Python environment: the interpreter
// every local part that runs Python uses — Django under gunicorn and
// manage.py, the moto server, cfn-lint and the SAM translator, the djfront
// package's tests — and the Django versions the tests run against.
//
// The environment is .venv at the repository's root, built by
// scripts/install-python.sh (make tools) from requirements/requirements.txt
// on Python 3.12, Lambda's python3.12 runtime; DJFRONT_PYTHON names another
// interpreter instead. Its own Django is the lock's (5.2 LTS); each line of
// requirements/django-matrix.txt adds an overlay, .venv/matrix/django-X.Y,
// holding that Django alone, which PYTHONPATH puts first (Django.Path).
//
// See docs/testing.md (The Python environment).
package pyenv

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/djfront/djfront/internal/local/samlocal"
)

// Variable is the environment variable that names another interpreter than
// the repository's .venv/bin/python.
const Variable = "DJFRONT_PYTHON"

// Install is the step that builds the environment; messages about a missing
// interpreter, module or Django version end with it.
const Install = "run make tools (scripts/install-python.sh builds .venv from requirements/ with Python 3.12)"

// Python returns the interpreter's path: $DJFRONT_PYTHON if set, else
// .venv/bin/python at the repository's root. It does not check that it
// runs; see Check.
func Python() string {
	if p := os.Getenv(Variable); p != "" {
		return p
	}
	return filepath.Join(Root(), ".venv", "bin", "python")
}

// Bin returns the directory of Python, where the environment's commands
// are (gunicorn, cfn-lint, python3): the first entry of the PATH of a
// process that must find them, or python3, by name.
func Bin() string { return filepath.Dir(Python()) }

// FunctionPath returns the PATH of a process that plays a Lambda function's
// on this machine: Bin first, as Lambda's /var/lang/bin is on the Python
// runtime (so `python3`, MANAGE_COMMAND's default, is the environment's),
// then /usr/bin and /bin.
func FunctionPath() string { return Bin() + ":/usr/bin:/bin" }

// Command returns the path of the environment's command name (for example
// "cfn-lint"), in Bin.
func Command(name string) string { return filepath.Join(Bin(), name) }

// Check returns an error naming Install when Python is not an executable
// file.
func Check() error {
	p := Python()
	fi, err := os.Stat(p)
	if err == nil && (fi.IsDir() || fi.Mode().Perm()&0o111 == 0) {
		err = errors.New("not an executable file")
	}
	if err != nil {
		return fmt.Errorf("python %s: %w: %s", p, err, Install)
	}
	return nil
}

// Root returns the repository's root directory: found upward from this
// package's source directory (samlocal.ProjectRoot), or, in a binary built
// with -trimpath, from the working directory; "." if neither finds it.
func Root() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if root, err := samlocal.ProjectRoot(filepath.Dir(file)); err == nil {
			return root
		}
	}
	if root, err := samlocal.ProjectRoot("."); err == nil {
		return root
	}
	return "."
}

// Django is one Django version of the matrix.
type Django struct {
	// Version is the release series, "X.Y".
	Version string
	// Path is the overlay directory PYTHONPATH must start with for this
	// Django, or "" for the environment's own.
	Path string
}

// Matrix returns the Django versions the tests run against, in version
// order: the environment's own (the Django== pin of
// requirements/requirements.txt) and one per line of
// requirements/django-matrix.txt, with its overlay in the environment's
// matrix directory (whether it is installed or not; see Django.Check).
func Matrix() ([]Django, error) {
	return matrix(filepath.Join(Root(), "requirements"), filepath.Join(filepath.Dir(Bin()), "matrix"))
}

// matrix is Matrix for the lock and matrix files in req and the overlays in
// overlays.
func matrix(req, overlays string) ([]Django, error) {
	own, err := pinnedDjango(filepath.Join(req, "requirements.txt"))
	if err != nil {
		return nil, err
	}
	names, err := overlayNames(filepath.Join(req, "django-matrix.txt"))
	if err != nil {
		return nil, err
	}
	out := []Django{{Version: own}}
	for _, name := range names {
		if name == own {
			return nil, fmt.Errorf("django-matrix.txt: overlay %s is the environment's own Django", name)
		}
		out = append(out, Django{Version: name, Path: filepath.Join(overlays, "django-"+name)})
	}
	slices.SortFunc(out, func(a, b Django) int { return compareVersions(a.Version, b.Version) })
	return out, nil
}

// Check returns an error naming Install when d's overlay is not installed.
func (d Django) Check() error {
	if d.Path == "" {
		return nil
	}
	if _, err := os.Stat(filepath.Join(d.Path, "django", "__init__.py")); err != nil {
		return fmt.Errorf("Django %s: no overlay at %s: %s", d.Version, d.Path, Install)
	}
	return nil
}

// pinnedDjango returns the X.Y of the lock's Django==X.Y.Z line.
func pinnedDjango(lock string) (string, error) {
	lines, err := readLines(lock)
	if err != nil {
		return "", err
	}
	for _, line := range lines {
		if v, ok := strings.CutPrefix(strings.ToLower(line), "django=="); ok {
			if xy, ok := series(v); ok {
				return xy, nil
			}
			return "", fmt.Errorf("%s: Django pin %q: want Django==X.Y.Z", lock, line)
		}
	}
	return "", fmt.Errorf("%s: no Django== line", lock)
}

// overlayNames returns the first word of each line of the matrix file, each
// an X.Y.
func overlayNames(file string) ([]string, error) {
	lines, err := readLines(file)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range lines {
		name := strings.Fields(line)[0]
		if _, ok := series(name + ".0"); !ok || slices.Contains(out, name) {
			return nil, fmt.Errorf("%s: overlay name %q: want a distinct X.Y", file, name)
		}
		out = append(out, name)
	}
	return out, nil
}

// readLines returns file's lines that are neither blank nor comments.
func readLines(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// series returns the X.Y of a version X.Y.Z (digits only).
func series(v string) (string, bool) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return "", false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "0123456789") != "" {
			return "", false
		}
	}
	return parts[0] + "." + parts[1], true
}

// compareVersions orders two X.Y versions numerically.
func compareVersions(a, b string) int {
	ax, ay, _ := strings.Cut(a, ".")
	bx, by, _ := strings.Cut(b, ".")
	if c := compareNumbers(ax, bx); c != 0 {
		return c
	}
	return compareNumbers(ay, by)
}

// compareNumbers orders two strings of digits numerically.
func compareNumbers(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

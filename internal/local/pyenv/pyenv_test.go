package pyenv

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPython(t *testing.T) {
	t.Setenv(Variable, "")
	root := Root()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("Root() = %q, want the repository's root: %v", root, err)
	}
	tests := []struct {
		name, env                string
		wantPython, wantFunction string
	}{
		{"the repository's environment", "", filepath.Join(root, ".venv", "bin", "python"),
			filepath.Join(root, ".venv", "bin") + ":/usr/bin:/bin"},
		{"DJFRONT_PYTHON", "/opt/py/bin/python3.12", "/opt/py/bin/python3.12", "/opt/py/bin:/usr/bin:/bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(Variable, tt.env)
			if got := Python(); got != tt.wantPython {
				t.Errorf("Python() = %q, want %q", got, tt.wantPython)
			}
			if got := FunctionPath(); got != tt.wantFunction {
				t.Errorf("FunctionPath() = %q, want %q", got, tt.wantFunction)
			}
			if got, want := Command("cfn-lint"), filepath.Join(filepath.Dir(tt.wantPython), "cfn-lint"); got != want {
				t.Errorf("Command(cfn-lint) = %q, want %q", got, want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	exe, plain := filepath.Join(dir, "python"), filepath.Join(dir, "plain")
	for path, mode := range map[string]os.FileMode{exe: 0o755, plain: 0o644} {
		if err := os.WriteFile(path, nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct{ name, python, wantErr string }{
		{"executable", exe, ""},
		{"missing", filepath.Join(dir, "none"), "no such file or directory: " + Install},
		{"not executable", plain, "not an executable file: " + Install},
		{"a directory", dir, "not an executable file: " + Install},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(Variable, tt.python)
			err := Check()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.HasSuffix(err.Error(), tt.wantErr)) {
				t.Errorf("Check() = %v, want an error ending %q", err, tt.wantErr)
			}
		})
	}
}

func TestMatrix(t *testing.T) {
	const lock = "# header\nasgiref==3.13.0\ndjango-storages==1.14.6\nDjango==5.2.19\ndjangorestframework==3.18.3\n"
	tests := []struct {
		name, lock, matrix string
		want               []Django
		wantErr            string
	}{
		{"own and overlays, in version order", lock, "# comment\n\n6.1 Django==6.1.3\n4.2 Django==4.2.30 djangorestframework==3.17.2\n10.0 Django==10.0.1\n",
			[]Django{{"4.2", "/o/django-4.2"}, {"5.2", ""}, {"6.1", "/o/django-6.1"}, {"10.0", "/o/django-10.0"}}, ""},
		{"no overlays", lock, "# none\n", []Django{{"5.2", ""}}, ""},
		{"no Django pin", "asgiref==3.13.0\n", "", nil, "no Django== line"},
		{"a range, not a pin", "Django==5.2\n", "", nil, `Django pin "Django==5.2"`},
		{"overlay of the own version", lock, "5.2 Django==5.2.1\n", nil, "overlay 5.2 is the environment's own Django"},
		{"overlay named badly", lock, "django-4.2 Django==4.2.30\n", nil, `overlay name "django-4.2"`},
		{"overlay twice", lock, "4.2 Django==4.2.1\n4.2 Django==4.2.30\n", nil, `overlay name "4.2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := t.TempDir()
			for name, text := range map[string]string{"requirements.txt": tt.lock, "django-matrix.txt": tt.matrix} {
				if err := os.WriteFile(filepath.Join(req, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := matrix(req, "/o")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("matrix() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("matrix() = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestRepositoryMatrix reads the repository's own requirements: the
// versions the tests promise (docs/testing.md) are the ones they run.
func TestRepositoryMatrix(t *testing.T) {
	t.Setenv(Variable, "")
	got, err := Matrix()
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, d := range got {
		versions = append(versions, d.Version)
	}
	if want := []string{"4.2", "5.2", "6.1"}; !reflect.DeepEqual(versions, want) {
		t.Errorf("Matrix() versions = %q, want %q", versions, want)
	}
	if want := filepath.Join(Root(), ".venv", "matrix", "django-4.2"); got[0].Path != want {
		t.Errorf("Matrix()[0].Path = %q, want %q", got[0].Path, want)
	}
}

func TestDjangoCheck(t *testing.T) {
	installed, empty := t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(installed, "django"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(installed, "django", "__init__.py"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		d       Django
		wantErr bool
	}{
		{"the environment's own", Django{Version: "5.2"}, false},
		{"an installed overlay", Django{Version: "4.2", Path: installed}, false},
		{"an overlay not installed", Django{Version: "6.1", Path: empty}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Check()
			if (err != nil) != tt.wantErr || err != nil && !strings.HasSuffix(err.Error(), Install) {
				t.Errorf("Check() = %v, want an error (naming %q): %v", err, Install, tt.wantErr)
			}
		})
	}
}

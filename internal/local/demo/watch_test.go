package demo

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestScanChanged: the watcher sees an edited, added and removed Python
// file or template of the project, and nothing in a virtualenv, a dot
// directory, __pycache__ or a file of another kind.
func TestScanChanged(t *testing.T) {
	root := t.TempDir()
	put := func(rel, content string) {
		t.Helper()
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, rel := range []string{"mysite/settings.py", "shop/views.py", "shop/templates/shop/form.html", "gone.py",
		"venv/pyvenv.cfg", "venv/lib/site.py", ".venv/lib/x.py", ".djfront/run/x.py", "shop/__pycache__/views.cpython-312.pyc",
		"node_modules/a/b.py", "static/site.css"} {
		put(rel, "v1")
	}
	before := scan(root)
	var got []string
	for path := range before {
		rel, _ := filepath.Rel(root, path)
		got = append(got, rel)
	}
	slices.Sort(got)
	if want := []string{"gone.py", "mysite/settings.py", "shop/templates/shop/form.html", "shop/views.py"}; !slices.Equal(got, want) {
		t.Errorf("scan watches %q, want %q", got, want)
	}

	later := time.Now().Add(2 * time.Second) // a new mtime, whatever the file system's granularity
	put("shop/views.py", "v2")
	if err := os.Chtimes(filepath.Join(root, "shop/views.py"), later, later); err != nil {
		t.Fatal(err)
	}
	put("shop/forms.py", "new")
	put("venv/lib/site.py", "v2")
	put("static/site.css", "v2")
	if err := os.Remove(filepath.Join(root, "gone.py")); err != nil {
		t.Fatal(err)
	}
	var diff []string
	for _, path := range changed(before, scan(root)) {
		rel, _ := filepath.Rel(root, path)
		diff = append(diff, rel)
	}
	if want := []string{"gone.py", "shop/forms.py", "shop/views.py"}; !slices.Equal(diff, want) {
		t.Errorf("changed = %q, want %q", diff, want)
	}
	if d := changed(before, before); len(d) != 0 {
		t.Errorf("changed(a, a) = %q, want none", d)
	}
}

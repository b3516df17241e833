package dist_test

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zipEpoch is the timestamp of every entry of a reproducible wheel.
var zipEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// checkWheel checks the wheel at path, p's at version, entry by entry.
func checkWheel(t *testing.T, root, path string, p platform, version string) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	distInfo, data := "djfront-"+version+".dist-info/", "djfront-"+version+".data/"
	entries := map[string][]byte{}
	for _, f := range zr.File {
		entries[f.Name] = readEntry(t, f)
	}
	checkLayout(t, zr.File, distInfo)
	checkRecord(t, entries, distInfo+"RECORD")
	checkWheelFile(t, string(entries[distInfo+"WHEEL"]), p)
	checkMetadata(t, root, string(entries[distInfo+"METADATA"]), version)

	want := map[string]bool{distInfo + "RECORD": true, distInfo + "WHEEL": true, distInfo + "METADATA": true}
	for name, src := range packageFiles(t, root) {
		want[name] = true
		if got := entries[name]; string(got) != string(readFile(t, src)) {
			t.Errorf("%s: not python/%s", name, name)
		}
	}
	command := data + "scripts/djfront"
	if !p.pure() {
		for name := range artifacts {
			want["djfront/_artifacts/"+name] = true
		}
		for _, f := range zr.File {
			if rel, ok := strings.CutPrefix(f.Name, "djfront/_artifacts/"); ok {
				checkArtifact(t, root, rel, entries[f.Name], f.Mode(), version)
			}
		}
		want[command] = true
		checkCommand(t, command, entries[command], p)
	}
	for _, f := range zr.File {
		if f.Name == command && f.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want 0755 (pip makes it executable from the entry's mode)", f.Name, f.Mode())
		}
		if !want[f.Name] {
			t.Errorf("unexpected entry %s", f.Name)
		}
		delete(want, f.Name)
	}
	for name := range want {
		t.Errorf("missing entry %s", name)
	}
}

func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc) // the zip reader checks the CRC at EOF
	if err != nil {
		t.Fatalf("%s: %v", f.Name, err)
	}
	return b
}

// packageFiles maps the wheel's entry of each .py file under python/djfront
// (its subpackages included, pyproject.toml lists them) to it.
func packageFiles(t *testing.T, root string) map[string]string {
	t.Helper()
	python := filepath.Join(root, "python")
	files := map[string]string{}
	err := filepath.WalkDir(filepath.Join(python, "djfront"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "__pycache__" || d.Name() == "_artifacts") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".py") {
			rel, err := filepath.Rel(python, p)
			files[filepath.ToSlash(rel)] = p
			return err
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		t.Fatalf("python/djfront/**.py: %v, %d files", err, len(files))
	}
	return files
}

// checkLayout checks what makes the wheel reproducible and installable:
// entries sorted, the dist-info directory last and RECORD the very last
// (PEP 427), fixed timestamps, regular files of mode 0644 or 0755.
func checkLayout(t *testing.T, files []*zip.File, distInfo string) {
	t.Helper()
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		if !f.Modified.Equal(zipEpoch) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, zipEpoch)
		}
		if m := f.Mode(); !m.IsRegular() || (m.Perm() != 0o644 && m.Perm() != 0o755) {
			t.Errorf("%s: mode %v, want a regular file, 0644 or 0755", f.Name, m)
		}
	}
	first := slices.IndexFunc(names, func(n string) bool { return strings.HasPrefix(n, distInfo) })
	if first < 0 || !slices.IsSorted(names[:first]) ||
		slices.ContainsFunc(names[first:], func(n string) bool { return !strings.HasPrefix(n, distInfo) }) {
		t.Errorf("entries %q: want them sorted, then %s", names, distInfo)
	}
	if names[len(names)-1] != distInfo+"RECORD" {
		t.Errorf("last entry %s, want %sRECORD", names[len(names)-1], distInfo)
	}
}

// checkRecord checks that RECORD lists every entry once, with its sha256
// (URL-safe base64, no padding) and size, and itself without either.
func checkRecord(t *testing.T, entries map[string][]byte, record string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(string(entries[record]))).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", record, err)
	}
	listed := map[string]bool{}
	for _, row := range rows {
		name, hash, size := row[0], row[1], row[2]
		if listed[name] {
			t.Errorf("RECORD lists %s twice", name)
		}
		listed[name] = true
		b, ok := entries[name]
		switch {
		case !ok:
			t.Errorf("RECORD lists %s, which the wheel lacks", name)
		case name == record:
			if hash != "" || size != "" {
				t.Errorf("RECORD's own line %q, want no hash and size", row)
			}
		default:
			sum := sha256.Sum256(b)
			if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); hash != want || size != strconv.Itoa(len(b)) {
				t.Errorf("RECORD: %s,%s,%s; want %s,%s,%d", name, hash, size, name, want, len(b))
			}
		}
	}
	for name := range entries {
		if !listed[name] {
			t.Errorf("RECORD does not list %s", name)
		}
	}
}

// checkWheelFile checks WHEEL: version 1.0, platlib for a platform wheel
// (purelib for the pure one), and one Tag line per platform tag of the file
// name.
func checkWheelFile(t *testing.T, wheel string, p platform) {
	t.Helper()
	fields := headers(wheel)
	if got := fields["Wheel-Version"]; !slices.Equal(got, []string{"1.0"}) {
		t.Errorf("WHEEL Wheel-Version %q, want 1.0", got)
	}
	if got, want := fields["Root-Is-Purelib"], strconv.FormatBool(p.pure()); !slices.Equal(got, []string{want}) {
		t.Errorf("WHEEL Root-Is-Purelib %q, want %s", got, want)
	}
	var want []string
	for _, tag := range p.tags {
		want = append(want, "py3-none-"+tag)
	}
	if got := fields["Tag"]; !slices.Equal(got, want) {
		t.Errorf("WHEEL tags %q, want %q", got, want)
	}
}

// checkMetadata checks the METADATA fields the install relies on, and that
// its description is python/README.md.
func checkMetadata(t *testing.T, root, metadata, version string) {
	t.Helper()
	head, body, _ := strings.Cut(metadata, "\n\n")
	fields := headers(head)
	for _, want := range []struct{ field, value string }{
		{"Metadata-Version", "2.1"},
		{"Name", "djfront"},
		{"Version", version},
		{"Description-Content-Type", "text/markdown"},
		{"Provides-Extra", "local"},
	} {
		if !slices.Contains(fields[want.field], want.value) {
			t.Errorf("METADATA %s: %q, want %q among them", want.field, fields[want.field], want.value)
		}
	}
	deps := strings.Join(fields["Requires-Dist"], "\n")
	for _, want := range []string{"\nDjango>=", `moto[server]>=5.2.1,<5.3; extra == "local"`} {
		if !strings.Contains("\n"+deps, want) {
			t.Errorf("METADATA Requires-Dist:\n%s\nwant one with %q", deps, want)
		}
	}
	if body != string(readFile(t, filepath.Join(root, "python", "README.md"))) {
		t.Error("METADATA's description is not python/README.md")
	}
}

// headers parses "Name: value" lines; a name may repeat.
func headers(s string) map[string][]string {
	fields := map[string][]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(s), "\n") {
		name, value, _ := strings.Cut(line, ": ")
		fields[name] = append(fields[name], value)
	}
	return fields
}

// checkArtifact checks one file of djfront/_artifacts, at rel under it, in a
// wheel or installed: the arm64 executables, the layer's wrapper as in
// deploy/layer, VERSION.
func checkArtifact(t *testing.T, root, rel string, b []byte, mode fs.FileMode, version string) {
	t.Helper()
	elfExe, known := artifacts[rel]
	switch {
	case !known:
		t.Errorf("unexpected artifact %s", rel)
	case elfExe:
		checkELF(t, rel, b, "arm64")
	case rel == "layer/djfront-wrapper":
		if string(b) != string(readFile(t, filepath.Join(root, "deploy", "layer", "djfront-wrapper"))) {
			t.Errorf("%s: not deploy/layer/djfront-wrapper", rel)
		}
	case rel == "VERSION":
		if string(b) != version+"\n" {
			t.Errorf("VERSION %q, want %q", b, version+"\n")
		}
	}
	if executable := mode&0o111 == 0o111; executable != (rel != "VERSION") {
		t.Errorf("%s: mode %v, executable %t", rel, mode, executable)
	}
}

// Package dist_test builds the wheels with `make dist` and checks them as pip
// and a user meet them (docs/install.md):
//
//   - each platform's wheel: RECORD (every entry, sha256 and size; pip does
//     not check it), WHEEL's tags against the file name, METADATA, the
//     Django package as in python/, the djfront command built for the
//     wheel's platform (a static ELF, or a Mach-O for no older macOS than its
//     tag), the linux/arm64 Lambda artifacts, modes and timestamps;
//   - reproducible: a second `make dist` writes the same bytes;
//   - installed: a fresh Python 3.12 virtualenv, `pip install --no-index
//     --find-links DIST djfront` with Django beside it, pip check, then
//     djfront --help, djfront version and djfront artifacts from the venv's
//     bin, and the artifacts as installed (arm64 ELF, executable).
//
// Django's wheels come from PyPI once (pip download into the user cache
// directory, djfront/wheelhouse), then from there: the install of djfront
// itself never reaches an index, and must not (PyPI has another project
// named djfront).
package dist_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// platform is one wheel: the Go platform of its djfront command and the
// wheel's platform tags, as scripts/build-wheels.py's PLATFORMS has them;
// no Go platform for the pure wheel, which holds the Django package alone.
type platform struct {
	goos, goarch string
	tags         []string
}

// platforms are the wheels make dist writes: one per platform of the
// command, and the pure one that sam build installs into the app function
// (docs/adopt.md).
var platforms = []platform{
	{"linux", "amd64", []string{"manylinux_2_17_x86_64", "manylinux2014_x86_64", "musllinux_1_1_x86_64"}},
	{"linux", "arm64", []string{"manylinux_2_17_aarch64", "manylinux2014_aarch64", "musllinux_1_1_aarch64"}},
	{"darwin", "amd64", []string{"macosx_12_0_x86_64"}},
	{"darwin", "arm64", []string{"macosx_12_0_arm64"}},
	{"", "", []string{"any"}},
}

// pure reports whether p is the pure wheel: no command, no artifacts.
func (p platform) pure() bool { return p.goos == "" }

// wheelName is p's wheel file name at version.
func (p platform) wheelName(version string) string {
	return "djfront-" + version + "-py3-none-" + strings.Join(p.tags, ".") + ".whl"
}

// artifacts are the files under djfront/_artifacts, the layout
// docs/install.md documents, and whether each is a linux/arm64 executable.
var artifacts = map[string]bool{
	"VERSION":                   false,
	"hostforward/bootstrap":     true,
	"invalidate/bootstrap":      true,
	"rotate/bootstrap":          true,
	"layer/djfront/hostforward": true,
	"layer/djfront-wrapper":     false, // a shell script, executable: see checkArtifact
}

func TestDist(t *testing.T) {
	testenv.Integration(t)
	root := testenv.RepoRoot(t)
	dist, version := testenv.MakeDist(t, root)

	for _, p := range platforms {
		t.Run("wheel "+strings.Join(p.tags, "."), func(t *testing.T) {
			checkWheel(t, root, filepath.Join(dist, p.wheelName(version)), p, version)
		})
	}
	t.Run("only these wheels", func(t *testing.T) {
		entries, err := os.ReadDir(dist)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name())
		}
		var want []string
		for _, p := range platforms {
			want = append(want, p.wheelName(version))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("make dist wrote %q, want %q", got, want)
		}
	})
	t.Run("installed in a virtualenv", func(t *testing.T) {
		checkInstall(t, root, dist, version)
	})
	t.Run("reproducible", func(t *testing.T) {
		again, _ := testenv.MakeDist(t, root)
		for _, p := range platforms {
			a, b := readFile(t, filepath.Join(dist, p.wheelName(version))), readFile(t, filepath.Join(again, p.wheelName(version)))
			if string(a) != string(b) {
				t.Errorf("%s: a second make dist wrote other bytes", p.wheelName(version))
			}
		}
	})
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/samproject"
)

// managePy is manage.py as django-admin startproject writes it (Django
// 4.2 to 6.x), for the settings module named by %s.
const managePy = `#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    """Run administrative tasks."""
    os.environ.setdefault('DJANGO_SETTINGS_MODULE', '%s')
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise ImportError(
            "Couldn't import Django. Are you sure it's installed and "
            "available on your PYTHONPATH environment variable? Did you "
            "forget to activate a virtual environment?"
        ) from exc
    execute_from_command_line(sys.argv)


if __name__ == '__main__':
    main()
`

// settingsPy is the part of startproject's settings.py that matters here.
const settingsPy = `"""Django settings for %[1]s project."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = 'django-insecure-y4hjwtkt_hy*1inz_rlra-41*q%%6779y+x%%y&_t2@u(#p7s@-o'
DEBUG = True
ALLOWED_HOSTS = []

INSTALLED_APPS = [
    'django.contrib.admin',
    'django.contrib.auth',
    'django.contrib.contenttypes',
    'django.contrib.sessions',
    'django.contrib.messages',
    'django.contrib.staticfiles',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
]

ROOT_URLCONF = '%[1]s.urls'
WSGI_APPLICATION = '%[1]s.wsgi.application'

DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.sqlite3',
        'NAME': BASE_DIR / 'db.sqlite3',
    }
}

STATIC_URL = 'static/'
DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'
`

const wsgiPy = `import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', '%s.settings')

application = get_wsgi_application()
`

const requirementsTxt = "Django>=5.2,<6\ngunicorn\ndjfront[s3] @ git+https://github.com/djfront/djfront#subdirectory=python\n"

// startproject returns the files of `django-admin startproject name .`,
// by slash-separated path.
func startproject(name string) map[string]string {
	return map[string]string{
		"manage.py":              fmt.Sprintf(managePy, name+".settings"),
		name + "/__init__.py":    "",
		name + "/settings.py":    fmt.Sprintf(settingsPy, name),
		name + "/urls.py":        "urlpatterns = []\n",
		name + "/wsgi.py":        fmt.Sprintf(wsgiPy, name),
		name + "/asgi.py":        "",
		"requirements.txt":       requirementsTxt,
		"templates/.placeholder": "",
	}
}

// cookiecutter returns a project with split settings, as cookiecutter-django
// lays it out: config.settings.{base,local,production}, manage.py naming
// local, WSGI_APPLICATION in base.
func cookiecutter() map[string]string {
	base := strings.Replace(fmt.Sprintf(settingsPy, "config"), "BASE_DIR = Path(__file__).resolve().parent.parent",
		"BASE_DIR = Path(__file__).resolve().parent.parent.parent", 1)
	return map[string]string{
		"manage.py":                     fmt.Sprintf(managePy, "config.settings.local"),
		"config/__init__.py":            "",
		"config/settings/__init__.py":   "",
		"config/settings/base.py":       base,
		"config/settings/local.py":      "from .base import *  # noqa\nfrom .base import env  # noqa\n\nDEBUG = True\n",
		"config/settings/production.py": "from .base import *  # noqa\n\nDEBUG = False\n",
		"config/wsgi.py":                fmt.Sprintf(wsgiPy, "config"),
		"config/urls.py":                "urlpatterns = []\n",
		"requirements.txt":              "-r requirements/production.txt\n",
	}
}

// with returns files with the changes in edits (a "" value deletes).
func with(files map[string]string, edits map[string]string) map[string]string {
	out := maps.Clone(files)
	for k, v := range edits {
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// writeTree writes files under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeArtifacts writes an artifacts directory of version with the layout
// of docs/install.md (placeholder binaries) and returns it.
func fakeArtifacts(t *testing.T, dir, version string) string {
	t.Helper()
	for _, f := range artifactFiles {
		content := "binary " + f.name + " " + version
		if f.name == artifactsVersionFile {
			content = version + "\n"
		}
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), f.perm); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runInitIn runs `djfront init args…` with the environment env and returns
// its exit code and output.
func runInitIn(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), envFor(&out, &errOut, env), append([]string{"init"}, args...))
	return code, out.String(), errOut.String()
}

// envFor is main's env for a test: output to the buffers, the variables of
// vars, and an executable with no artifacts beside it.
func envFor(stdout, stderr *bytes.Buffer, vars map[string]string) env {
	return env{
		stdout: stdout, stderr: stderr,
		getenv:     func(k string) string { return vars[k] },
		executable: func() (string, error) { return "/nonexistent/bin/djfront", nil },
	}
}

// snapshot returns every file, directory and link under dir: contents,
// modes, link targets.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "link " + target
			return err
		case d.IsDir():
			out[rel] = "dir " + info.Mode().String()
		default:
			b, err := os.ReadFile(p)
			out[rel] = info.Mode().String() + " " + string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInitProjectShapes(t *testing.T) {
	tests := []struct {
		name         string
		files        map[string]string
		env          map[string]string
		args         []string
		wantSettings string // the settings module, in the report and the template
		wantFrom     string // where the report says it came from
		wantWSGI     string
		wantWSGIFrom string
		wantFile     string // the file that gets djfront's block
	}{
		{
			name: "startproject", files: startproject("mysite"),
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in mysite/settings.py",
			wantFile: "mysite/settings.py",
		},
		{
			name: "startproject config .", files: startproject("config"),
			wantSettings: "config.settings", wantFrom: "manage.py",
			wantWSGI: "config.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in config/settings.py",
			wantFile: "config/settings.py",
		},
		{
			name: "split settings: WSGI_APPLICATION in the base they star-import", files: cookiecutter(),
			wantSettings: "config.settings.local", wantFrom: "manage.py",
			wantWSGI: "config.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in config/settings/base.py",
			wantFile: "config/settings/local.py",
		},
		{
			name: "split settings, --settings production", files: cookiecutter(), args: []string{"--settings", "config.settings.production"},
			wantSettings: "config.settings.production", wantFrom: "--settings",
			wantWSGI: "config.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in config/settings/base.py",
			wantFile: "config/settings/production.py",
		},
		{
			name: "split settings, DJANGO_SETTINGS_MODULE", files: cookiecutter(), env: map[string]string{"DJANGO_SETTINGS_MODULE": "config.settings.production"},
			wantSettings: "config.settings.production", wantFrom: "the DJANGO_SETTINGS_MODULE variable",
			wantWSGI: "config.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in config/settings/base.py",
			wantFile: "config/settings/production.py",
		},
		{
			name: "--settings over DJANGO_SETTINGS_MODULE", files: cookiecutter(), args: []string{"--settings", "config.settings.local"},
			env:          map[string]string{"DJANGO_SETTINGS_MODULE": "config.settings.production"},
			wantSettings: "config.settings.local", wantFrom: "--settings",
			wantWSGI: "config.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in config/settings/base.py",
			wantFile: "config/settings/local.py",
		},
		{
			name:         "settings package",
			files:        with(startproject("mysite"), map[string]string{"mysite/settings.py": "", "mysite/settings/__init__.py": fmt.Sprintf(settingsPy, "mysite")}),
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in mysite/settings/__init__.py",
			wantFile: "mysite/settings/__init__.py",
		},
		{
			name: "settings package importing its base relatively",
			files: with(startproject("mysite"), map[string]string{
				"mysite/settings.py": "", "mysite/settings/__init__.py": "from .base import *\n",
				"mysite/settings/base.py": fmt.Sprintf(settingsPy, "mysite"),
			}),
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in mysite/settings/base.py",
			wantFile: "mysite/settings/__init__.py",
		},
		{
			name: "no WSGI_APPLICATION: the wsgi.py beside the settings",
			files: with(startproject("mysite"), map[string]string{
				"mysite/settings.py": strings.Replace(fmt.Sprintf(settingsPy, "mysite"), "WSGI_APPLICATION = 'mysite.wsgi.application'\n", "", 1),
			}),
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:application", wantWSGIFrom: "mysite/wsgi.py (the settings set no WSGI_APPLICATION)",
			wantFile: "mysite/settings.py",
		},
		{
			name: "WSGI_APPLICATION in double quotes with a comment",
			files: with(startproject("mysite"), map[string]string{
				"mysite/settings.py": strings.Replace(fmt.Sprintf(settingsPy, "mysite"), "WSGI_APPLICATION = 'mysite.wsgi.application'",
					`WSGI_APPLICATION = "mysite.wsgi.app"  # ours`, 1),
			}),
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:app", wantWSGIFrom: "WSGI_APPLICATION in mysite/settings.py",
			wantFile: "mysite/settings.py",
		},
		{
			name: "--wsgi as module:callable", files: startproject("mysite"), args: []string{"--wsgi", "mysite.wsgi:app"},
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:app", wantWSGIFrom: "--wsgi",
			wantFile: "mysite/settings.py",
		},
		{
			name: "--wsgi as Django's dotted path", files: startproject("mysite"), args: []string{"--wsgi", "mysite.wsgi.application"},
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:application", wantWSGIFrom: "--wsgi",
			wantFile: "mysite/settings.py",
		},
		{
			name:         "manage.py names no settings: the one settings.py",
			files:        with(startproject("mysite"), map[string]string{"manage.py": "import sys\nfrom django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n"}),
			wantSettings: "mysite.settings", wantFrom: "the only settings.py (manage.py names none)",
			wantWSGI: "mysite.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in mysite/settings.py",
			wantFile: "mysite/settings.py",
		},
		{
			name:         "a commented-out setdefault is not read",
			files:        with(startproject("mysite"), map[string]string{"manage.py": "# os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'old.settings')\n" + fmt.Sprintf(managePy, "mysite.settings")}),
			wantSettings: "mysite.settings", wantFrom: "manage.py",
			wantWSGI: "mysite.wsgi:application", wantWSGIFrom: "WSGI_APPLICATION in mysite/settings.py",
			wantFile: "mysite/settings.py",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			art := fakeArtifacts(t, t.TempDir(), "devel")
			code, stdout, stderr := runInitIn(t, tt.env, append([]string{"--dir", dir, "--artifacts", art}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			for _, want := range []string{
				"  settings module   " + tt.wantSettings + " (from " + tt.wantFrom + ")\n",
				"  WSGI application  " + tt.wantWSGI + " (from " + tt.wantWSGIFrom + ")\n",
				"  wrote     .aws-sam/djfront/artifacts/ (djfront devel's Lambda functions and layer, from " + art + ")\n",
				"  wrote     template.yaml\n",
				"  wrote     samconfig.toml\n",
				"  added     djfront's block at the end of " + tt.wantFile + ":\n",
				"    _djfront_settings.apply(globals())\n",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			tmpl := readFile(t, dir, "template.yaml")
			for _, want := range []string{
				"      DJANGO_SETTINGS_MODULE: " + tt.wantSettings + "\n",
				"--timeout 0 " + tt.wantWSGI + "\n",
				"      Handler: " + strings.Replace(tt.wantWSGI, ":", ".", 1) + "\n",
			} {
				if !strings.Contains(tmpl, want) {
					t.Errorf("template.yaml lacks %q", want)
				}
			}
			before := tt.files[tt.wantFile]
			if got := readFile(t, dir, tt.wantFile); got != strings.TrimRight(before, "\n")+"\n\n"+settingsBlock && !(before == "" && got == settingsBlock) {
				t.Errorf("%s:\n%s\nwant its old text, a blank line and djfront's block", tt.wantFile, got)
			}
			for name, content := range tt.files {
				if name != tt.wantFile && readFile(t, dir, name) != content {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
}

// readFile returns the contents of dir's file name (slash-separated).
func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInitRefuses covers projects djfront init cannot read right and hostile
// values: each is a clear error, exit 1 (2 for usage), and nothing written.
func TestInitRefuses(t *testing.T) {
	settings := fmt.Sprintf(settingsPy, "mysite")
	tests := []struct {
		name     string
		files    map[string]string
		env      map[string]string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no manage.py", files: with(startproject("mysite"), map[string]string{"manage.py": ""}), wantCode: 1,
			wantErr: "no manage.py in "},
		{name: "an argument", files: startproject("mysite"), args: []string{"mysite"}, wantCode: exitUsage,
			wantErr: `takes no arguments, got ["mysite"] (the project is --dir)`},
		{name: "two settings modules in manage.py", wantCode: 1,
			files: with(startproject("mysite"), map[string]string{"manage.py": fmt.Sprintf(managePy, "mysite.settings") +
				"if os.environ.get('PROD'):\n    os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.prod')\n"}),
			wantErr: `manage.py names several settings modules ("mysite.settings", "mysite.prod"): choose one with --settings`},
		{name: "no settings named, two settings.py", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"manage.py": "print()\n", "other/settings.py": settings}),
			wantErr: `there are several ("mysite.settings", "other.settings"): choose one with --settings`},
		{name: "no settings named, none found", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"manage.py": "print()\n", "mysite/settings.py": ""}),
			wantErr: "manage.py names no settings module"},
		{name: "a settings module with shell syntax", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"manage.py": fmt.Sprintf(managePy, "mysite.settings; rm -rf ~")}),
			wantErr: `settings module from manage.py: module "mysite.settings; rm -rf ~": not a dotted path of Python identifiers`},
		{name: "--settings as a path out of the project", files: startproject("mysite"), args: []string{"--settings", "../../etc/passwd"}, wantCode: 1,
			wantErr: `settings module from --settings: module "../../etc/passwd": not a dotted path`},
		{name: "DJANGO_SETTINGS_MODULE with a newline", files: startproject("mysite"), env: map[string]string{"DJANGO_SETTINGS_MODULE": "mysite.settings\nX"}, wantCode: 1,
			wantErr: `module "mysite.settings\nX": not a dotted path`},
		{name: "a settings module not in the project", files: startproject("mysite"), args: []string{"--settings", "django.conf.global_settings"}, wantCode: 1,
			wantErr: "settings: module django.conf.global_settings: neither django/conf/global_settings.py nor django/conf/global_settings/__init__.py in the project"},
		{name: "WSGI_APPLICATION set two ways", wantCode: 1,
			files: with(startproject("mysite"), map[string]string{"mysite/settings.py": settings +
				"if DEBUG:\n    WSGI_APPLICATION = 'mysite.debug_wsgi.application'\n"}),
			wantErr: `mysite/settings.py sets WSGI_APPLICATION several ways ("mysite.wsgi.application", "mysite.debug_wsgi.application"): choose with --wsgi`},
		{name: "WSGI_APPLICATION with shell syntax", wantCode: 1,
			files: with(startproject("mysite"), map[string]string{"mysite/settings.py": strings.Replace(settings,
				"'mysite.wsgi.application'", "'mysite.wsgi.application && curl x'", 1)}),
			wantErr: `WSGI_APPLICATION in mysite/settings.py: WSGI application "mysite.wsgi.application && curl x"`},
		{name: "WSGI_APPLICATION's module missing", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"mysite/wsgi.py": ""}),
			wantErr: "module mysite.wsgi: neither mysite/wsgi.py nor mysite/wsgi/__init__.py in the project"},
		{name: "no WSGI_APPLICATION, no wsgi.py", wantCode: 1,
			files: with(startproject("mysite"), map[string]string{"mysite/wsgi.py": "",
				"mysite/settings.py": strings.Replace(settings, "WSGI_APPLICATION = 'mysite.wsgi.application'\n", "", 1)}),
			wantErr: "the settings (mysite/settings.py) set no WSGI_APPLICATION and no wsgi.py is next to them: give --wsgi module:callable"},
		{name: "--wsgi not a WSGI application", files: startproject("mysite"), args: []string{"--wsgi", "mysite.wsgi:application()"}, wantCode: 1,
			wantErr: `--wsgi: WSGI application "mysite.wsgi:application()": callable "application()" is not a Python identifier`},
		{name: "--wsgi module not in the project", files: startproject("mysite"), args: []string{"--wsgi", "mysite.asgi2:application"}, wantCode: 1,
			wantErr: "module mysite.asgi2: neither mysite/asgi2.py"},
		{name: "a settings module too large to be one", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"mysite/settings.py": settings + strings.Repeat("#", maxSourceSize)}),
			wantErr: "mysite/settings.py: larger than 1048576 bytes"},
		{name: "djfront's block without its end", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"mysite/settings.py": settings + blockStart + "\nDEBUG = False\n"}),
			wantErr: `mysite/settings.py: djfront's block is broken: want one "# --- djfront (djfront init) ---" line and, after it, one "# --- end djfront ---" line; found 1 and 0`},
		{name: "two blocks", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"mysite/settings.py": settings + settingsBlock + settingsBlock}),
			wantErr: "found 2 and 2"},
		{name: "template.yaml is a directory", wantCode: 1,
			files:   with(startproject("mysite"), map[string]string{"template.yaml/x": "x"}),
			wantErr: "template.yaml: not a regular file"},
		{name: "artifacts of another layout", files: startproject("mysite"), args: []string{"--artifacts", "/nonexistent/artifacts"}, wantCode: 1,
			wantErr: "artifacts: stat /nonexistent/artifacts/VERSION: no such file or directory (the layout: docs/install.md)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			before := snapshot(t, dir)
			args := append([]string{"--dir", dir, "--artifacts", fakeArtifacts(t, t.TempDir(), "devel")}, tt.args...)
			code, stdout, stderr := runInitIn(t, tt.env, args...)
			checkOutput(t, code, stdout, stderr, tt.wantCode, "", tt.wantErr)
			if after := snapshot(t, dir); !maps.Equal(before, after) {
				t.Errorf("the project changed:\n%v\nwant:\n%v", after, before)
			}
		})
	}
}

// TestInitStaysInside checks that djfront init reads and writes nothing
// outside the project, whatever symbolic links the project holds: a link
// that leads out (or is absolute) is refused before anything is written,
// and the place it leads to is left as it was.
func TestInitStaysInside(t *testing.T) {
	tests := []struct {
		name    string
		link    string // the link in the project, slash-separated
		target  func(project, outside string) string
		setup   func(t *testing.T, project, outside string) // before the link is made
		wantErr string
	}{
		{
			name: "the settings package, elsewhere", link: "mysite",
			setup: func(t *testing.T, project, outside string) {
				move(t, filepath.Join(project, "mysite"), filepath.Join(outside, "mysite"))
			},
			target:  func(project, outside string) string { return filepath.Join(outside, "mysite") },
			wantErr: "djfront init: settings: module mysite.settings: mysite/settings.py: ",
		},
		{
			name: "the settings module, elsewhere by a relative link", link: "mysite/settings.py",
			setup: func(t *testing.T, project, outside string) {
				writeTree(t, outside, map[string]string{"settings.py": fmt.Sprintf(settingsPy, "mysite")})
				os.Remove(filepath.Join(project, "mysite", "settings.py"))
			},
			target: func(project, outside string) string {
				rel, _ := filepath.Rel(filepath.Join(project, "mysite"), filepath.Join(outside, "settings.py"))
				return rel
			},
			wantErr: "djfront init: settings: module mysite.settings: mysite/settings.py: ",
		},
		{
			name: "manage.py, elsewhere", link: "manage.py",
			setup: func(t *testing.T, project, outside string) {
				writeTree(t, outside, map[string]string{"manage.py": fmt.Sprintf(managePy, "mysite.settings")})
				os.Remove(filepath.Join(project, "manage.py"))
			},
			target:  func(project, outside string) string { return filepath.Join(outside, "manage.py") },
			wantErr: "djfront init: manage.py: ",
		},
		{
			name: "template.yaml, elsewhere", link: "template.yaml",
			setup: func(t *testing.T, project, outside string) {
				writeTree(t, outside, map[string]string{"template.yaml": "theirs\n"})
			},
			target:  func(project, outside string) string { return filepath.Join(outside, "template.yaml") },
			wantErr: "template.yaml is a symbolic link: djfront init writes regular files only",
		},
		{
			name: "samconfig.toml, to a file inside", link: "samconfig.toml",
			setup: func(t *testing.T, project, outside string) {
				writeTree(t, project, map[string]string{"config/samconfig.toml": "ours\n"})
			},
			target:  func(project, outside string) string { return "config/samconfig.toml" },
			wantErr: "samconfig.toml is a symbolic link: djfront init writes regular files only",
		},
		{
			name: ".aws-sam, elsewhere", link: ".aws-sam",
			setup:   func(t *testing.T, project, outside string) { os.Mkdir(filepath.Join(outside, "sam"), 0o755) },
			target:  func(project, outside string) string { return filepath.Join(outside, "sam") },
			wantErr: "djfront init: .aws-sam/djfront/artifacts/VERSION: ",
		},
		{
			name: ".aws-sam/djfront, up and out", link: ".aws-sam/djfront",
			setup:   func(t *testing.T, project, outside string) { os.MkdirAll(filepath.Join(project, ".aws-sam"), 0o755) },
			target:  func(project, outside string) string { return "../../" + filepath.Base(outside) },
			wantErr: "djfront init: .aws-sam/djfront/artifacts/VERSION: ",
		},
		{
			name: "the settings package, inside but by an absolute link", link: "mysite",
			setup: func(t *testing.T, project, outside string) {
				move(t, filepath.Join(project, "mysite"), filepath.Join(project, "src"))
			},
			target:  func(project, outside string) string { return filepath.Join(project, "src") },
			wantErr: "djfront init: settings: module mysite.settings: mysite/settings.py: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			top := t.TempDir()
			project, outside := filepath.Join(top, "project"), filepath.Join(top, "outside")
			writeTree(t, project, startproject("mysite"))
			if err := os.Mkdir(outside, 0o755); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, project, outside)
			if err := os.Symlink(tt.target(project, outside), filepath.Join(project, filepath.FromSlash(tt.link))); err != nil {
				t.Fatal(err)
			}
			beforeProject, beforeOutside := snapshot(t, project), snapshot(t, outside)
			code, stdout, stderr := runInitIn(t, nil, "--dir", project, "--artifacts", fakeArtifacts(t, t.TempDir(), "devel"), "--force")
			checkOutput(t, code, stdout, stderr, 1, "", tt.wantErr)
			if !strings.Contains(stderr, "path escapes from parent (a symbolic link that leads out of the project, or an absolute one, is refused") &&
				!strings.Contains(stderr, "is a symbolic link: djfront init writes regular files only") {
				t.Errorf("stderr %q does not say why the link is refused", stderr)
			}
			if after := snapshot(t, project); !maps.Equal(beforeProject, after) {
				t.Errorf("the project changed:\n%v\nwant:\n%v", after, beforeProject)
			}
			if after := snapshot(t, outside); !maps.Equal(beforeOutside, after) {
				t.Errorf("outside the project changed:\n%v\nwant:\n%v", after, beforeOutside)
			}
		})
	}
}

// TestInitFollowsLinksInside: a relative link that stays in the project is
// the project's own layout, and djfront init works through it, writing
// nothing beside the project and leaving no temporary file.
func TestInitFollowsLinksInside(t *testing.T) {
	top := t.TempDir()
	project, outside := filepath.Join(top, "project"), filepath.Join(top, "outside")
	writeTree(t, project, startproject("mysite"))
	writeTree(t, outside, map[string]string{"settings.py": "theirs\n"})
	move(t, filepath.Join(project, "mysite"), filepath.Join(project, "src"))
	if err := os.Symlink("src", filepath.Join(project, "mysite")); err != nil {
		t.Fatal(err)
	}
	art := fakeArtifacts(t, t.TempDir(), "devel")
	beforeTop, beforeArt := snapshot(t, outside), snapshot(t, art)
	code, stdout, stderr := runInitIn(t, nil, "--dir", project, "--artifacts", art)
	checkOutput(t, code, stdout, stderr, 0, "  added     djfront's block at the end of mysite/settings.py:", "")
	if got := readFile(t, project, "src/settings.py"); !strings.HasSuffix(got, settingsBlock) {
		t.Errorf("src/settings.py does not end with djfront's block:\n%s", got)
	}
	if fi, err := os.Lstat(filepath.Join(project, "mysite")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("mysite is no longer the link: %v, %v", fi, err)
	}
	if entries, _ := os.ReadDir(top); len(entries) != 2 {
		t.Errorf("beside the project: %v, want project and outside only", entries)
	}
	if !maps.Equal(beforeTop, snapshot(t, outside)) || !maps.Equal(beforeArt, snapshot(t, art)) {
		t.Error("djfront init changed a directory outside the project")
	}
	for name := range snapshot(t, project) {
		if strings.Contains(filepath.Base(name), ".djfront-") {
			t.Errorf("temporary file left: %s", name)
		}
	}
}

// TestInitAgain runs djfront init on a project it already set up: the
// same files are left alone, a file that differs is kept unless --force,
// and the artifacts come back when they are gone or new ones are
// installed.
func TestInitAgain(t *testing.T) {
	tests := []struct {
		name       string
		change     func(t *testing.T, dir, art string) // between the first run and the second
		args       []string
		wantCode   int
		wantStdout []string
		wantErr    string
		check      func(t *testing.T, dir string)
	}{
		{
			name: "nothing changed", change: func(*testing.T, string, string) {},
			wantStdout: []string{
				"  unchanged .aws-sam/djfront/artifacts/", "  unchanged template.yaml\n", "  unchanged samconfig.toml\n",
				"  unchanged mysite/settings.py: djfront's block is there\n",
			},
		},
		{
			name: "template.yaml edited", change: appendTo("template.yaml", "# mine\n"), wantCode: 1,
			wantErr: "nothing written, because these differ from what djfront init writes (--force replaces them): template.yaml\n",
			check:   wantSuffix("template.yaml", "# mine\n"),
		},
		{
			name: "template.yaml edited, --force", change: appendTo("template.yaml", "# mine\n"), args: []string{"--force"},
			wantStdout: []string{"  replaced  template.yaml\n", "  unchanged samconfig.toml\n"},
			check:      wantNoSuffix("template.yaml", "# mine\n"),
		},
		{
			name: "the artifacts gone (a fresh clone, rm -rf .aws-sam)",
			change: func(t *testing.T, dir, _ string) {
				if err := os.RemoveAll(filepath.Join(dir, ".aws-sam")); err != nil {
					t.Fatal(err)
				}
			},
			wantStdout: []string{"  wrote     .aws-sam/djfront/artifacts/ (djfront devel's", "  unchanged template.yaml\n"},
			check:      wantSuffix(".aws-sam/djfront/artifacts/VERSION", "devel\n"),
		},
		{
			name: "new artifacts installed", change: func(t *testing.T, _, art string) { fakeArtifacts(t, art, "0.2.0") }, wantCode: 1,
			wantErr: "(--force replaces them): .aws-sam/djfront/artifacts\n",
			check:   wantSuffix(".aws-sam/djfront/artifacts/VERSION", "devel\n"),
		},
		{
			name: "new artifacts installed, --force", change: func(t *testing.T, _, art string) { fakeArtifacts(t, art, "0.2.0") }, args: []string{"--force"},
			wantStdout: []string{"  replaced  .aws-sam/djfront/artifacts/ (djfront 0.2.0's"},
			wantErr:    "warning: the artifacts are djfront 0.2.0's, this djfront is devel",
			check: func(t *testing.T, dir string) {
				wantSuffix(".aws-sam/djfront/artifacts/rotate/bootstrap", "binary rotate/bootstrap 0.2.0")(t, dir)
				if fi, err := os.Stat(filepath.Join(dir, ".aws-sam/djfront/artifacts/rotate/bootstrap")); err != nil || fi.Mode().Perm() != 0o755 {
					t.Errorf("rotate/bootstrap: %v, %v; want mode 0755", fi, err)
				}
			},
		},
		{
			name: "the block edited", change: replaceIn("mysite/settings.py", "keep the block last", "keep it last, please"), wantCode: 1,
			wantErr: "(--force replaces them): mysite/settings.py\n",
			check:   wantContains("mysite/settings.py", "keep it last, please"),
		},
		{
			name: "the block edited and followed by lines, --force", args: []string{"--force"},
			change: func(t *testing.T, dir, art string) {
				replaceIn("mysite/settings.py", "keep the block last", "keep it last, please")(t, dir, art)
				appendTo("mysite/settings.py", "\nDEBUG = True\n")(t, dir, art)
			},
			wantStdout: []string{"  replaced  djfront's block in mysite/settings.py, now at its end (--force):\n"},
			check: func(t *testing.T, dir string) {
				got := readFile(t, dir, "mysite/settings.py")
				if want := "DEFAULT_AUTO_FIELD = 'django.db.models.BigAutoField'\n\nDEBUG = True\n\n" + settingsBlock; !strings.HasSuffix(got, want) {
					t.Errorf("mysite/settings.py ends:\n%s\nwant:\n%s", got[len(got)-len(want):], want)
				}
			},
		},
		{
			name: "lines after the block", change: appendTo("mysite/settings.py", "DEBUG = True\n"),
			wantStdout: []string{"  unchanged mysite/settings.py: djfront's block is there\n"},
			wantErr:    "warning: mysite/settings.py has statements after djfront's block, which may undo what it sets (manage.py check --deploy: djfront.W009)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, art := t.TempDir(), fakeArtifacts(t, t.TempDir(), "devel")
			writeTree(t, dir, startproject("mysite"))
			if code, _, stderr := runInitIn(t, nil, "--dir", dir, "--artifacts", art); code != 0 {
				t.Fatalf("first run: exit %d: %s", code, stderr)
			}
			tt.change(t, dir, art)
			before := snapshot(t, dir)
			code, stdout, stderr := runInitIn(t, nil, append([]string{"--dir", dir, "--artifacts", art}, tt.args...)...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) || (tt.wantErr == "" && stderr != "") {
				t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if code != 0 && !maps.Equal(before, snapshot(t, dir)) {
				t.Error("a failed run changed the project")
			}
			if tt.check != nil {
				tt.check(t, dir)
			}
			if n := strings.Count(readFile(t, dir, "mysite/settings.py"), blockStart); n != 1 {
				t.Errorf("mysite/settings.py has %d blocks, want 1", n)
			}
		})
	}
}

// appendTo returns a change that appends s to the project's file name.
func appendTo(name, s string) func(*testing.T, string, string) {
	return func(t *testing.T, dir, _ string) {
		writeTree(t, dir, map[string]string{name: readFile(t, dir, name) + s})
	}
}

// replaceIn returns a change that replaces old by new in the project's
// file name.
func replaceIn(name, old, new string) func(*testing.T, string, string) {
	return func(t *testing.T, dir, _ string) {
		got := readFile(t, dir, name)
		if !strings.Contains(got, old) {
			t.Fatalf("%s has no %q", name, old)
		}
		writeTree(t, dir, map[string]string{name: strings.Replace(got, old, new, 1)})
	}
}

// wantSuffix, wantNoSuffix and wantContains check a project file's text.
func wantSuffix(name, suffix string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if got := readFile(t, dir, name); !strings.HasSuffix(got, suffix) {
			t.Errorf("%s does not end with %q", name, suffix)
		}
	}
}

func wantNoSuffix(name, suffix string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if got := readFile(t, dir, name); strings.HasSuffix(got, suffix) {
			t.Errorf("%s still ends with %q", name, suffix)
		}
	}
}

func wantContains(name, s string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		if got := readFile(t, dir, name); !strings.Contains(got, s) {
			t.Errorf("%s lacks %q", name, s)
		}
	}
}

func TestInitNoSettings(t *testing.T) {
	settings := fmt.Sprintf(settingsPy, "mysite")
	for name, content := range map[string]string{
		"startproject's":       settings,
		"with a broken block":  settings + blockStart + "\n",
		"with djfront's block": settings + "\n" + settingsBlock,
		"with lines after it":  settings + "\n" + settingsBlock + "DEBUG = True\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, with(startproject("mysite"), map[string]string{"mysite/settings.py": content}))
			code, stdout, stderr := runInitIn(t, nil, "--dir", dir, "--artifacts", fakeArtifacts(t, t.TempDir(), "devel"), "--no-settings")
			want := "  left      mysite/settings.py alone (--no-settings): add this at its end\n\n    " +
				strings.ReplaceAll(strings.ReplaceAll(strings.TrimSuffix(settingsBlock, "\n"), "\n", "\n    "), "    \n", "\n")
			checkOutput(t, code, stdout, stderr, 0, want, "")
			if got := readFile(t, dir, "mysite/settings.py"); got != content {
				t.Errorf("--no-settings changed mysite/settings.py:\n%s", got)
			}
			if got := readFile(t, dir, "template.yaml"); !strings.Contains(got, "DJANGO_SETTINGS_MODULE: mysite.settings") {
				t.Error("--no-settings wrote no template")
			}
		})
	}
}

func TestWithBlock(t *testing.T) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	tests := []struct {
		name, src, want string
		state           blockState
		after           bool
	}{
		{name: "appended after a blank line", src: "DEBUG = True\n", want: "DEBUG = True\n\n" + settingsBlock},
		{name: "no final newline", src: "DEBUG = True", want: "DEBUG = True\n\n" + settingsBlock},
		{name: "trailing blank lines", src: "DEBUG = True\n\n\n", want: "DEBUG = True\n\n" + settingsBlock},
		{name: "empty module", src: "", want: settingsBlock},
		{name: "CRLF line endings", src: crlf("A = 1\nB = 2\n"), want: crlf("A = 1\nB = 2\n\n" + settingsBlock)},
		{name: "already there", src: "A = 1\n\n" + settingsBlock, want: "A = 1\n\n" + settingsBlock, state: blockSame},
		{name: "already there, CRLF and trailing spaces", src: crlf("A = 1\n\n" + strings.ReplaceAll(settingsBlock, "\n", "  \n")),
			want: crlf("A = 1\n\n" + strings.ReplaceAll(settingsBlock, "\n", "  \n")), state: blockSame},
		{name: "already there, then comments", src: "A = 1\n\n" + settingsBlock + "\n# the end\n",
			want: "A = 1\n\n" + settingsBlock + "\n# the end\n", state: blockSame},
		{name: "already there, then statements", src: "A = 1\n\n" + settingsBlock + "DEBUG = True\n",
			want: "A = 1\n\n" + settingsBlock + "DEBUG = True\n", state: blockSame, after: true},
		{name: "an older block, moved to the end", src: "A = 1\n\n" + blockStart + "\nold()\n" + blockEnd + "\n\nB = 2\n",
			want: "A = 1\n\nB = 2\n\n" + settingsBlock, state: blockDiffers},
		{name: "an older block at the top", src: blockStart + "\nold()\n" + blockEnd + "\nB = 2\n",
			want: "B = 2\n\n" + settingsBlock, state: blockDiffers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withBlock(tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if got.src != tt.want || got.state != tt.state || got.after != tt.after {
				t.Errorf("withBlock = %+v\nwant state %d, after %v, src:\n%q", got, tt.state, tt.after, tt.want)
			}
			if again, err := withBlock(got.src); err != nil || again.state != blockSame || again.src != got.src {
				t.Errorf("withBlock of its own result = %+v, %v; want it unchanged", again, err)
			}
		})
	}
}

func TestRequirementsWarnings(t *testing.T) {
	tests := []struct {
		name, requirements string // "" for no file
		want               []string
	}{
		{name: "everything", requirements: "Django>=4.2\ngunicorn==23.0.0\ndjfront[s3,postgres] @ git+https://github.com/djfront/djfront#subdirectory=python\n"},
		{name: "names normalized", requirements: "django\nGunicorn\nDJFront @ git+https://github.com/djfront/djfront#subdirectory=python\n"},
		{name: "an egg fragment", requirements: "django\ngunicorn\ngit+https://github.com/djfront/djfront#egg=djfront&subdirectory=python\n"},
		{name: "djfront by name from a wheel directory", requirements: "--find-links ./wheels\ndjango\ngunicorn\ndjfront==0.1.0\n"},
		{name: "djfront by name from a wheel directory, option with =", requirements: "--find-links=./wheels\ndjango\ngunicorn\ndjfront[s3]==0.1.0\n"},
		{name: "djfront by name, from PyPI", requirements: "django\ngunicorn\ndjfront[s3]==0.1.0\n", want: []string{
			"requirements.txt names djfront without a URL or a --find-links line: pip would take PyPI's djfront, another project; " +
				"copy make dist's djfront-VERSION-py3-none-any.whl into wheels/ and add a line --find-links ./wheels (docs/adopt.md#install)",
		}},
		{name: "includes another file", requirements: "-r requirements/base.txt\n"},
		{name: "no file", want: []string{"no requirements.txt: sam build puts no packages into the function, which needs Django, gunicorn and djfront at least (docs/adopt.md)"}},
		{name: "no gunicorn, djfront commented out", requirements: "Django\n# djfront\n", want: []string{
			"requirements.txt does not name gunicorn (UPSTREAM_COMMAND runs the app with it): sam build installs only what it names",
			"requirements.txt does not name djfront (the settings block imports it): sam build installs only what it names",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.requirements != "" {
				writeTree(t, dir, map[string]string{"requirements.txt": tt.requirements})
			}
			got, err := requirementsWarnings(os.DirFS(dir))
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("requirementsWarnings = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestInitFindsTheWheelsArtifacts runs djfront init as pip installs it,
// without --artifacts: the artifacts of its own version beside it.
func TestInitFindsTheWheelsArtifacts(t *testing.T) {
	prefix := t.TempDir()
	exe := install(t, prefix, map[string]string{"lib/python3.12/site-packages": buildVersion()})
	fakeArtifacts(t, filepath.Join(prefix, "lib/python3.12/site-packages/djfront/_artifacts"), buildVersion())
	dir := t.TempDir()
	writeTree(t, dir, startproject("mysite"))
	var stdout, stderr bytes.Buffer
	e := envFor(&stdout, &stderr, nil)
	e.executable = func() (string, error) { return exe, nil }
	code := run(context.Background(), e, []string{"init", "--dir", dir})
	checkOutput(t, code, stdout.String(), stderr.String(), 0, "  wrote     .aws-sam/djfront/artifacts/ (djfront devel's Lambda functions and layer, from "+prefix, "")

	// A djfront without artifacts (go install) says where they come from.
	bare := install(t, t.TempDir(), nil)
	e.executable = func() (string, error) { return bare, nil }
	stdout.Reset()
	dir = t.TempDir()
	writeTree(t, dir, startproject("mysite"))
	stderr.Reset()
	code = run(context.Background(), e, []string{"init", "--dir", dir})
	checkOutput(t, code, stdout.String(), stderr.String(), 1, "", "they come with the pip wheel (pip install djfront), not go install; or give --artifacts DIR")
}

// TestArtifactFilesMatchTheTemplate: the directories djfront init copies
// are those the project's template points its resources at.
func TestArtifactFilesMatchTheTemplate(t *testing.T) {
	copied, pointed := map[string]bool{}, map[string]bool{}
	for _, f := range artifactFiles {
		if dir, _, ok := strings.Cut(f.name, "/"); ok {
			copied[dir] = true
		}
	}
	for _, dir := range samproject.Prebuilt {
		pointed[dir] = true
	}
	if !maps.Equal(copied, pointed) {
		t.Errorf("djfront init copies %v, the template points at %v", copied, pointed)
	}
}

func TestInitNoProjectDirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	code, stdout, stderr := runInitIn(t, nil, "--dir", missing)
	checkOutput(t, code, stdout, stderr, 1, "", "djfront init: the project directory: ")
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("djfront init made %s", missing)
	}
}

// move renames from to to.
func move(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

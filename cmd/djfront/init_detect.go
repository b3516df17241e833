package main

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"

	"github.com/djfront/djfront/internal/pyname"
)

// maxSourceSize bounds each file djfront init reads from the project
// (manage.py, settings modules, requirements.txt): a larger one is not
// the Python source or list it expects.
const maxSourceSize = 1 << 20

// detected is what djfront init found in a project, and where.
type detected struct {
	settings     string // DJANGO_SETTINGS_MODULE
	settingsFrom string // where settings came from, for the report
	settingsFile string // its file, slash-separated, relative to the project
	wsgi         pyname.WSGI
	wsgiFrom     string
}

// Patterns over Python source read as text: djfront init imports nothing.
var (
	// os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings"),
	// as django-admin startproject writes it into manage.py.
	setdefaultSettings = regexp.MustCompile(`(?m)^[ \t]*[\w.]*environ\.setdefault\(\s*(?:'DJANGO_SETTINGS_MODULE'|"DJANGO_SETTINGS_MODULE")\s*,\s*(?:'([^'\n]*)'|"([^"\n]*)")\s*\)`)
	// WSGI_APPLICATION = "mysite.wsgi.application", at any indentation.
	wsgiSetting = regexp.MustCompile(`(?m)^[ \t]*WSGI_APPLICATION[ \t]*=[ \t]*(?:'([^'\n]*)'|"([^"\n]*)")[ \t]*(?:#.*)?\r?$`)
	// from .base import * (or an absolute module): where a split settings
	// module gets the rest of its settings.
	starImport = regexp.MustCompile(`(?m)^from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\*`)
)

// readSource returns the file name of fsys (slash-separated), at most
// maxSourceSize bytes; the error wraps fs.ErrNotExist when it is missing.
func readSource(fsys fs.FS, name string) (string, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, explainEscape(err))
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", name)
	}
	if info.Size() > maxSourceSize {
		return "", fmt.Errorf("%s: larger than %d bytes", name, maxSourceSize)
	}
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, explainEscape(err))
	}
	return string(b), nil
}

// explainEscape adds what os.Root's refusal means to err.
func explainEscape(err error) error {
	if err != nil && strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%w (a symbolic link that leads out of the project, or an absolute one, is refused: djfront init reads and writes inside the project only)", err)
	}
	return err
}

// literals returns the distinct string literals re captured (in its first
// or second group) in src, in order.
func literals(re *regexp.Regexp, src string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(src, -1) {
		if v := m[1] + m[2]; !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// moduleFile returns the file of module in fsys: a/b.py or a/b/__init__.py.
func moduleFile(fsys fs.FS, module string) (string, error) {
	base := strings.ReplaceAll(module, ".", "/")
	for _, name := range []string{base + ".py", base + "/__init__.py"} {
		info, err := fs.Stat(fsys, name)
		if err == nil && info.Mode().IsRegular() {
			return name, nil
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("module %s: %s: %w", module, name, explainEscape(err))
		}
	}
	return "", fmt.Errorf("module %s: neither %s.py nor %s/__init__.py in the project (the function imports it from the project's directory): %w",
		module, base, base, fs.ErrNotExist)
}

// detectSettings finds the settings module: flag (--settings), else the
// DJANGO_SETTINGS_MODULE variable env, else manage.py's setdefault, else
// the project's one top-level settings.py.
func detectSettings(fsys fs.FS, manage, flag, env string) (module, from string, err error) {
	switch {
	case flag != "":
		module, from = flag, "--settings"
	case env != "":
		module, from = env, "the DJANGO_SETTINGS_MODULE variable"
	default:
		found := literals(setdefaultSettings, manage)
		switch len(found) {
		case 0:
			module, from, err = onlySettings(fsys)
			if err != nil {
				return "", "", err
			}
		case 1:
			module, from = found[0], "manage.py"
		default:
			return "", "", fmt.Errorf("manage.py names several settings modules (%s): choose one with --settings", quoteAll(found))
		}
	}
	if err := pyname.CheckModule(module); err != nil {
		return "", "", fmt.Errorf("settings module from %s: %w", from, err)
	}
	return module, from, nil
}

// onlySettings returns the settings module of the one top-level package
// with a settings.py (or settings/__init__.py).
func onlySettings(fsys fs.FS) (module, from string, err error) {
	var found []string
	for _, pattern := range []string{"*/settings.py", "*/settings/__init__.py"} {
		matches, err := fs.Glob(fsys, pattern)
		if err != nil {
			return "", "", err
		}
		for _, m := range matches {
			if pkg := strings.SplitN(m, "/", 2)[0]; !slices.Contains(found, pkg+".settings") {
				found = append(found, pkg+".settings")
			}
		}
	}
	switch len(found) {
	case 0:
		return "", "", errors.New("manage.py names no settings module (os.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", …)) and no package has a settings.py: give --settings")
	case 1:
		return found[0], "the only settings.py (manage.py names none)", nil
	default:
		slices.Sort(found)
		return "", "", fmt.Errorf("manage.py names no settings module, and there are several (%s): choose one with --settings", quoteAll(found))
	}
}

// quoteAll returns ss quoted (%q: no control characters) and comma-joined.
func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// detectWSGI finds the WSGI application: flag (--wsgi), else the settings'
// WSGI_APPLICATION (or that of a module they star-import, as split settings
// do), else application in the wsgi.py nearest the settings module. Its
// module must be in the project.
func detectWSGI(fsys fs.FS, settings, settingsFile, flag string) (w pyname.WSGI, from string, err error) {
	defer func() {
		if err == nil {
			_, err = moduleFile(fsys, w.Module)
		}
	}()
	if flag != "" {
		w, err = pyname.ParseWSGI(flag)
		if err != nil {
			return w, "", fmt.Errorf("--wsgi: %w", err)
		}
		return w, "--wsgi", nil
	}
	value, file, err := wsgiSettingIn(fsys, settings, settingsFile, 4, map[string]bool{settings: true})
	if err != nil {
		return w, "", err
	}
	if value != "" {
		w, err = pyname.ParseWSGI(value)
		if err != nil {
			return w, "", fmt.Errorf("WSGI_APPLICATION in %s: %w", file, err)
		}
		return w, "WSGI_APPLICATION in " + file, nil
	}
	parts := strings.Split(settings, ".")
	for i := len(parts) - 1; i >= 1; i-- {
		module := strings.Join(parts[:i], ".") + ".wsgi"
		if file, err := moduleFile(fsys, module); err == nil {
			return pyname.WSGI{Module: module, Callable: "application"}, file + " (the settings set no WSGI_APPLICATION)", nil
		}
	}
	return w, "", fmt.Errorf("the settings (%s) set no WSGI_APPLICATION and no wsgi.py is next to them: give --wsgi module:callable", settingsFile)
}

// wsgiSettingIn returns the WSGI_APPLICATION that module (in file) sets,
// and the file that sets it; failing that, the one of the modules it
// star-imports, the last import first (it wins in Python), depth levels
// deep. "" when none does. Modules outside the project are not followed.
func wsgiSettingIn(fsys fs.FS, module, file string, depth int, seen map[string]bool) (value, where string, err error) {
	src, err := readSource(fsys, file)
	if err != nil {
		return "", "", err
	}
	switch found := literals(wsgiSetting, src); len(found) {
	case 0:
	case 1:
		return found[0], file, nil
	default:
		return "", "", fmt.Errorf("%s sets WSGI_APPLICATION several ways (%s): choose with --wsgi", file, quoteAll(found))
	}
	imports := starImport.FindAllStringSubmatch(src, -1)
	for i := len(imports) - 1; i >= 0 && depth > 0; i-- {
		target, ok := resolveImport(module, strings.HasSuffix(file, "/__init__.py"), imports[i][1])
		if !ok || seen[target] {
			continue
		}
		seen[target] = true
		tf, err := moduleFile(fsys, target)
		if errors.Is(err, fs.ErrNotExist) {
			continue // django.conf.global_settings and the like
		} else if err != nil {
			return "", "", err
		}
		if value, where, err = wsgiSettingIn(fsys, target, tf, depth-1, seen); err != nil || value != "" {
			return value, where, err
		}
	}
	return "", "", nil
}

// resolveImport returns the module that `from spec import *` in module
// names (pkg: module is a package, its __init__.py), resolving leading dots
// as Python does; false when it names none.
func resolveImport(module string, pkg bool, spec string) (string, bool) {
	rest := strings.TrimLeft(spec, ".")
	dots := len(spec) - len(rest)
	target := rest
	if dots > 0 {
		base := strings.Split(module, ".")
		if !pkg {
			base = base[:len(base)-1]
		}
		if dots-1 > len(base) {
			return "", false
		}
		base = base[:len(base)-(dots-1)]
		if rest != "" {
			base = append(base, rest)
		}
		target = strings.Join(base, ".")
	}
	return target, pyname.CheckModule(target) == nil
}

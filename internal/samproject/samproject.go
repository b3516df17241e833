// Package samproject makes the SAM files of a user's Django project from
// djfront's own: template.yaml (package github.com/djfront/djfront holds the
// one copy) becomes the project's template, and SamConfig its
// samconfig.toml, so that `sam build` and `sam deploy --guided` work from
// the project's directory. `djfront init` (cmd/djfront) writes them.
//
// What changes in the template, and nothing else (docs/adopt.md):
//
//   - AppMode defaults to in-function: the app runs inside the Lambda, and
//     AppFunction's CodeUri is the project's directory (".") with its WSGI
//     application in UPSTREAM_COMMAND and Handler, and its settings module
//     in DJANGO_SETTINGS_MODULE.
//   - Each resource the repository builds with its Makefile (Metadata
//     BuildMethod makefile) becomes prebuilt: the functions take the
//     artifacts directory's bootstrap (Metadata SkipBuild, which `sam
//     build` copies as it is), the layer its layer/ directory. The layout is
//     docs/install.md's ("The artifacts directory"); Prebuilt names it.
//
// The edits are made on the text, so every other line — comments, blank
// lines, CloudFormation's short tags (!Ref, !GetAtt, !Sub, …) — stays as
// djfront wrote it, and the result is checked to parse to the intended tree.
//
// SAM's template reference:
// https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification.html
package samproject

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/djfront/djfront/internal/pyname"
)

// Prebuilt maps the logical id of each resource djfront's template builds
// with the Makefile to its directory in the artifacts directory.
var Prebuilt = map[string]string{
	"HostForwardFunction": "hostforward",
	"InvalidateFunction":  "invalidate",
	"RotateFunction":      "rotate",
	"HostForwardLayer":    "layer",
}

// appFunction is the logical id of the in-function mode's function.
const appFunction = "AppFunction"

// Options describe the project a template is made for.
type Options struct {
	// Settings is the project's settings module (DJANGO_SETTINGS_MODULE),
	// a dotted module path such as "mysite.settings".
	Settings string
	// WSGI is the project's WSGI application.
	WSGI pyname.WSGI
	// Artifacts is the prebuilt artifacts' directory relative to the
	// template's, slash-separated, for example ".aws-sam/djfront/artifacts".
	Artifacts string
	// Version is djfront's version, named in the template's first comment.
	Version string
}

// artifactsPath is what Options.Artifacts may be: relative, clean, plain.
var artifactsPath = regexp.MustCompile(`^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$`)

// check validates o: the values go into YAML and a shell command.
func (o Options) check() error {
	if err := pyname.CheckModule(o.Settings); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if _, err := pyname.ParseWSGI(o.WSGI.String()); err != nil {
		return err
	}
	parts := strings.Split(o.Artifacts, "/")
	if !artifactsPath.MatchString(o.Artifacts) || slices.Contains(parts, "..") || slices.Contains(parts, ".") {
		return fmt.Errorf("artifacts directory %q: want a relative slash-separated path inside the project", o.Artifacts)
	}
	if strings.ContainsAny(o.Version, "\n\r") {
		return fmt.Errorf("version %q: more than one line", o.Version)
	}
	return nil
}

// Template returns djfront's template src made into the project's (see the
// package doc). An error means src is not djfront's template as this
// package knows it — a resource it must change is missing or shaped
// otherwise — or o is invalid.
func Template(src []byte, o Options) ([]byte, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	e, err := newEditor(src)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if err := e.set([]string{"Parameters", "AppMode", "Default"}, "in-function", "!!str"); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if err := usePrebuilt(e, o.Artifacts); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if err := runProject(e, o); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	out, err := e.bytes()
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return append([]byte(header(o)), out...), nil
}

// header is the comment the project's template starts with.
func header(o Options) string {
	return fmt.Sprintf(`# Made by djfront init (djfront %s) from djfront's template.yaml for this
# Django project, which runs inside the Lambda (AppMode in-function,
# AppFunction's CodeUri is this directory):
#   settings module    %s
#   WSGI application   %s
#   djfront's functions and layer, prebuilt: %s
# djfront init copied those artifacts beside sam build's output, so they stay
# out of the app's zip, and puts them back when they are missing. Edit this
# file as you need; djfront init --force writes it and the artifacts anew
# (after pip install -U djfront). Guide: docs/adopt.md,
# https://github.com/djfront/djfront/blob/main/docs/adopt.md
`, o.Version, o.Settings, o.WSGI, o.Artifacts)
}

// usePrebuilt points each Makefile-built resource at its artifact.
func usePrebuilt(e *editor, artifacts string) error {
	_, resources, err := lookup(e.src, []string{"Resources"})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		id := resources.Content[i].Value
		if m, _ := e.scalar([]string{"Resources", id, "Metadata", "BuildMethod"}); m != "makefile" {
			continue
		}
		dir, ok := Prebuilt[id]
		if !ok {
			return fmt.Errorf("resource %s is built with the Makefile, but no prebuilt artifact is named for it", id)
		}
		seen[id] = true
		if err := prebuild(e, id, artifacts+"/"+dir); err != nil {
			return err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(Prebuilt)) {
		if !seen[id] {
			return fmt.Errorf("no resource %s built with the Makefile (Metadata BuildMethod makefile)", id)
		}
	}
	return nil
}

// prebuild makes resource id take its code from dir as it is.
func prebuild(e *editor, id, dir string) error {
	res := []string{"Resources", id}
	meta := append(slices.Clone(res), "Metadata")
	typ, err := e.scalar(append(slices.Clone(res), "Type"))
	if err != nil {
		return err
	}
	var code string
	switch typ {
	case "AWS::Serverless::Function":
		// SkipBuild: sam build copies CodeUri as it is, and sam deploy zips it.
		code = "CodeUri"
		if e.has(meta, "BuildArchitecture") {
			if err := e.remove(meta, "BuildArchitecture"); err != nil {
				return err
			}
		}
		if err := e.insert(meta, "", "SkipBuild", "true", "!!bool", ""); err != nil {
			return err
		}
		if err := e.remove(meta, "BuildMethod"); err != nil {
			return err
		}
	case "AWS::Serverless::LayerVersion":
		// A layer without a BuildMethod is not built: ContentUri as it is.
		code = "ContentUri"
		if err := e.remove(res, "Metadata"); err != nil {
			return err
		}
	default:
		return fmt.Errorf("resource %s: type %q cannot take a prebuilt artifact", id, typ)
	}
	props := append(slices.Clone(res), "Properties")
	if e.has(props, code) {
		return e.set(append(props, code), dir, "!!str")
	}
	return e.insert(props, "", code, dir, "!!str", "")
}

// runProject makes AppFunction run the project: its directory as the code,
// its WSGI application in gunicorn's command and the handler, its settings.
func runProject(e *editor, o Options) error {
	props := []string{"Resources", appFunction, "Properties"}
	at := func(p ...string) []string { return append(slices.Clone(props), p...) }
	if err := e.set(at("CodeUri"), ".", "!!str"); err != nil {
		return err
	}
	// Lambda wants a handler for a zip; djfront's wrapper never reads it.
	if err := e.set(at("Handler"), o.WSGI.Dotted(), "!!str"); err != nil {
		return err
	}
	vars := at("Environment", "Variables")
	command, err := e.scalar(append(slices.Clone(vars), "UPSTREAM_COMMAND"))
	if err != nil {
		return err
	}
	i := strings.LastIndexByte(command, ' ')
	if i < 0 || !strings.Contains(command[i+1:], ":") {
		return fmt.Errorf("%s.UPSTREAM_COMMAND %q: does not end with gunicorn's module:callable", strings.Join(vars, "."), command)
	}
	if err := e.set(append(slices.Clone(vars), "UPSTREAM_COMMAND"), command[:i+1]+o.WSGI.String(), "!!str"); err != nil {
		return err
	}
	if e.has(vars, "DJANGO_SETTINGS_MODULE") {
		return e.set(append(slices.Clone(vars), "DJANGO_SETTINGS_MODULE"), o.Settings, "!!str")
	}
	return e.insert(vars, "UPSTREAM_COMMAND", "DJANGO_SETTINGS_MODULE", o.Settings, "!!str",
		"The project's settings module (djfront init), for the app and manage.py alike.")
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/djfront/djfront"
	"github.com/djfront/djfront/internal/samproject"
)

const initUsage = `usage: djfront init [--dir DIR] [--settings MODULE] [--wsgi MODULE:CALLABLE] [--no-settings] [--force] [--artifacts DIR]

Makes the Django project in DIR (where manage.py is) deployable with djfront,
the app running inside the Lambda, and prints what it did:

  template.yaml               djfront's SAM template for this project (AppMode in-function)
  samconfig.toml              for sam build and sam deploy --guided
  .aws-sam/djfront/artifacts  this djfront's prebuilt Lambda functions and layer
  the settings module         djfront's block at its end (djfront.settings.apply)

It finds the settings module (--settings, else DJANGO_SETTINGS_MODULE, else
manage.py's) and the WSGI application (--wsgi, else WSGI_APPLICATION) by
reading them as text: it imports and runs nothing of the project. It writes
nothing outside DIR, and replaces a file that differs from what it would
write only with --force. Then: sam build && sam deploy --guided
(docs/adopt.md).

`

// initConfig is what `djfront init`'s flags ask for.
type initConfig struct {
	dir, settings, wsgi, artifacts string
	noSettings, force              bool
}

// runInit runs `djfront init args…` (see initUsage): 0 when done, 1 when
// it found the project unfit or a file in the way, exitUsage for a usage
// error.
func runInit(_ context.Context, e env, args []string) int {
	var c initConfig
	flags := flag.NewFlagSet("djfront init", flag.ContinueOnError)
	flags.SetOutput(e.stderr)
	flags.Usage = func() {
		fmt.Fprint(e.stderr, initUsage)
		flags.PrintDefaults()
	}
	flags.StringVar(&c.dir, "dir", ".", "the Django project's directory, where manage.py is")
	flags.StringVar(&c.settings, "settings", "", "the settings module, for example mysite.settings (default: as manage.py finds it)")
	flags.StringVar(&c.wsgi, "wsgi", "", "the WSGI application, mysite.wsgi:application or mysite.wsgi.application (default: the settings' WSGI_APPLICATION)")
	flags.StringVar(&c.artifacts, "artifacts", "", "the Lambda artifacts directory to copy (default: this djfront's, as djfront artifacts prints)")
	flags.BoolVar(&c.noSettings, "no-settings", false, "leave the settings module alone; print the block to add instead")
	flags.BoolVar(&c.force, "force", false, "replace files (and a djfront block) that differ from what djfront init writes")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if flags.NArg() != 0 {
		fmt.Fprintf(e.stderr, "djfront init: takes no arguments, got %q (the project is --dir)\n", flags.Args())
		return exitUsage
	}
	if err := initProject(e, c); err != nil {
		fmt.Fprintf(e.stderr, "djfront init: %v\n", err)
		return 1
	}
	return 0
}

// initPlan is everything djfront init will write, decided before it
// writes anything.
type initPlan struct {
	found     detected
	writes    []fileWrite // the artifacts, template.yaml, samconfig.toml, then the settings
	settings  settingsEdit
	artifacts string // where they come from
	version   string // theirs
	warnings  []string
	stack     string
}

// initProject plans djfront init in c.dir and, unless that would replace
// something without c.force, writes it, reporting to e.stdout.
func initProject(e env, c initConfig) error {
	root, err := os.OpenRoot(c.dir)
	if err != nil {
		return fmt.Errorf("the project directory: %w", err)
	}
	defer root.Close()
	p, err := planInit(e, root, c)
	if err != nil {
		return err
	}
	if conflicts := p.conflicts(); len(conflicts) > 0 && !c.force {
		return fmt.Errorf("nothing written, because these differ from what djfront init writes (--force replaces them): %s",
			strings.Join(conflicts, ", "))
	}
	for _, w := range p.writes {
		if err := w.apply(root); err != nil {
			return err
		}
	}
	for _, w := range p.warnings {
		fmt.Fprintf(e.stderr, "djfront init: warning: %s\n", w)
	}
	p.report(e.stdout, root.Name(), c)
	return nil
}

// conflicts returns what p would replace: the names of the files that
// differ, the artifacts directory as one.
func (p *initPlan) conflicts() []string {
	var out []string
	for _, w := range p.writes {
		name := w.name
		if strings.HasPrefix(name, artifactsDir+"/") {
			name = artifactsDir
		}
		if w.state == fileDiffers && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// artifactsDir is where the artifacts go, relative to the project: beside
// sam build's output (.aws-sam/build), which SAM's Python builder leaves
// out of the app's zip (CodeUri is the project's directory).
const artifactsDir = ".aws-sam/djfront/artifacts"

// planInit detects the project in root and decides every write.
func planInit(e env, root *os.Root, c initConfig) (*initPlan, error) {
	fsys := root.FS()
	manage, err := readSource(fsys, "manage.py")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no manage.py in %s: run djfront init in your Django project's directory, or give --dir", root.Name())
	} else if err != nil {
		return nil, err
	}
	p := &initPlan{}
	f := &p.found
	if f.settings, f.settingsFrom, err = detectSettings(fsys, manage, c.settings, e.getenv("DJANGO_SETTINGS_MODULE")); err != nil {
		return nil, err
	}
	if f.settingsFile, err = moduleFile(fsys, f.settings); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	if f.wsgi, f.wsgiFrom, err = detectWSGI(fsys, f.settings, f.settingsFile, c.wsgi); err != nil {
		return nil, err
	}
	if p.warnings, err = requirementsWarnings(fsys); err != nil {
		return nil, err
	}
	if err := p.planArtifacts(e, root, c.artifacts); err != nil {
		return nil, err
	}
	if err := p.planSamFiles(root); err != nil {
		return nil, err
	}
	return p, p.planSettings(root, c.noSettings)
}

// planArtifacts plans the copy of the artifacts directory (dir, else the
// one that came with this djfront).
func (p *initPlan) planArtifacts(e env, root *os.Root, dir string) error {
	if dir == "" {
		exe, err := e.executable()
		if err != nil {
			return fmt.Errorf("artifacts: %w", err)
		}
		if dir, err = findArtifacts(exe, buildVersion()); err != nil {
			return fmt.Errorf("%w; or give --artifacts DIR", err)
		}
	}
	files, version, err := readArtifacts(dir)
	if err != nil {
		return err
	}
	if version != buildVersion() {
		p.warnings = append(p.warnings, fmt.Sprintf("the artifacts are djfront %s's, this djfront is %s: their template may not match", version, buildVersion()))
	}
	p.artifacts, p.version = dir, version
	for _, a := range artifactFiles {
		w, err := planWrite(root, artifactsDir+"/"+a.name, files[a.name], a.perm)
		if err != nil {
			return err
		}
		p.writes = append(p.writes, w)
	}
	return nil
}

// planSamFiles plans template.yaml and samconfig.toml.
func (p *initPlan) planSamFiles(root *os.Root) error {
	tmpl, err := samproject.Template(djfront.Template(), samproject.Options{
		Settings: p.found.settings, WSGI: p.found.wsgi, Artifacts: artifactsDir, Version: buildVersion(),
	})
	if err != nil {
		return err
	}
	p.stack = samproject.StackName(p.found.settings)
	config, err := samproject.SamConfig(p.stack, buildVersion())
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"template.yaml", tmpl}, {"samconfig.toml", config}} {
		w, err := planWrite(root, f.name, f.data, 0o644)
		if err != nil {
			return err
		}
		p.writes = append(p.writes, w)
	}
	return nil
}

// planSettings plans djfront's block at the end of the settings module;
// with noSettings, nothing (the report prints the block).
func (p *initPlan) planSettings(root *os.Root, noSettings bool) error {
	if noSettings {
		return nil
	}
	name := p.found.settingsFile
	src, err := readSource(root.FS(), name)
	if err != nil {
		return err
	}
	if p.settings, err = withBlock(src); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if p.settings.after {
		p.warnings = append(p.warnings, fmt.Sprintf("%s has statements after djfront's block, which may undo what it sets (manage.py check --deploy: djfront.W009)", name))
	}
	info, err := root.Stat(filepath.FromSlash(name))
	if err != nil {
		return fmt.Errorf("%s: %w", name, explainEscape(err))
	}
	w, err := planWrite(root, name, []byte(p.settings.src), info.Mode().Perm())
	if err != nil {
		return err
	}
	if w.state == fileDiffers && p.settings.state == blockMissing {
		w.state = fileNew // adding the block replaces nothing
	}
	p.writes = append(p.writes, w)
	return nil
}

// report prints what djfront init found and did.
func (p *initPlan) report(w io.Writer, dir string, c initConfig) {
	var b strings.Builder
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	fmt.Fprintf(&b, "djfront init: the Django project in %s\n", abs)
	fmt.Fprintf(&b, "  settings module   %s (from %s)\n", p.found.settings, p.found.settingsFrom)
	fmt.Fprintf(&b, "  WSGI application  %s (from %s)\n", p.found.wsgi, p.found.wsgiFrom)
	artifacts := fileSame
	for _, w := range p.writes[:len(artifactFiles)] {
		if w.state == fileDiffers || w.state == fileNew && artifacts == fileSame {
			artifacts = w.state
		}
	}
	fmt.Fprintf(&b, "  %-9s %s/ (djfront %s's Lambda functions and layer, from %s)\n", stateWord(artifacts), artifactsDir, p.version, p.artifacts)
	for _, w := range p.writes[len(artifactFiles) : len(artifactFiles)+2] {
		fmt.Fprintf(&b, "  %-9s %s\n", stateWord(w.state), w.name)
	}
	b.WriteString(p.settingsReport(c.noSettings))
	fmt.Fprintf(&b, "\nNext (docs/adopt.md):\n"+
		"  DJANGO_DEBUG=1 python manage.py runserver   locally: apply() wants DJFRONT_HOSTS, or DEBUG\n"+
		"  sam build && sam deploy --guided            stack %s, then djfront manage -- migrate\n", p.stack)
	io.WriteString(w, b.String())
}

// settingsReport says what became of the settings module.
func (p *initPlan) settingsReport(noSettings bool) string {
	name := p.found.settingsFile
	block := "\n    " + strings.ReplaceAll(strings.TrimSuffix(settingsBlock, "\n"), "\n", "\n    ") + "\n"
	block = strings.ReplaceAll(block, "    \n", "\n")
	switch {
	case noSettings:
		return fmt.Sprintf("  left      %s alone (--no-settings): add this at its end\n%s", name, block)
	case p.settings.state == blockSame:
		return fmt.Sprintf("  unchanged %s: djfront's block is there\n", name)
	case p.settings.state == blockDiffers:
		return fmt.Sprintf("  replaced  djfront's block in %s, now at its end (--force):\n%s", name, block)
	default:
		return fmt.Sprintf("  added     djfront's block at the end of %s:\n%s", name, block)
	}
}

// stateWord says what a write did.
func stateWord(s fileState) string {
	switch s {
	case fileSame:
		return "unchanged"
	case fileDiffers:
		return "replaced"
	default:
		return "wrote"
	}
}

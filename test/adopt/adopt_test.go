package adopt_test

import (
	"archive/zip"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.yaml.in/yaml/v3"

	"github.com/djfront/djfront/internal/local/pyenv"
	"github.com/djfront/djfront/internal/local/testenv"
)

// djangoPython is the project's Python environment, which has Django
// (make tools).
var djangoPython = pyenv.Python()

// version is what the test stamps into its djfront and its artifacts.
const version = "0.0.0+adopt"

// artifactDirs are the resources of the artifacts directory and the
// Makefile rule that builds each (docs/install.md).
var artifactDirs = map[string]string{
	"hostforward": "build-HostForwardFunction",
	"invalidate":  "build-InvalidateFunction",
	"rotate":      "build-RotateFunction",
	"layer":       "build-HostForwardLayer",
}

// samTool returns the path of name ("sam", "cfn-lint") in the project's
// Python environment (.venv/bin, make tools). A missing one is reported with
// make tools (testenv.Missing: a failure in CI).
func samTool(t *testing.T, name string) string {
	t.Helper()
	c := pyenv.Command(name)
	if fi, err := os.Stat(c); err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		testenv.Missing(t, name+" ("+c+")", "run make tools (the project's .venv has the SAM CLI and cfn-lint)")
	}
	return c
}

// installDjfront builds djfront and its linux/arm64 artifacts and lays them
// out under a prefix as pip installs the wheel; it returns the command.
func installDjfront(t *testing.T) string {
	t.Helper()
	root := testenv.RepoRoot(t)
	goCmd := testenv.RequireCommand(t, "go", "install Go (see go.mod for the version)")
	makeCmd := testenv.RequireCommand(t, "make", "apt-get install make")
	prefix := t.TempDir()
	artifacts := filepath.Join(prefix, "lib", "python3.12", "site-packages", "djfront", "_artifacts")
	for dir, rule := range artifactDirs {
		run(t, root, nil, makeCmd, "--no-print-directory", rule, "ARTIFACTS_DIR="+filepath.Join(artifacts, dir))
	}
	if err := os.WriteFile(filepath.Join(artifacts, "VERSION"), []byte(version+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(prefix, "bin", "djfront")
	run(t, root, nil, goCmd, "build", "-trimpath", "-ldflags=-X main.version="+version, "-o", exe, "./cmd/djfront")
	return exe
}

// run runs name with args in dir, with env added to the environment, and
// returns its standard output; a failure fails t with both outputs.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, errOut, err := runCmd(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func runCmd(dir string, env []string, name string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return strings.HasPrefix(k, "DJFRONT_") || strings.HasPrefix(k, "DJANGO_") || strings.HasPrefix(k, "AWS_") ||
			strings.HasPrefix(k, "PYTHON") || k == "VIRTUAL_ENV"
	}), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// samEnv is the environment of the SAM CLI and cfn-lint: offline (no
// telemetry, the weekly version check done), the region cfn-lint wants,
// and the SAM CLI's own Python first on PATH (its Python builder wants a
// python3.12 for the python3.12 runtime).
func samEnv(t *testing.T, sam string) []string {
	t.Helper()
	app := t.TempDir()
	meta := fmt.Sprintf(`{"telemetryEnabled": false, "lastVersionCheck": %d}`, time.Now().Unix())
	if err := os.WriteFile(filepath.Join(app, "metadata.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{
		"SAM_CLI_TELEMETRY=0", "__SAM_CLI_APP_DIR=" + app, "AWS_DEFAULT_REGION=us-east-1",
		"PATH=" + filepath.Dir(sam) + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
}

func TestAdopt(t *testing.T) {
	testenv.Integration(t)
	sam, lint := samTool(t, "sam"), samTool(t, "cfn-lint")
	testenv.RequirePythonModule(t, djangoPython, "django", testenv.InstallHint)
	djfront := installDjfront(t)

	project, stdout, stderr := newProject(t, djangoPython, djfront)
	for _, want := range []string{
		"settings module   mysite.settings (from manage.py)\n",
		"WSGI application  mysite.wsgi:application (from WSGI_APPLICATION in mysite/settings.py)\n",
		"wrote     .aws-sam/djfront/artifacts/ (djfront " + version + "'s Lambda functions and layer, from ",
		"wrote     template.yaml\n", "wrote     samconfig.toml\n", "added     djfront's block at the end of mysite/settings.py:\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("djfront init's report lacks %q", want)
		}
	}
	if want := "warning: no requirements.txt"; !strings.Contains(stderr, want) {
		t.Errorf("djfront init's stderr %q lacks %q", stderr, want)
	}
	if again := run(t, project, nil, djfront, "init"); strings.Count(again, "unchanged ") != 4 {
		t.Errorf("a second djfront init changed something:\n%s", again)
	}

	env := samEnv(t, sam)
	t.Run("cfn-lint", func(t *testing.T) {
		run(t, project, env, lint, "--include-checks", "I", "--", "template.yaml")
	})
	t.Run("sam build and package", func(t *testing.T) {
		run(t, project, env, sam, "build")
		checkBuild(t, project)
		checkPackage(t, project, sam, env)
	})
	t.Run("manage.py check --deploy", func(t *testing.T) { checkDeploy(t, project) })
}

// resource returns the property prop (CodeUri, ContentUri) of resource id
// in the template at path.
func resource(t *testing.T, path, id, prop string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v, _ := doc.Resources[id].Properties[prop].(string)
	if v == "" {
		t.Fatalf("%s: no %s.%s", path, id, prop)
	}
	return v
}

// prebuilt are the files each prebuilt resource's code must hold, and
// their modes.
var prebuilt = map[string]map[string]os.FileMode{
	"HostForwardFunction": {"bootstrap": 0o755},
	"InvalidateFunction":  {"bootstrap": 0o755},
	"RotateFunction":      {"bootstrap": 0o755},
	"HostForwardLayer":    {"djfront-wrapper": 0o755, "djfront/hostforward": 0o755},
}

// codeProperty is the property that names a resource's code.
func codeProperty(id string) string {
	if strings.HasSuffix(id, "Layer") {
		return "ContentUri"
	}
	return "CodeUri"
}

// checkBuild checks what sam build left in .aws-sam/build: the project as
// the app function (without the artifacts beside it), each prebuilt
// resource's code the artifacts as they are.
func checkBuild(t *testing.T, project string) {
	t.Helper()
	build := filepath.Join(project, ".aws-sam", "build")
	built := filepath.Join(build, "template.yaml")
	app := filepath.Join(build, resource(t, built, "AppFunction", "CodeUri"))
	files := tree(t, app)
	for _, want := range []string{"manage.py", "mysite/settings.py", "mysite/wsgi.py"} {
		if _, ok := files[want]; !ok {
			t.Errorf("the app function's build lacks %s: %v", want, slices.Sorted(keys(files)))
		}
	}
	for name := range files {
		if strings.HasPrefix(name, ".aws-sam/") || filepath.Base(name) == "bootstrap" || filepath.Base(name) == "hostforward" {
			t.Errorf("the app function's build holds %s: the artifacts belong to their own functions", name)
		}
	}
	for id, want := range prebuilt {
		dir := filepath.Join(build, resource(t, built, id, codeProperty(id)))
		checkFiles(t, id, tree(t, dir), want)
	}
}

// tree returns the files under dir (slash-separated) and their contents
// and modes.
func tree(t *testing.T, dir string) map[string]file {
	t.Helper()
	out := map[string]file{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = file{b, info.Mode()}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type file struct {
	data []byte
	mode os.FileMode
}

func keys(m map[string]file) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkFiles checks that got holds exactly want's files, with their modes,
// and that the executables are linux/arm64 ELF (the wrapper excepted: a
// shell script).
func checkFiles(t *testing.T, what string, got map[string]file, want map[string]os.FileMode) {
	t.Helper()
	if names := slices.Sorted(keys(got)); len(names) != len(want) {
		t.Errorf("%s holds %v, want %d files", what, names, len(want))
	}
	for name, mode := range want {
		f, ok := got[name]
		if !ok {
			t.Errorf("%s lacks %s", what, name)
			continue
		}
		if f.mode.Perm() != mode {
			t.Errorf("%s: %s has mode %v, want %v", what, name, f.mode.Perm(), mode)
		}
		if name == "djfront-wrapper" {
			if !bytes.HasPrefix(f.data, []byte("#!/bin/sh\n")) {
				t.Errorf("%s: %s is not the wrapper script", what, name)
			}
			continue
		}
		e, err := elf.NewFile(bytes.NewReader(f.data))
		if err != nil || e.Machine != elf.EM_AARCH64 || e.Type != elf.ET_EXEC {
			t.Errorf("%s: %s is not a linux/arm64 executable (%v)", what, name, err)
		}
	}
}

// checkPackage runs sam package against moto's S3, as sam deploy does
// before it creates the change set, and checks each zip it uploaded.
func checkPackage(t *testing.T, project, sam string, env []string) {
	t.Helper()
	moto := testenv.StartMoto(t)
	const bucket = "djfront-adopt-artifacts"
	if _, err := moto.S3().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	packaged := filepath.Join(t.TempDir(), "packaged.yaml")
	run(t, project, append(slices.Clone(env), moto.Env()...), sam, "package", "--s3-bucket", bucket, "--output-template-file", packaged)
	zipAt := func(id string) map[string]file {
		uri := resource(t, packaged, id, codeProperty(id))
		key, ok := strings.CutPrefix(uri, "s3://"+bucket+"/")
		if !ok {
			t.Fatalf("%s's code is at %q, want s3://%s/…", id, uri, bucket)
		}
		obj, err := moto.S3().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Body.Close()
		return unzip(t, id, obj.Body)
	}
	for id, want := range prebuilt {
		checkFiles(t, id+"'s zip", zipAt(id), want)
	}
	app := zipAt("AppFunction")
	if settings := string(app["mysite/settings.py"].data); !strings.Contains(settings, "_djfront_settings.apply(globals())") {
		t.Errorf("the app's zip: mysite/settings.py has no djfront block:\n%s", settings)
	}
	for name := range app {
		if strings.HasPrefix(name, ".aws-sam/") {
			t.Errorf("the app's zip holds %s", name)
		}
	}
}

// unzip returns the files of the zip r.
func unzip(t *testing.T, what string, r io.Reader) map[string]file {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	out := map[string]file{}
	for _, f := range z.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = file{data, f.Mode()}
	}
	return out
}

// checkDeploy runs the project's manage.py check --deploy with the djfront
// package from python/, in the environment the stack gives the function:
// no djfront.W009 as djfront init left the settings, W009 once a line
// after its block sets DEBUG. And locally, DJANGO_DEBUG=1 alone suffices.
func checkDeploy(t *testing.T, project string) {
	t.Helper()
	pkg := filepath.Join(testenv.RepoRoot(t), "python")
	src, err := os.ReadFile(filepath.Join(pkg, "djfront", "settings.py"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte("\ndef apply(")) {
		testenv.Missing(t, "djfront.settings.apply(), which djfront init's block calls (python/djfront/settings.py)",
			"merge branch d-settings")
	}
	deployed := []string{
		"PYTHONPATH=" + pkg, "DJFRONT_HOSTS=www.example.com", "DJFRONT_UPSTREAM_SECRETS=adopt-upstream-credential",
		"DJANGO_SECRET_KEY=" + strings.Repeat("k3y-Adopt-", 7),
	}
	check := func(env ...string) string {
		out, errOut, err := runCmd(project, env, djangoPython, "manage.py", "check", "--deploy")
		if err != nil {
			t.Fatalf("manage.py check --deploy: %v\n%s%s", err, out, errOut)
		}
		return out + errOut
	}
	if out := check(deployed...); strings.Contains(out, "djfront.W009") {
		t.Errorf("check --deploy of the settings as djfront init left them reports W009:\n%s", out)
	}
	local := run(t, project, []string{"PYTHONPATH=" + pkg, "DJANGO_DEBUG=1"}, djangoPython, "manage.py", "check")
	if !strings.Contains(local, "System check identified no issues") {
		t.Errorf("manage.py check with DJANGO_DEBUG=1: %s", local)
	}
	settings := filepath.Join(project, "mysite", "settings.py")
	f, err := os.OpenFile(settings, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "DEBUG = True")
	f.Close()
	out := check(deployed...)
	if !strings.Contains(out, "(djfront.W009) Settings differ from what djfront.settings.apply() sets from the environment: DEBUG is True, djfront.settings set False.") {
		t.Errorf("check --deploy with DEBUG = True after the block:\n%s\nwant djfront.W009 naming DEBUG", out)
	}
}

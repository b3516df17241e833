package template_test

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// The container-image variant of the in-function mode (deploy/container).
const (
	dockerfilePath  = "deploy/container/Dockerfile"
	imageSnippet    = "deploy/container/app-function.yaml"
	lambdaPythonTag = "public.ecr.aws/lambda/python:"
)

// dockerInstruction is one instruction of a Dockerfile: its keyword in upper
// case and the rest of its line, continuation lines joined.
type dockerInstruction struct {
	Cmd, Args string
}

// readDockerfile reads the instructions of the Dockerfile at path (comments
// and blank lines dropped, "\" continuations joined), enough to check what
// it copies and runs; there is no Docker engine here to build it.
func readDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var line string
	for l := range strings.SplitSeq(string(raw), "\n") {
		trimmed := strings.TrimSpace(l)
		if line == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, "\\"); ok {
			line += cont + " "
			continue
		}
		line += trimmed
		cmd, args, _ := strings.Cut(line, " ")
		out = append(out, dockerInstruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")})
		line = ""
	}
	if line != "" {
		t.Fatalf("%s ends in a continuation line", path)
	}
	return out
}

// TestDockerfile checks the image's Dockerfile against the zip variant's
// contract: AWS's Lambda Python base image of the template's runtime, the
// layer's files at the layer's paths (hostforward built as the Makefile
// builds it), the example project as its zip holds it, the template's
// UPSTREAM_COMMAND, and hostforward as the entrypoint.
func TestDockerfile(t *testing.T) {
	root := testenv.RepoRoot(t)
	steps := readDockerfile(t, filepath.Join(root, dockerfilePath))
	fn := at(t, deploy(t, translate(t, inFunction), inFunction), "Resources.AppFunction.Properties")

	var froms []string
	copied := map[string]string{} // destination → source ("--from=stage src" for a stage)
	for _, s := range steps {
		switch s.Cmd {
		case "FROM":
			f := strings.Fields(s.Args)
			froms = append(froms, slices.DeleteFunc(f, func(x string) bool { return strings.HasPrefix(x, "--") })[0])
		case "COPY":
			// COPY [--from=stage] src... dst: a directory's contents go to dst;
			// a file goes to dst, or into it when dst ends with a slash.
			f := strings.Fields(s.Args)
			from := ""
			if strings.HasPrefix(f[0], "--from=") {
				from, f = f[0]+" ", f[1:]
			}
			if len(f) < 2 {
				t.Errorf("COPY %s: want a source and a destination", s.Args)
				continue
			}
			dst := strings.ReplaceAll(f[len(f)-1], "${LAMBDA_TASK_ROOT}", "/var/task")
			for _, src := range f[:len(f)-1] {
				dir := false
				if from == "" {
					info, err := os.Stat(filepath.Join(root, src))
					if err != nil {
						t.Errorf("COPY %s: %v", src, err)
						continue
					}
					dir = info.IsDir()
				}
				to := dst
				if !dir && strings.HasSuffix(dst, "/") {
					to += path.Base(src)
				}
				copied[path.Clean(to)] = from + strings.TrimSuffix(src, "/")
			}
		}
	}

	t.Run("base image", func(t *testing.T) {
		if len(froms) != 2 {
			t.Fatalf("got stages %q, want a Go build stage and the Lambda image", froms)
		}
		runtime, _ := at(t, fn, "Runtime").(string)
		if want := lambdaPythonTag + strings.TrimPrefix(runtime, "python"); froms[1] != want {
			t.Errorf("final image %s, want %s (AWS's base image for the template's %s)", froms[1], want, runtime)
		}
		goMod, err := os.ReadFile(filepath.Join(root, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		var goVersion string
		for l := range strings.SplitSeq(string(goMod), "\n") {
			if v, ok := strings.CutPrefix(l, "go "); ok {
				goVersion = strings.Join(strings.Split(v, ".")[:2], ".")
			}
		}
		if want := "public.ecr.aws/docker/library/golang:" + goVersion + "-"; !strings.HasPrefix(froms[0], want) {
			t.Errorf("Go stage %s, want %s… (go.mod's Go)", froms[0], want)
		}
	})

	t.Run("the layer's files at the layer's paths", func(t *testing.T) {
		for name, binary := range layerFiles {
			src, ok := copied["/opt/"+name]
			switch {
			case !ok:
				t.Errorf("nothing copied to /opt/%s", name)
			case binary && !strings.HasPrefix(src, "--from="):
				t.Errorf("/opt/%s from %s, want the Go stage's build", name, src)
			case !binary && src != "deploy/layer/"+name:
				t.Errorf("/opt/%s from %s, want deploy/layer/%s", name, src, name)
			}
		}
	})

	t.Run("hostforward built as the layer builds it", func(t *testing.T) {
		var build string
		for _, s := range steps {
			if s.Cmd == "RUN" && strings.Contains(s.Args, "go build") {
				build = s.Args
			}
		}
		for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "-tags lambda.norpc", "-trimpath", "./functions/hostforward"} {
			if !strings.Contains(build, want) {
				t.Errorf("go build %q lacks %s", build, want)
			}
		}
	})

	t.Run("the project as its zip holds it", func(t *testing.T) {
		codeURI, _ := at(t, rawTemplate(t), "Resources.AppFunction.Properties.CodeUri").(string)
		entries, err := os.ReadDir(filepath.Join(root, codeURI))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			if slices.Contains(builderExcludes, name) || name == "README.md" {
				continue
			}
			want := codeURI + "/" + name
			if e.Type()&os.ModeSymlink != 0 {
				target, err := filepath.EvalSymlinks(filepath.Join(root, codeURI, name))
				if err != nil {
					t.Fatal(err)
				}
				want, _ = filepath.Rel(root, target)
			}
			if got := copied["/var/task/"+name]; got != filepath.ToSlash(want) {
				t.Errorf("/var/task/%s from %q, want %q", name, got, want)
			}
		}
	})

	t.Run("UPSTREAM_COMMAND and entrypoint", func(t *testing.T) {
		var env, entrypoint string
		for _, s := range steps {
			switch s.Cmd {
			case "ENV":
				if v, ok := strings.CutPrefix(s.Args, "UPSTREAM_COMMAND="); ok {
					env = strings.ReplaceAll(strings.Trim(v, `"`), `\$`, "$")
				}
			case "ENTRYPOINT":
				entrypoint = s.Args
			}
		}
		checkJSON(t, env, mustJSON(t, at(t, fn, "Environment.Variables.UPSTREAM_COMMAND")))
		if entrypoint != `["/opt/djfront/hostforward"]` {
			t.Errorf("ENTRYPOINT %s, want [\"/opt/djfront/hostforward\"]", entrypoint)
		}
	})
}

// TestImageVariant applies deploy/container/app-function.yaml as the deploy
// guide says (it replaces AppFunction; the layer goes), translates and lints
// the result, and checks that the image function is the zip function in
// every property but its packaging: what the template gives AppFunction, the
// snippet gives it too, apart from the runtime, the layer and the two
// variables the image itself carries.
func TestImageVariant(t *testing.T) {
	testenv.Integration(t)
	lint := testenv.PythonCommand(t, "cfn-lint")
	raw := rawTemplate(t)
	var snippet map[string]any
	if err := json.Unmarshal(translator(t, "--raw", imageSnippet), &snippet); err != nil {
		t.Fatal(err)
	}
	resources := raw["Resources"].(map[string]any)
	zip := resources["AppFunction"].(map[string]any)
	resources["AppFunction"] = at(t, snippet, "Resources.AppFunction")
	delete(resources, "HostForwardLayer")
	file := filepath.Join(t.TempDir(), "template.json")
	b, _ := json.Marshal(raw)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	translated := filepath.Join(t.TempDir(), "translated.json")
	if err := os.WriteFile(translated, translator(t, file, "AppMode=in-function"), 0o600); err != nil {
		t.Fatal(err)
	}
	// One run for both forms: cfn-lint takes seconds to start.
	if out, err := exec.Command(lint, "--include-checks", "I", "--", file, translated).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}

	image := at(t, snippet, "Resources.AppFunction").(map[string]any)
	checkJSON(t, at(t, image, "Metadata"),
		`{"DockerContext":".","Dockerfile":"`+dockerfilePath+`","DockerTag":"djfront-app"}`)
	checkJSON(t, at(t, image, "Properties.PackageType"), `"Image"`)
	checkJSON(t, image["Condition"], mustJSON(t, zip["Condition"]))

	zipProps := maps.Clone(zip["Properties"].(map[string]any))
	imageProps := maps.Clone(image["Properties"].(map[string]any))
	for _, k := range []string{"CodeUri", "Runtime", "Handler", "Layers"} {
		delete(zipProps, k)
	}
	delete(imageProps, "PackageType")
	zipVars := maps.Clone(at(t, zipProps, "Environment.Variables").(map[string]any))
	delete(zipVars, "AWS_LAMBDA_EXEC_WRAPPER") // the entrypoint is hostforward itself
	delete(zipVars, "UPSTREAM_COMMAND")        // the image's ENV (TestDockerfile)
	zipProps["Environment"] = map[string]any{"Variables": zipVars}
	for _, k := range slices.Sorted(maps.Keys(zipProps)) {
		if !reflect.DeepEqual(zipProps[k], imageProps[k]) {
			t.Errorf("%s: image %s, zip %s", k, mustJSON(t, imageProps[k]), mustJSON(t, zipProps[k]))
		}
	}
	for k := range imageProps {
		if _, ok := zipProps[k]; !ok {
			t.Errorf("%s: only the image function has it", k)
		}
	}
}

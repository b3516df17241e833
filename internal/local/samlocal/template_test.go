package samlocal_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djfront/djfront/internal/local/samlocal"
)

func TestReadTemplate(t *testing.T) {
	tpl, err := samlocal.ReadTemplate("testdata/template.yaml", map[string]string{"Hosts": "www.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(maps.Keys(tpl.Functions)), []string{"Api", "App", "Worker"}; !slices.Equal(got, want) {
		t.Fatalf("functions %q, want %q", got, want)
	}
	dir, _ := filepath.Abs("testdata")
	api, worker := tpl.Functions["Api"], tpl.Functions["Worker"]
	for _, c := range []struct{ what, got, want string }{
		{"Api CodeDir", api.CodeDir, dir},
		{"Api BuildMethod", api.BuildMethod, "makefile"},
		{"Api Runtime", api.Runtime, "provided.al2023"},
		{"Api Architectures", strings.Join(api.Architectures, ","), "arm64"},
		{"Api Timeout", api.Timeout.String(), (29 * time.Second).String()},
		{"Worker CodeDir", worker.CodeDir, filepath.Join(dir, "worker")},
		{"Worker BuildMethod", worker.BuildMethod, "go1.x"},
		{"Worker Timeout (Globals)", worker.Timeout.String(), (10 * time.Second).String()},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if api.MemoryMB != 256 || worker.MemoryMB != 128 {
		t.Errorf("MemoryMB = %d, %d, want 256, 128 (Lambda's default)", api.MemoryMB, worker.MemoryMB)
	}
	wantEnv := map[string]string{
		"UPSTREAM_URL":  "http://127.0.0.1:8000", // parameter default
		"ALLOWED_HOSTS": "www.example.com",       // parameter override
		"DISTRIBUTION":  "",                      // unresolvable intrinsic
		"SECRET":        "",
		"MAX":           "15",
		"SHARED":        "from-globals",
		"OVERRIDDEN":    "from-function",
	}
	if !maps.Equal(api.Environment, wantEnv) {
		t.Errorf("Api environment = %v, want %v", api.Environment, wantEnv)
	}

	app := tpl.Functions["App"]
	if got, want := app.Layers, []string{"Tools", "arn:aws:lambda:us-east-1:123456789012:layer:other:1"}; !slices.Equal(got, want) {
		t.Errorf("App layers = %q, want %q", got, want)
	}
	// A Ref to a resource is kept by id; one to a parameter is resolved,
	// with or without a default.
	if got, want := app.EnvironmentRefs, map[string]string{"QUEUE": "Queue"}; !maps.Equal(got, want) {
		t.Errorf("App EnvironmentRefs = %v, want %v", got, want)
	}
	if len(api.EnvironmentRefs) != 0 {
		t.Errorf("Api EnvironmentRefs = %v, want none (a GetAtt and a Sub are not Refs)", api.EnvironmentRefs)
	}
	if got, want := *tpl.Layers["Tools"], (samlocal.Layer{LogicalID: "Tools", ContentDir: "/srv/tools", BuildMethod: "makefile"}); got != want {
		t.Errorf("layer Tools = %+v, want %+v", got, want)
	}
}

func TestTemplateFunction(t *testing.T) {
	tpl, err := samlocal.ReadTemplate("testdata/template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ id, err string }{
		{"Api", ""},
		{"", "name the function to run"},
		{"Nope", `no function "Nope"`},
	} {
		t.Run(tt.id, func(t *testing.T) {
			_, err := tpl.Function(tt.id)
			if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("Function(%q) error = %v, want %q", tt.id, err, tt.err)
			}
		})
	}
}

func TestEnvironPrecedence(t *testing.T) {
	tpl, err := samlocal.ReadTemplate("testdata/template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "env.json")
	err = os.WriteFile(path, []byte(`{
		"Parameters": {"MAX": 20, "SHARED": "from-parameters", "UNDECLARED": "x"},
		"Api": {"MAX": "30", "ALLOWED_HOSTS": true}
	}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := samlocal.ReadEnvVars(path)
	if err != nil {
		t.Fatal(err)
	}
	shell := []string{"UPSTREAM_URL=http://shell", "MAX=from-shell", "HOME=/root"}
	got := tpl.Functions["Api"].Environ(shell, vars)
	want := []string{
		"ALLOWED_HOSTS=true", "DISTRIBUTION=", "MAX=30", "OVERRIDDEN=from-function",
		"SECRET=", "SHARED=from-parameters", "UPSTREAM_URL=http://shell",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Environ =\n%q\nwant\n%q", got, want)
	}
	if got, want := tpl.Functions["Api"].Undeclared(vars), []string{"Parameters.UNDECLARED"}; !slices.Equal(got, want) {
		t.Errorf("Undeclared = %q, want %q", got, want)
	}
}

func TestReadEnvVarsRejects(t *testing.T) {
	for _, tt := range []struct{ name, doc, err string }{
		{"not an object", `[]`, "want {"},
		{"nested object", `{"Api": {"A": {"b": 1}}}`, "Api.A: want a string, number or boolean"},
		{"null", `{"Api": {"A": null}}`, "Api.A"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "env.json")
			if err := os.WriteFile(path, []byte(tt.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := samlocal.ReadEnvVars(path); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error = %v, want it to contain %q", err, tt.err)
			}
		})
	}
}

// The project's own template and env file, as the demo and djfront invoke read
// them.
func TestProjectTemplate(t *testing.T) {
	tpl, err := samlocal.ReadTemplate("../../../template.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	vars, err := samlocal.ReadEnvVars("../../../sam/env.json")
	if err != nil {
		t.Fatal(err)
	}
	for id, wantVars := range map[string][]string{
		"HostForwardFunction": {"ALLOWED_HOSTS", "ORIGIN_VERIFY_SECRETS", "ORIGIN_VERIFY_SECRET_ARN", "UPSTREAM_TIMEOUT",
			"UPSTREAM_URL", "UPSTREAM_VERIFY_SECRET", "UPSTREAM_VERIFY_SECRET_ARN"},
		"InvalidateFunction": {"DISTRIBUTION_ID", "MAX_PATHS", "ORIGIN_PATH", "STATIC_PREFIX"},
	} {
		fn, err := tpl.Function(id)
		if err != nil {
			t.Fatal(err)
		}
		if fn.BuildMethod != "makefile" || fn.Runtime != "provided.al2023" {
			t.Errorf("%s: BuildMethod %q, Runtime %q", id, fn.BuildMethod, fn.Runtime)
		}
		var names []string
		for _, kv := range fn.Environ(nil, vars) {
			name, value, _ := strings.Cut(kv, "=")
			names = append(names, name)
			// Locally the secrets are not read from Secrets Manager, and no
			// app credential is sent.
			if value == "" && !slices.Contains([]string{"ORIGIN_PATH", "ORIGIN_VERIFY_SECRET_ARN",
				"UPSTREAM_VERIFY_SECRET_ARN", "UPSTREAM_VERIFY_SECRET"}, name) {
				t.Errorf("%s: %s is empty after sam/env.json", id, name)
			}
		}
		if !slices.Equal(names, wantVars) {
			t.Errorf("%s: variables %q, want %q", id, names, wantVars)
		}
	}
}

func TestTemplateString(t *testing.T) {
	tpl, err := samlocal.ReadTemplate("testdata/template.yaml", map[string]string{"Hosts": "www.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		v    any
		want string
		ok   bool
	}{
		{"literal", "static/*", "static/*", true},
		{"Ref to a parameter", map[string]any{"Ref": "Hosts"}, "www.example.com", true},
		{"Sub of parameters", map[string]any{"Fn::Sub": "${Hosts}/x/${Hosts}"}, "www.example.com/x/www.example.com", true},
		{"Sub of a resource", map[string]any{"Fn::Sub": "${Api.Arn}"}, "", false},
		{"Sub unterminated", map[string]any{"Fn::Sub": "${Hosts"}, "", false},
		{"Ref to a resource", map[string]any{"Ref": "Api"}, "", false},
		{"GetAtt", map[string]any{"Fn::GetAtt": []any{"Api", "Arn"}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tpl.String(tt.v)
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %q, %v, want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if got := tpl.Resources["Api"].Type; got != "AWS::Serverless::Function" {
		t.Errorf("Resources[Api].Type = %q, want AWS::Serverless::Function", got)
	}
}

func TestProjectRoot(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want, err string
	}{
		{"from a package", ".", root, ""},
		{"from the root", root, root, ""},
		{"a template without go.mod is not a root", "testdata", root, ""},
		{"outside", t.TempDir(), "", "no go.mod with template.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := samlocal.ProjectRoot(tt.dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ProjectRoot(%q) error = %v, want %q", tt.dir, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ProjectRoot(%q) = %q, %v; want %q", tt.dir, got, err, tt.want)
			}
		})
	}
}

func TestResource(t *testing.T) {
	tpl, err := samlocal.ReadTemplate("../../../template.yaml", map[string]string{"StaticPrefix": "assets"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("parameters resolved, other intrinsics kept", func(t *testing.T) {
		props, err := tpl.Resource("InvalidationEventSource", "AWS::Lambda::EventSourceMapping")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := props["MaximumBatchingWindowInSeconds"], "30"; got != want {
			t.Errorf("MaximumBatchingWindowInSeconds = %v, want %q (the parameter's default)", got, want)
		}
		arn, _ := props["EventSourceArn"].(map[string]any)
		if got := fmt.Sprint(arn["Fn::GetAtt"]); got != "[InvalidationQueue Arn]" {
			t.Errorf("EventSourceArn = %v, want the GetAtt kept", props["EventSourceArn"])
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct{ id, typ, err string }{
			{"Nope", "AWS::S3::Bucket", "has no resource Nope"},
			{"AssetsBucket", "AWS::SQS::Queue", "is a AWS::S3::Bucket, want AWS::SQS::Queue"},
		} {
			if _, err := tpl.Resource(tt.id, tt.typ); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Resource(%s, %s) error = %v, want %q", tt.id, tt.typ, err, tt.err)
			}
		}
	})
}

package samproject_test

import (
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/djfront/djfront"
	"github.com/djfront/djfront/internal/pyname"
	"github.com/djfront/djfront/internal/samproject"
)

var mysite = samproject.Options{
	Settings:  "mysite.settings",
	WSGI:      pyname.WSGI{Module: "mysite.wsgi", Callable: "application"},
	Artifacts: ".aws-sam/djfront/artifacts",
	Version:   "0.1.0",
}

// lineDiff returns the lines of a that are not in b and those of b that are
// not in a, by a longest common subsequence of lines.
func lineDiff(a, b []string) (removed, added []string) {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			removed, i = append(removed, a[i]), i+1
		default:
			added, j = append(added, b[j]), j+1
		}
	}
	return append(removed, a[i:]...), append(added, b[j:]...)
}

// TestTemplateChangesOnlyWhatItMust makes djfront's template.yaml into a
// project's and checks the text line by line: the header, and the lines of
// the changes the package doc lists, nothing else — so every comment, blank
// line, folded scalar and short tag (!Ref, !Sub, …) stays as written.
func TestTemplateChangesOnlyWhatItMust(t *testing.T) {
	src := djfront.Template()
	out, err := samproject.Template(src, mysite)
	if err != nil {
		t.Fatal(err)
	}
	header, body, ok := strings.Cut(string(out), "\nAWSTemplateFormatVersion:")
	if !ok || !strings.HasPrefix(header, "# Made by djfront init (djfront 0.1.0)") {
		t.Fatalf("template starts %q, want the header comment, then AWSTemplateFormatVersion", header)
	}
	for _, want := range []string{"mysite.settings", "mysite.wsgi:application", ".aws-sam/djfront/artifacts", "docs/adopt.md"} {
		if !strings.Contains(header, want) {
			t.Errorf("header does not name %q:\n%s", want, header)
		}
	}
	removed, added := lineDiff(strings.Split(string(src), "\n"), strings.Split("AWSTemplateFormatVersion:"+body, "\n"))
	wantRemoved := []string{
		"    Default: external",
		"      BuildMethod: makefile", // RotateFunction
		"      BuildMethod: makefile", // HostForwardFunction
		"    Metadata:",               // HostForwardLayer's
		"      BuildMethod: makefile",
		"      BuildArchitecture: arm64",
		"      ContentUri: .",
		"      CodeUri: examples/djangoapp",
		"      Handler: demo.wsgi.application",
		"          UPSTREAM_COMMAND: exec python3 -m gunicorn --bind 127.0.0.1:$PORT --workers 1 --threads 2 --timeout 0 demo.wsgi:application",
		"      BuildMethod: makefile", // InvalidateFunction
	}
	wantAdded := []string{
		"    Default: in-function",
		"      SkipBuild: true",
		"      CodeUri: .aws-sam/djfront/artifacts/rotate",
		"      SkipBuild: true",
		"      CodeUri: .aws-sam/djfront/artifacts/hostforward",
		"      ContentUri: .aws-sam/djfront/artifacts/layer",
		"      CodeUri: .",
		"      Handler: mysite.wsgi.application",
		"          UPSTREAM_COMMAND: exec python3 -m gunicorn --bind 127.0.0.1:$PORT --workers 1 --threads 2 --timeout 0 mysite.wsgi:application",
		"          # The project's settings module (djfront init), for the app and manage.py alike.",
		"          DJANGO_SETTINGS_MODULE: mysite.settings",
		"      SkipBuild: true",
		"      CodeUri: .aws-sam/djfront/artifacts/invalidate",
	}
	if !slices.Equal(removed, wantRemoved) {
		t.Errorf("lines removed:\n%s\nwant:\n%s", strings.Join(removed, "\n"), strings.Join(wantRemoved, "\n"))
	}
	if !slices.Equal(added, wantAdded) {
		t.Errorf("lines added:\n%s\nwant:\n%s", strings.Join(added, "\n"), strings.Join(wantAdded, "\n"))
	}
}

// at returns the node at path (mapping keys) in doc, or nil.
func at(doc *yaml.Node, path ...string) *yaml.Node {
	n := doc.Content[0]
	for _, k := range path {
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// TestTemplateResources reads the project's template as SAM will: each
// Makefile-built resource takes its prebuilt artifact, the app function
// the project.
func TestTemplateResources(t *testing.T) {
	out, err := samproject.Template(djfront.Template(), mysite)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path []string
		want string
	}{
		{[]string{"Parameters", "AppMode", "Default"}, "in-function"},
		{[]string{"Resources", "HostForwardFunction", "Properties", "CodeUri"}, ".aws-sam/djfront/artifacts/hostforward"},
		{[]string{"Resources", "HostForwardFunction", "Metadata", "SkipBuild"}, "true"},
		{[]string{"Resources", "InvalidateFunction", "Properties", "CodeUri"}, ".aws-sam/djfront/artifacts/invalidate"},
		{[]string{"Resources", "InvalidateFunction", "Metadata", "SkipBuild"}, "true"},
		{[]string{"Resources", "RotateFunction", "Properties", "CodeUri"}, ".aws-sam/djfront/artifacts/rotate"},
		{[]string{"Resources", "RotateFunction", "Metadata", "SkipBuild"}, "true"},
		{[]string{"Resources", "HostForwardLayer", "Properties", "ContentUri"}, ".aws-sam/djfront/artifacts/layer"},
		{[]string{"Resources", "AppFunction", "Properties", "CodeUri"}, "."},
		{[]string{"Resources", "AppFunction", "Properties", "Runtime"}, "python3.12"},
		{[]string{"Resources", "AppFunction", "Properties", "Handler"}, "mysite.wsgi.application"},
		{[]string{"Resources", "AppFunction", "Properties", "Environment", "Variables", "DJANGO_SETTINGS_MODULE"}, "mysite.settings"},
		{[]string{"Resources", "AppFunction", "Properties", "Environment", "Variables", "AWS_LAMBDA_EXEC_WRAPPER"}, "/opt/djfront-wrapper"},
	}
	for _, tt := range tests {
		if n := at(&doc, tt.path...); n == nil || n.Value != tt.want {
			t.Errorf("%s = %v, want %q", strings.Join(tt.path, "."), n, tt.want)
		}
	}
	if n := at(&doc, "Resources", "HostForwardLayer", "Metadata"); n != nil {
		t.Errorf("HostForwardLayer keeps its Metadata (a layer with a BuildMethod is built): %v", n)
	}
	if n := at(&doc, "Resources", "AppFunction", "Properties", "Layers"); n == nil || len(n.Content) != 1 || n.Content[0].Tag != "!Ref" || n.Content[0].Value != "HostForwardLayer" {
		t.Errorf("AppFunction's Layers lost !Ref HostForwardLayer: %v", n)
	}
	for _, resource := range []string{"HostForwardFunction", "InvalidateFunction", "RotateFunction"} {
		if n := at(&doc, "Resources", resource, "Metadata"); n == nil || len(n.Content) != 2 {
			t.Errorf("%s's Metadata = %v, want SkipBuild only", resource, n)
		}
	}
}

// TestTemplateRefuses covers bad options (values that would end up in YAML
// and a shell command) and templates that are not djfront's as the package
// knows it.
func TestTemplateRefuses(t *testing.T) {
	src := string(djfront.Template())
	with := func(f func(*samproject.Options)) samproject.Options {
		o := mysite
		f(&o)
		return o
	}
	tests := []struct {
		name    string
		src     string
		o       samproject.Options
		wantErr string
	}{
		{"settings with a space", src, with(func(o *samproject.Options) { o.Settings = "my site.settings" }), `settings: module "my site.settings"`},
		{"WSGI module with shell", src, with(func(o *samproject.Options) { o.WSGI.Module = "mysite.wsgi;id" }), "not a dotted path"},
		{"WSGI callable with shell", src, with(func(o *samproject.Options) { o.WSGI.Callable = "application $(id)" }), "is not a Python identifier"},
		{"artifacts outside", src, with(func(o *samproject.Options) { o.Artifacts = "../artifacts" }), "inside the project"},
		{"artifacts absolute", src, with(func(o *samproject.Options) { o.Artifacts = "/opt/artifacts" }), "inside the project"},
		{"artifacts with a space", src, with(func(o *samproject.Options) { o.Artifacts = "my artifacts" }), "inside the project"},
		{"version on two lines", src, with(func(o *samproject.Options) { o.Version = "1\n2" }), "more than one line"},
		{"not YAML", "Resources: [", mysite, "template: parse"},
		{"not a mapping", "- a\n- b\n", mysite, "not one YAML document holding a mapping"},
		{"no AppFunction", strings.Replace(src, "  AppFunction:", "  TheAppFunction:", 1), mysite, "Resources.AppFunction: not found"},
		{"another Makefile-built resource", strings.Replace(src, "  RotateFunction:", "  SpinFunction:", 1), mysite,
			"resource SpinFunction is built with the Makefile, but no prebuilt artifact is named for it"},
		{"a prebuilt resource missing", strings.Replace(src, "      BuildMethod: makefile\n    Properties:\n      Description: Rotates", "    Properties:\n      Description: Rotates", 1), mysite,
			"no resource RotateFunction built with the Makefile"},
		{"UPSTREAM_COMMAND without module:callable", strings.Replace(src, "--timeout 0 demo.wsgi:application", "--timeout 0 --config gunicorn.py", 1), mysite,
			"does not end with gunicorn's module:callable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := samproject.Template([]byte(tt.src), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Template: %d bytes, %v; want an error containing %q", len(out), err, tt.wantErr)
			}
		})
	}
}

func TestStackName(t *testing.T) {
	tests := []struct{ settings, want string }{
		{"mysite.settings", "djfront-mysite"},
		{"config.settings.production", "djfront-config"},
		{"my_site.settings", "djfront-my-site"},
		{"_private.settings", "djfront-private"},
		{"___.settings", "djfront"},
		{strings.Repeat("a", 150) + ".settings", "djfront-" + strings.Repeat("a", 120)},
	}
	for _, tt := range tests {
		if got := samproject.StackName(tt.settings); got != tt.want {
			t.Errorf("StackName(%q) = %q, want %q", tt.settings, got, tt.want)
		}
	}
}

func TestSamConfig(t *testing.T) {
	out, err := samproject.SamConfig("djfront-mysite", "0.1.0")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"version = 0.1\n",
		"[default.global.parameters]\n",
		"stack_name = \"djfront-mysite\"\n",
		"capabilities = \"CAPABILITY_IAM\"\n",
		"resolve_s3 = true\n",
		`parameter_overrides = "AppMode=\"in-function\""` + "\n",
		"(djfront 0.1.0)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("samconfig.toml lacks %q:\n%s", want, out)
		}
	}
	for _, stack := range []string{"", "1site", "my site", "djfront-\"x\"", "a\nb", strings.Repeat("a", 129)} {
		if _, err := samproject.SamConfig(stack, "0.1.0"); err == nil {
			t.Errorf("SamConfig(%q): no error", stack)
		}
	}
}

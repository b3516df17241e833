package samlocal

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The SAM resource types of a function and of a layer.
const (
	functionType = "AWS::Serverless::Function"
	layerType    = "AWS::Serverless::LayerVersion"
)

// Lambda's defaults for a function that sets no timeout or memory size.
const (
	defaultTimeout  = 3 * time.Second
	defaultMemoryMB = 128
)

// Function is a function of a SAM template, with the template's Globals
// applied.
type Function struct {
	// LogicalID is the function's logical id in the template.
	LogicalID string
	// CodeDir is the absolute path of the function's CodeUri.
	CodeDir string
	// BuildMethod is Metadata.BuildMethod ("makefile", "go1.x"), or "".
	BuildMethod string
	// Runtime and Handler are the function's runtime and handler.
	Runtime, Handler string
	// Architectures lists the function's architectures ("arm64", "x86_64").
	Architectures []string
	// Timeout and MemoryMB are the function's limits (Lambda's defaults when
	// the template sets none).
	Timeout  time.Duration
	MemoryMB int
	// Environment holds the template's environment variables, resolved: a
	// literal as written, a Ref to a parameter as the parameter's value,
	// anything else "".
	Environment map[string]string
	// EnvironmentRefs holds the variables whose value is a plain Ref to a
	// resource of the template (a secret, a bucket), by the resource's
	// logical id: their Environment value is "", and a local stack that
	// made the resource knows what it stands for.
	EnvironmentRefs map[string]string
	// Layers lists the function's layers in order: a layer of the
	// template by its logical id (a !Ref), else as written (an ARN).
	Layers []string
}

// Layer is a layer of a SAM template (AWS::Serverless::LayerVersion).
type Layer struct {
	// LogicalID is the layer's logical id in the template.
	LogicalID string
	// ContentDir is the absolute path of its ContentUri: what Lambda
	// unpacks at /opt, or, with BuildMethod, where the build runs.
	ContentDir string
	// BuildMethod is Metadata.BuildMethod ("makefile"), or "" for a
	// directory used as it is.
	BuildMethod string
}

// Template is what the local tools need of a SAM template: its functions,
// and the properties of its other resources.
type Template struct {
	// Path is the template file.
	Path string
	// Functions holds the template's functions by logical id.
	Functions map[string]*Function
	// Layers holds the template's layers by logical id.
	Layers map[string]*Layer
	// Resources holds every resource by logical id, properties as written
	// (maps, slices and strings; short-form intrinsics in long form, such as
	// {"Ref": "X"} and {"Fn::Sub": "..."}).
	Resources map[string]Resource
	// Parameters holds the parameters' values: defaults, then overrides.
	Parameters map[string]string
}

// Resource is one resource of a Template.
type Resource struct {
	// Type is the resource type, such as AWS::CloudFront::Distribution.
	Type string
	// Properties are the resource's properties as written.
	Properties map[string]any
}

// String returns v as a string when it is a literal, a Ref to a parameter,
// or a Fn::Sub whose ${...} names only parameters; ok is false otherwise
// (a resource, an attribute, a pseudo parameter, another intrinsic).
func (t *Template) String(v any) (s string, ok bool) {
	return scalar(t.resolve(v))
}

// ReadTemplate reads the SAM template at path (YAML or JSON, with or without
// the short forms of intrinsic functions such as !Ref). params overrides the
// Default of template parameters, as --parameter-overrides does.
func ReadTemplate(path string, params map[string]string) (*Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parse template %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("parse template %s: empty document", path)
	}
	root, ok := plain(doc.Content[0]).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template %s: not a mapping", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	values := map[string]string{}
	for name, p := range Map(root["Parameters"]) {
		if d, ok := scalar(Map(p)["Default"]); ok {
			values[name] = d
		}
	}
	maps.Copy(values, params)
	t := &Template{Path: abs, Functions: map[string]*Function{}, Layers: map[string]*Layer{}, Resources: map[string]Resource{}, Parameters: values}

	globals := Map(Map(root["Globals"])["Function"])
	for id, r := range Map(root["Resources"]) {
		res := Map(r)
		typ, _ := scalar(res["Type"])
		t.Resources[id] = Resource{Type: typ, Properties: Map(res["Properties"])}
		if typ == layerType {
			uri, ok := scalar(Map(res["Properties"])["ContentUri"])
			if !ok {
				return nil, fmt.Errorf("template %s: layer %s: ContentUri must be a local path", path, id)
			}
			method, _ := scalar(Map(res["Metadata"])["BuildMethod"])
			t.Layers[id] = &Layer{LogicalID: id, ContentDir: localPath(filepath.Dir(abs), uri), BuildMethod: method}
		}
		if typ != functionType {
			continue
		}
		fn, err := t.newFunction(id, filepath.Dir(abs), globals, Map(res["Properties"]), Map(res["Metadata"]))
		if err != nil {
			return nil, fmt.Errorf("template %s: function %s: %w", path, id, err)
		}
		t.Functions[id] = fn
	}
	for _, fn := range t.Functions { // a Ref to a parameter without a default
		maps.DeleteFunc(fn.EnvironmentRefs, func(_, ref string) bool { _, ok := t.Resources[ref]; return !ok })
	}
	return t, nil
}

// Function returns the function named id, or, with id empty, the template's
// only function. The error lists the functions there are.
func (t *Template) Function(id string) (*Function, error) {
	ids := slices.Sorted(maps.Keys(t.Functions))
	if id == "" {
		if len(ids) == 1 {
			return t.Functions[ids[0]], nil
		}
		return nil, fmt.Errorf("name the function to run; %s has %s", t.Path, strings.Join(ids, ", "))
	}
	if fn, ok := t.Functions[id]; ok {
		return fn, nil
	}
	return nil, fmt.Errorf("no function %q in %s; it has %s", id, t.Path, strings.Join(ids, ", "))
}

// Resource returns the Properties of the resource id, which must be of type
// typ (an AWS::S3::Bucket, say), with intrinsic functions resolved as far as
// the parameters allow: a Ref to a parameter becomes its value, a Fn::Sub of
// parameters its string; other intrinsics stay as they are
// ({"Fn::GetAtt": [...]}, {"Ref": "Resource"}).
func (t *Template) Resource(id, typ string) (map[string]any, error) {
	res, ok := t.Resources[id]
	if !ok {
		return nil, fmt.Errorf("template %s has no resource %s", t.Path, id)
	}
	if res.Type != typ {
		return nil, fmt.Errorf("template %s: resource %s is a %v, want %s", t.Path, id, res.Type, typ)
	}
	props, _ := t.resolve(res.Properties).(map[string]any)
	return props, nil
}

// resolve returns v (a value of the template, as Resource returns them)
// with every Ref to a parameter replaced by the parameter's value and every
// Fn::Sub whose variables are all parameters replaced by its string. Other
// intrinsics stay as they are: {"Fn::GetAtt": [...]}, {"Ref": "Resource"}.
func (t *Template) resolve(v any) any {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			if name, ok := v["Ref"].(string); ok {
				if value, ok := t.Parameters[name]; ok {
					return value
				}
			}
			if s, ok := v["Fn::Sub"].(string); ok {
				if sub, ok := t.sub(s); ok {
					return sub
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = t.resolve(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = t.resolve(e)
		}
		return out
	}
	return v
}

// sub substitutes the ${Name} variables of a Fn::Sub string with parameter
// values; ok is false if a variable is not a parameter (${AWS::Region},
// ${Resource.Attr}).
func (t *Template) sub(s string) (string, bool) {
	var b strings.Builder
	for {
		start := strings.Index(s, "${")
		if start < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		end := strings.IndexByte(s[start:], '}')
		if end < 0 {
			return "", false
		}
		value, ok := t.Parameters[s[start+2:start+end]]
		if !ok {
			return "", false
		}
		b.WriteString(s[:start])
		b.WriteString(value)
		s = s[start+end+1:]
	}
}

func (t *Template) newFunction(id, dir string, globals, props, meta map[string]any) (*Function, error) {
	get := func(name string) any {
		if v, ok := props[name]; ok {
			return v
		}
		return globals[name]
	}
	fn := &Function{LogicalID: id, Timeout: defaultTimeout, MemoryMB: defaultMemoryMB,
		Environment: map[string]string{}, EnvironmentRefs: map[string]string{}}
	codeURI, ok := scalar(get("CodeUri"))
	if !ok {
		return nil, errors.New("CodeUri must be a local path")
	}
	fn.CodeDir = localPath(dir, codeURI)
	for _, l := range List(get("Layers")) {
		if ref, ok := scalar(Map(l)["Ref"]); ok {
			fn.Layers = append(fn.Layers, ref)
		} else {
			s, _ := scalar(t.resolve(l))
			fn.Layers = append(fn.Layers, s)
		}
	}
	fn.BuildMethod, _ = scalar(meta["BuildMethod"])
	fn.Runtime, _ = scalar(get("Runtime"))
	fn.Handler, _ = scalar(get("Handler"))
	for _, a := range List(get("Architectures")) {
		if s, ok := scalar(a); ok {
			fn.Architectures = append(fn.Architectures, s)
		}
	}
	if v := get("Timeout"); v != nil {
		s, _ := scalar(t.resolve(v))
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("property Timeout %v is not a whole number of seconds", v)
		}
		fn.Timeout = time.Duration(n) * time.Second
	}
	if v := get("MemorySize"); v != nil {
		s, _ := scalar(t.resolve(v))
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("property MemorySize %v is not a whole number of megabytes", v)
		}
		fn.MemoryMB = n
	}
	// Globals' variables first, the function's own win (SAM merges maps).
	for _, src := range []map[string]any{globals, props} {
		for name, v := range Map(Map(src["Environment"])["Variables"]) {
			fn.Environment[name], _ = scalar(t.resolve(v))
			delete(fn.EnvironmentRefs, name)
			if ref, ok := scalar(Map(v)["Ref"]); ok && len(Map(v)) == 1 {
				fn.EnvironmentRefs[name] = ref
			}
		}
	}
	return fn, nil
}

// localPath returns a template's local path (a CodeUri or ContentUri)
// relative to dir, the template's directory, unless it is absolute.
func localPath(dir, uri string) string {
	if filepath.IsAbs(uri) {
		return filepath.Clean(uri)
	}
	return filepath.Join(dir, uri)
}

// plain converts a YAML node into maps, slices and strings. A short-form
// intrinsic (!Ref x, !GetAtt a.b, !Sub s) becomes its long form
// ({"Ref": x}, {"Fn::GetAtt": ...}, {"Fn::Sub": s}).
func plain(n *yaml.Node) any {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			return plain(n.Content[0])
		}
		return nil
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			s[i] = plain(c)
		}
		v = s
	default:
		v = n.Value
		if n.Tag == "!!null" {
			v = nil
		}
	}
	if tag, ok := strings.CutPrefix(n.Tag, "!"); ok && !strings.HasPrefix(tag, "!") {
		switch tag {
		case "Ref", "Condition":
			return map[string]any{tag: v}
		case "GetAtt":
			if s, ok := v.(string); ok { // !GetAtt Res.Attr
				res, attr, _ := strings.Cut(s, ".")
				v = []any{res, attr}
			}
		}
		return map[string]any{"Fn::" + tag: v}
	}
	return v
}

// Map returns a template value as a mapping, or nil if it is none.
func Map(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// List returns a template value as a list, or nil if it is none.
func List(v any) []any {
	s, _ := v.([]any)
	return s
}

// scalar returns v as a string if it is a literal (not an intrinsic).
func scalar(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok
}

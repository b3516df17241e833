package template_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// Parameter sets the tests deploy the template with.
var (
	noDomain = map[string]string{
		"UpstreamUrl": "https://app.example.com",
	}
	customDomain = map[string]string{
		"UpstreamUrl":    "https://app.example.com",
		"DomainName":     "www.example.com",
		"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
		"HostedZoneId":   "Z0123456789ABCDEFGHIJ",
	}
	customDomainOwnDNS = map[string]string{
		"UpstreamUrl":    "https://app.example.com",
		"DomainName":     "www.example.com",
		"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
	}
	// The app inside the Lambda (AppMode in-function), without and with a
	// custom domain.
	inFunction = map[string]string{
		"AppMode": "in-function",
	}
	// In-function with SnapStart on.
	inFunctionSnapStart = map[string]string{
		"AppMode":   "in-function",
		"SnapStart": "true",
	}
	inFunctionCustomDomain = map[string]string{
		"AppMode":        "in-function",
		"DomainName":     "www.example.com",
		"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
		"HostedZoneId":   "Z0123456789ABCDEFGHIJ",
	}
)

var translations struct {
	sync.Mutex
	out map[string][]byte
}

// translate returns template.yaml translated into CloudFormation with
// params, as decoded JSON. Each call returns a fresh copy; the translation
// itself runs once per parameter set.
func translate(t *testing.T, params map[string]string) map[string]any {
	t.Helper()
	out := translateJSON(t, params)
	var tpl map[string]any
	if err := json.Unmarshal(out, &tpl); err != nil {
		t.Fatalf("decode translated template: %v", err)
	}
	return tpl
}

// translateJSON is translate's JSON text.
func translateJSON(t *testing.T, params map[string]string) []byte {
	t.Helper()
	testenv.Integration(t)
	testenv.Python(t, "samtranslator")

	args := []string{"template.yaml"}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		args = append(args, k+"="+params[k])
	}
	return translator(t, args...)
}

// rawTemplate returns template.yaml itself as decoded JSON, short-form
// intrinsics in long form: what `sam build` reads (Metadata, CodeUri) before
// the translation drops or replaces it.
func rawTemplate(t *testing.T) map[string]any {
	t.Helper()
	testenv.Integration(t)
	testenv.Python(t, "samtranslator")
	var tpl map[string]any
	if err := json.Unmarshal(translator(t, "--raw", "template.yaml"), &tpl); err != nil {
		t.Fatalf("decode template: %v", err)
	}
	return tpl
}

// translator returns the output of scripts/translate-template.py with args,
// running it once per argument list.
func translator(t *testing.T, args ...string) []byte {
	t.Helper()
	args = append([]string{filepath.Join("scripts", "translate-template.py")}, args...)
	key := strings.Join(args, "\x00")

	translations.Lock()
	defer translations.Unlock()
	if out, ok := translations.out[key]; ok {
		return out
	}
	out, err := runPython(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	if translations.out == nil {
		translations.out = map[string][]byte{}
	}
	translations.out[key] = out
	return out
}

// runPython runs the project's Python (testenv.Python) with args in the
// repository root and returns its standard output, or an error carrying its
// standard error.
func runPython(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(testenv.Python(t), args...)
	cmd.Dir = testenv.RepoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("python %s: %w\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out, nil
}

// deploy returns tpl as CloudFormation deploys it with params: resources and
// outputs whose condition is false are gone, each Fn::If is replaced by its
// chosen branch, AWS::NoValue is removed, Refs to parameters become their
// values, and Fn::Sub strings have their parameters substituted (becoming
// plain strings when nothing else is left to substitute).
func deploy(t *testing.T, tpl map[string]any, params map[string]string) map[string]any {
	t.Helper()
	e := newEvaluator(t, tpl, params)
	for _, section := range []string{"Resources", "Outputs"} {
		m, _ := tpl[section].(map[string]any)
		for name, v := range m {
			if c, ok := v.(map[string]any)["Condition"].(string); ok && !e.condition(c) {
				delete(m, name)
			}
		}
	}
	for _, section := range []string{"Resources", "Outputs"} {
		v, _ := e.resolve(tpl[section])
		tpl[section] = v
	}
	return tpl
}

// evaluator evaluates a template's conditions and rules for parameter values.
type evaluator struct {
	t      *testing.T
	tpl    map[string]any
	params map[string]string // every parameter, defaults applied
	conds  map[string]bool
}

func newEvaluator(t *testing.T, tpl map[string]any, params map[string]string) *evaluator {
	t.Helper()
	e := &evaluator{t: t, tpl: tpl, params: map[string]string{}, conds: map[string]bool{}}
	declared, _ := tpl["Parameters"].(map[string]any)
	for name, p := range declared {
		if d, ok := p.(map[string]any)["Default"]; ok {
			e.params[name] = fmt.Sprint(d)
		}
	}
	for name, v := range params {
		if _, ok := declared[name]; !ok {
			t.Fatalf("parameter %s is not declared by the template", name)
		}
		e.params[name] = v
	}
	return e
}

// condition returns the value of the named condition.
func (e *evaluator) condition(name string) bool {
	e.t.Helper()
	if v, ok := e.conds[name]; ok {
		return v
	}
	conds, _ := e.tpl["Conditions"].(map[string]any)
	expr, ok := conds[name]
	if !ok {
		e.t.Fatalf("condition %s is not declared", name)
	}
	v := e.bool(expr)
	e.conds[name] = v
	return v
}

// bool evaluates a condition or rule expression.
func (e *evaluator) bool(expr any) bool {
	e.t.Helper()
	fn, arg := intrinsic(expr)
	args, _ := arg.([]any)
	switch fn {
	case "Condition":
		return e.condition(arg.(string))
	case "Fn::Equals":
		return e.scalar(args[0]) == e.scalar(args[1])
	case "Fn::Not":
		return !e.bool(args[0])
	case "Fn::And", "Fn::Or":
		and := fn == "Fn::And"
		for _, a := range args {
			if e.bool(a) != and {
				return !and
			}
		}
		return and
	}
	e.t.Fatalf("cannot evaluate condition %v", expr)
	return false
}

// scalar evaluates a string literal or a Ref to a parameter.
func (e *evaluator) scalar(expr any) string {
	e.t.Helper()
	if fn, arg := intrinsic(expr); fn == "Ref" {
		v, ok := e.params[arg.(string)]
		if !ok {
			e.t.Fatalf("parameter %v has no value", arg)
		}
		return v
	}
	s, ok := expr.(string)
	if !ok {
		e.t.Fatalf("cannot evaluate %v as a string", expr)
	}
	return s
}

// violatedRules returns the AssertDescription of every rule assertion that
// fails for the evaluator's parameters, as CloudFormation would refuse them.
func (e *evaluator) violatedRules() []string {
	e.t.Helper()
	var failed []string
	rules, _ := e.tpl["Rules"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		rule := rules[name].(map[string]any)
		if c, ok := rule["RuleCondition"]; ok && !e.bool(c) {
			continue
		}
		for _, a := range rule["Assertions"].([]any) {
			a := a.(map[string]any)
			if !e.bool(a["Assert"]) {
				failed = append(failed, a["AssertDescription"].(string))
			}
		}
	}
	return failed
}

var (
	// subParam matches ${Name} in a Fn::Sub string.
	subParam = regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)
	// subRef matches ${Name} and ${Name.Attribute} in a Fn::Sub string.
	subRef = regexp.MustCompile(`\$\{([A-Za-z0-9]+)[.}]`)
)

// resolve returns v with conditions applied (see deploy); keep is false
// when v is AWS::NoValue.
func (e *evaluator) resolve(v any) (resolved any, keep bool) {
	e.t.Helper()
	switch fn, arg := intrinsic(v); fn {
	case "Fn::If":
		args := arg.([]any)
		if e.condition(args[0].(string)) {
			return e.resolve(args[1])
		}
		return e.resolve(args[2])
	case "Ref":
		if arg == "AWS::NoValue" {
			return nil, false
		}
		if p, ok := e.params[arg.(string)]; ok {
			return p, true
		}
		return v, true
	case "Fn::Sub":
		if s, ok := arg.(string); ok {
			s = e.substitute(s)
			if !strings.Contains(s, "${") {
				return s, true
			}
			return map[string]any{"Fn::Sub": s}, true
		}
		args := arg.([]any)
		vars, _ := e.resolve(args[1])
		return map[string]any{"Fn::Sub": []any{e.substitute(args[0].(string)), vars}}, true
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if r, ok := e.resolve(x); ok {
				out[k] = r
			}
		}
		return out, true
	case []any:
		out := []any{}
		for _, x := range v {
			if r, ok := e.resolve(x); ok {
				out = append(out, r)
			}
		}
		return out, true
	}
	return v, true
}

// substitute replaces ${Param} in a Fn::Sub string by the parameter's value.
func (e *evaluator) substitute(s string) string {
	return subParam.ReplaceAllStringFunc(s, func(m string) string {
		if p, ok := e.params[m[2:len(m)-1]]; ok {
			return p
		}
		return m
	})
}

// intrinsic returns the function name and argument of an intrinsic
// function call ({"Fn::X": arg} or {"Ref": name}), or "" if v is none.
func intrinsic(v any) (fn string, arg any) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", nil
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a
		}
	}
	return "", nil
}

// at returns the value at path in v, failing t when there is none. The path
// is dot-separated keys; a segment Name[Key=Value] selects, in the list
// Name, the one element whose Key is Value.
func at(t *testing.T, v any, path string) any {
	t.Helper()
	got, err := lookup(v, path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return got
}

// has reports whether path exists in v (see at).
func has(v any, path string) bool {
	_, err := lookup(v, path)
	return err == nil
}

func lookup(v any, path string) (any, error) {
	for _, seg := range strings.Split(path, ".") {
		key, sel, _ := strings.Cut(seg, "[")
		if key != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: not an object", key)
			}
			if v, ok = m[key]; !ok {
				return nil, fmt.Errorf("no %s", key)
			}
		}
		if sel == "" {
			continue
		}
		field, want, _ := strings.Cut(strings.TrimSuffix(sel, "]"), "=")
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: not a list", key)
		}
		var found []any
		for _, x := range list {
			if m, ok := x.(map[string]any); ok && fmt.Sprint(m[field]) == want {
				found = append(found, x)
			}
		}
		if len(found) != 1 {
			return nil, fmt.Errorf("%s: %d elements with %s=%s, want 1", key, len(found), field, want)
		}
		v = found[0]
	}
	return v, nil
}

// checkJSON fails t unless got equals the JSON value want.
func checkJSON(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("got %s, want %s", g, want)
	}
}

// number returns v, a JSON number or a numeric string (as Refs to Number
// parameters are), as a float64.
func number(t *testing.T, v any) float64 {
	t.Helper()
	switch v := v.(type) {
	case float64:
		return v
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	t.Fatalf("%v is not a number", v)
	return 0
}

// dependencies returns the resources each resource refers to (Ref, GetAtt,
// Fn::Sub variables, DependsOn): the edges CloudFormation orders creation by.
func dependencies(tpl map[string]any) map[string][]string {
	resources := tpl["Resources"].(map[string]any)
	deps := map[string][]string{}
	for name, r := range resources {
		set := map[string]bool{}
		var walk func(v any)
		walk = func(v any) {
			switch fn, arg := intrinsic(v); fn {
			case "Ref":
				set[arg.(string)] = true
			case "Fn::GetAtt":
				set[arg.([]any)[0].(string)] = true
			case "Fn::Sub":
				s, _ := arg.(string)
				if args, ok := arg.([]any); ok {
					s = args[0].(string)
					vars := args[1].(map[string]any)
					for _, x := range vars {
						walk(x)
					}
					for k := range vars {
						s = strings.ReplaceAll(s, "${"+k+"}", "")
					}
				}
				for _, m := range subRef.FindAllStringSubmatch(s, -1) {
					set[m[1]] = true
				}
				return
			}
			switch v := v.(type) {
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(r.(map[string]any)["Properties"])
		switch d := r.(map[string]any)["DependsOn"].(type) {
		case string:
			set[d] = true
		case []any:
			for _, x := range d {
				set[x.(string)] = true
			}
		}
		for dep := range set {
			if _, ok := resources[dep]; ok {
				deps[name] = append(deps[name], dep)
			}
		}
		slices.Sort(deps[name])
	}
	return deps
}

// reaches reports whether resource from depends on resource to, directly or
// through others.
func reaches(deps map[string][]string, from, to string) bool {
	seen := map[string]bool{}
	var visit func(string) bool
	visit = func(n string) bool {
		if seen[n] {
			return false
		}
		seen[n] = true
		for _, d := range deps[n] {
			if d == to || visit(d) {
				return true
			}
		}
		return false
	}
	return visit(from)
}

package samlocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// EnvVars is the content of a SAM CLI --env-vars file: variables by function
// logical id, and under "Parameters" variables for every function.
type EnvVars map[string]map[string]string

// parametersKey names the env-vars entry that applies to every function.
const parametersKey = "Parameters"

// ReadEnvVars reads an --env-vars file. Values may be JSON strings, numbers
// or booleans (they become their JSON text, as in the SAM CLI); anything
// else is an error naming the function and variable.
func ReadEnvVars(path string) (EnvVars, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read env vars: %w", err)
	}
	var doc map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("env vars file %s: want {\"LogicalId\": {\"NAME\": \"value\"}}: %w", path, err)
	}
	out := make(EnvVars, len(doc))
	for fn, vars := range doc {
		out[fn] = make(map[string]string, len(vars))
		for name, v := range vars {
			v = bytes.TrimSpace(v)
			var s string
			switch {
			case len(v) > 0 && v[0] == '"':
				if err := json.Unmarshal(v, &s); err != nil {
					return nil, fmt.Errorf("env vars file %s: %s.%s: %w", path, fn, name, err)
				}
			case json.Valid(v) && len(v) > 0 && v[0] != '{' && v[0] != '[' && string(v) != "null":
				s = string(v)
			default:
				return nil, fmt.Errorf("env vars file %s: %s.%s: want a string, number or boolean, got %s", path, fn, name, v)
			}
			out[fn][name] = s
		}
	}
	return out, nil
}

// Environ returns fn's environment variables as KEY=VALUE, sorted by name,
// resolved in the SAM CLI's order: the template's value, then the shell's
// value of the same variable (shell holds KEY=VALUE, as os.Environ), then
// the env-vars file's "Parameters" entry, then its entry for fn. As in the
// SAM CLI, only variables the template declares are set.
func (fn *Function) Environ(shell []string, vars EnvVars) []string {
	env := maps.Clone(fn.Environment)
	for _, kv := range shell {
		if name, value, ok := strings.Cut(kv, "="); ok {
			if _, declared := env[name]; declared {
				env[name] = value
			}
		}
	}
	for _, src := range []map[string]string{vars[parametersKey], vars[fn.LogicalID]} {
		for name, value := range src {
			if _, declared := env[name]; declared {
				env[name] = value
			}
		}
	}
	out := make([]string, 0, len(env))
	for _, name := range slices.Sorted(maps.Keys(env)) {
		out = append(out, name+"="+env[name])
	}
	return out
}

// Undeclared returns the variables vars sets for fn (its entry and
// "Parameters") that fn's template does not declare, as "Entry.NAME",
// sorted: Environ ignores them, as the SAM CLI does, silently.
func (fn *Function) Undeclared(vars EnvVars) []string {
	var out []string
	for _, entry := range []string{parametersKey, fn.LogicalID} {
		for name := range vars[entry] {
			if _, declared := fn.Environment[name]; !declared {
				out = append(out, entry+"."+name)
			}
		}
	}
	slices.Sort(out)
	return out
}

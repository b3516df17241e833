package template_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djfront/djfront/internal/local/testenv"
)

// TestEnvFile checks sam/env.json, the SAM CLI's --env-vars file for
// `sam local invoke`: it sets exactly the variables the template gives each
// function, so the two cannot drift apart.
func TestEnvFile(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "sam", "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]map[string]string
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatalf("sam/env.json: %v", err)
	}

	functions := map[string][]string{}
	for name, r := range translate(t, noDomain)["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] != "AWS::Lambda::Function" {
			continue
		}
		vars, _ := lookup(r, "Properties.Environment.Variables")
		m, _ := vars.(map[string]any)
		functions[name] = slices.Sorted(maps.Keys(m))
	}

	if got, want := slices.Sorted(maps.Keys(file)), slices.Sorted(maps.Keys(functions)); !slices.Equal(got, want) {
		t.Fatalf("sam/env.json has functions %v, want the template's %v", got, want)
	}
	for name, want := range functions {
		t.Run(name, func(t *testing.T) {
			if got := slices.Sorted(maps.Keys(file[name])); !slices.Equal(got, want) {
				t.Errorf("got variables %s, want %s", strings.Join(got, ","), strings.Join(want, ","))
			}
		})
	}
}

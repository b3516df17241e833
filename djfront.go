// Package djfront holds djfront's SAM template, template.yaml at the
// repository's root, for the commands that ship with it: `djfront init`
// makes a Django project's template from it (package internal/samproject).
// The file is the one copy; everything else reads it from disk or from here.
package djfront

import _ "embed" // template.yaml

//go:embed template.yaml
var template string

// Template returns the contents of template.yaml, a fresh copy each call.
func Template() []byte { return []byte(template) }

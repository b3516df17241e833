package samlocal

import (
	"errors"
	"os"
	"path/filepath"
)

// ProjectRoot returns the nearest directory from dir upward that holds both
// template.yaml and go.mod: the root of a Go project deployed with SAM, where
// the local tools run from.
func ProjectRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if isFile(filepath.Join(dir, "template.yaml")) && isFile(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod with template.yaml here or above: run it from the djfront repository")
		}
		dir = parent
	}
}

// FindTemplate returns the template the SAM CLI would use in dir:
// template.yaml, template.yml or template.json, the first that exists.
func FindTemplate(dir string) (string, error) {
	for _, name := range []string{"template.yaml", "template.yml", "template.json"} {
		if path := filepath.Join(dir, name); isFile(path) {
			return path, nil
		}
	}
	return "", errors.New("no template.yaml, template.yml or template.json in " + dir + "; name one with --template")
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

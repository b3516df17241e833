package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// projectPython returns the project's interpreter, which djfront local and
// djfront invoke run the Python runtime's functions with: flag (--python)
// if given; else the python3 of the virtualenv this djfront was installed
// into, next to its executable exe (pip puts both in the venv's bin); else
// $VIRTUAL_ENV's (the active one). It must be an executable file. The path
// is kept as found, not resolved: a venv's python3 is a link whose target
// would leave the venv.
func projectPython(flag, exe string, getenv func(string) string) (string, error) {
	if flag != "" {
		if err := executable(flag); err != nil {
			return "", fmt.Errorf("--python %s: %w", flag, err)
		}
		return filepath.Abs(flag)
	}
	var tried []string
	candidates := []string{filepath.Join(filepath.Dir(exe), "python3")}
	if venv := getenv("VIRTUAL_ENV"); venv != "" {
		candidates = append(candidates, filepath.Join(venv, "bin", "python3"))
	}
	for _, c := range candidates {
		if executable(c) == nil {
			return c, nil
		}
		tried = append(tried, c)
	}
	return "", fmt.Errorf("no Python environment found (tried %s): install djfront into the project's virtualenv "+
		"(pip install 'djfront[local]'), activate it, or give --python", tried)
}

// executable returns an error unless path is a file someone may execute.
func executable(path string) error {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return err
	case st.IsDir() || st.Mode().Perm()&0o111 == 0:
		return errors.New("not an executable file")
	}
	return nil
}

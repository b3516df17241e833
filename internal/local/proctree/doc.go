// Package proctree is what the local tooling needs of the processes it
// starts beyond package childproc (which also ships, inside hostforward):
// KillSandbox ends a whole emulated execution environment as Lambda does,
// ParentOf walks /proc, FreePort finds a port for a child server, and
// PythonImports checks that an interpreter has a module. None of it may be
// linked into a Lambda (see functions/deps_test.go).
package proctree

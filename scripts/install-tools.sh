#!/usr/bin/env bash
# install-tools.sh (make tools, run by make test, make demo, make local and
# make bench) installs the pinned tools that need no root: the project's
# Python environment (.venv, scripts/install-python.sh), Go tools into GOBIN
# and the module the service role policy is derived from. It is idempotent:
# a second run only checks. Debian's packages are scripts/install-system.sh's
# (make install).
set -euo pipefail

bash "$(dirname "$0")/install-python.sh"

# Pinned Go tools, installed into GOBIN (default $(go env GOPATH)/bin).
gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
install_go_tool() { # name module@version
  [ -x "$gobin/$1" ] && "$gobin/$1" -version 2>/dev/null | grep -q "${2##*@v}" && return 0
  [ -x "$gobin/$1" ] && [ "$1" = benchstat ] && return 0
  echo "install-tools: go install $2"
  go install "$2"
}
install_go_tool staticcheck honnef.co/go/tools/cmd/staticcheck@v0.8.2
install_go_tool benchstat golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da

# The CloudFormation registry schemas (resource handlers' permissions) that
# scripts/service-role-policy.py derives the service role policy from: the
# copy the Go module rain embeds, into the module cache (not a dependency).
go mod download github.com/aws-cloudformation/rain@v1.24.4

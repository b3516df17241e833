#!/usr/bin/env bash
# install-system.sh (make install, as root) installs the Debian packages
# `make test` and `make demo` need on a fresh Debian bookworm machine:
# PostgreSQL's server (the example app's database in the demo and the tests,
# started per test by internal/local/pgserver) and Chromium (test/browser).
# Python and its packages (Django, gunicorn, psycopg, moto, ...) are not
# Debian's: they are the pinned environment scripts/install-python.sh builds
# without root (make tools). Every pin there is a wheel, so pip needs no
# compiler or headers. It is idempotent: a second run only checks.
set -euo pipefail

need_apt=()
# Debian's server, with its binaries in /usr/lib/postgresql/VERSION/bin
# (pgserver runs initdb and postgres from there; the cluster the package
# creates and starts is not used).
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need_apt+=(postgresql)
# setpriv runs the server as the postgres user when the tests run as root.
command -v setpriv >/dev/null 2>&1 || need_apt+=(util-linux)
# Headless Chromium for test/browser (driven over CDP by chromedp: no chromedriver, no browser download).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-system: need root to apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
  echo "install-system: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

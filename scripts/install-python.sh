#!/usr/bin/env bash
# install-python.sh (run by make tools, so by make test, make demo and make local) builds djfront's one
# Python environment, .venv at the repository root: CPython 3.12 (Lambda's python3.12 runtime) with
# requirements/requirements.txt installed as pinned (Django 5.2 LTS, gunicorn, psycopg, django-storages,
# boto3, moto, cfn-lint, aws-sam-translator, the SAM CLI), and one overlay per line of
# requirements/django-matrix.txt in .venv/matrix/django-X.Y: that Django alone (pip install --no-deps
# --target), which PYTHONPATH puts before the environment's own (internal/local/pyenv). Every tool of the
# project that runs Python runs .venv/bin/python (DJFRONT_PYTHON overrides it).
#
# How it finds Python 3.12, first match wins:
#   1. pyenv's installs, $PYENV_ROOT/versions/3.12.* (default ~/.pyenv), the newest patch release;
#   2. python3.12 on PATH.
# Otherwise it fails naming the install step (pyenv install 3.12). Debian bookworm's own python3 is 3.11.
#
# Idempotent and fast the second time: .venv/.djfront-stamp holds a hash of the lock, the matrix, this
# script and the interpreter's version; with it unchanged the run only checks. Needs no root; the first
# run downloads wheels from PyPI (every pin is a wheel: nothing compiles, so no build tools are needed).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
lock="$root/requirements/requirements.txt"
matrix="$root/requirements/django-matrix.txt"
want_minor=3.12

die() { echo "install-python: $*" >&2; exit 1; }

# is_312 PATH: PATH runs and is a Python 3.12.
is_312() {
  [ -x "$1" ] && [ "$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$want_minor" ]
}

find_python() {
  local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv} dir cand
  # Newest patch release first (3.12.10 before 3.12.9).
  for dir in $(ls -d "$pyenv_root"/versions/3.12.* 2>/dev/null | sort -rV); do
    is_312 "$dir/bin/python3.12" && { echo "$dir/bin/python3.12"; return; }
  done
  cand=$(command -v python3.12 || true)
  if [ -n "$cand" ] && is_312 "$cand"; then echo "$cand"; return; fi
  die "no Python $want_minor: looked in $pyenv_root/versions/3.12.* and for python3.12 on PATH.
Install it with pyenv (https://github.com/pyenv/pyenv#installation): pyenv install 3.12
(its build needs, on Debian: apt-get install build-essential libssl-dev zlib1g-dev libbz2-dev
libreadline-dev libsqlite3-dev libffi-dev liblzma-dev), or any python3.12 on PATH; then run make tools again."
}

[ -f "$lock" ] || die "missing $lock"
[ -f "$matrix" ] || die "missing $matrix"
py=$(find_python)
pyver=$("$py" -c 'import sys; print(sys.version.split()[0])')

stamp="$venv/.djfront-stamp"
want=$({ cat "$lock" "$matrix" "${BASH_SOURCE[0]}"; echo "$pyver"; } | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi

echo "install-python: building $venv with $py (Python $pyver)"
rm -f "$stamp"
# A fresh venv when there is none or another interpreter made it.
if [ "$("$venv/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)" != "$pyver" ]; then
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi
vpy="$venv/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

# pip at the lock's pin first, then the whole lock as pinned (no resolving: the lock is complete), then
# away with what the lock does not list (dropped from it, or installed by hand), then pip's own check.
pip_pin=$(grep -iE '^pip==' "$lock" || true)
[ -z "$pip_pin" ] || "$vpy" -m pip install -q "$pip_pin"
"$vpy" -m pip install -q --no-deps --only-binary=:all: -r "$lock"
normalize() { cut -d= -f1 | tr 'A-Z_.' 'a-z--' | sort -u; }
extra=$(comm -13 <(grep -E '^[A-Za-z0-9]' "$lock" | normalize) <("$vpy" -m pip freeze --all | normalize))
# shellcheck disable=SC2086 # one name per word
[ -z "$extra" ] || "$vpy" -m pip uninstall -q -y $extra
"$vpy" -m pip check

# The Django matrix: each overlay holds its Django (and what its line adds) alone; the rest comes from
# the environment. PYTHONPATH=.venv/matrix/django-X.Y puts it first.
rm -rf "$venv/matrix"
while read -r name reqs; do
  case "$name" in '' | '#'*) continue ;; esac
  overlay="$venv/matrix/django-$name"
  # shellcheck disable=SC2086 # the line's requirements, one per word
  "$vpy" -m pip install -q --no-deps --only-binary=:all: --target "$overlay" $reqs
  rm -rf "$overlay/bin" # django-admin: run python -m django
  got=$(PYTHONPATH="$overlay" "$vpy" -c 'import django; print(django.get_version())')
  case "$got" in "$name".*) ;; *) die "overlay django-$name imports Django $got" ;; esac
  echo "install-python: $overlay: Django $got"
done <"$matrix"

echo "$want" >"$stamp"
echo "install-python: $venv: Python $pyver, $("$vpy" -c 'import django; print("Django", django.get_version())')"

#!/usr/bin/env bash
# install-system.sh (make install, as root) installs the Debian packages
# `make test` and `make demo` need on a fresh Debian bookworm machine: Django 4.2
# from bookworm-backports (plain bookworm has only 3.2), django-storages with its
# S3 backend (a separate Debian package), gunicorn, boto3 for /usr/bin/python3,
# and Chromium. It is idempotent: a second run only checks. The pinned tools that need no root are
# scripts/install-tools.sh's (make tools, which make test runs).
set -euo pipefail

need_apt=()
/usr/bin/python3 -c 'import django, sys; sys.exit(0 if django.VERSION[:2] >= (4, 2) else 1)' 2>/dev/null \
  || need_apt+=(python3-django/bookworm-backports)
/usr/bin/python3 -c 'import storages' 2>/dev/null || need_apt+=(python3-django-storages)
/usr/bin/python3 -c 'import storages.backends.s3boto3' 2>/dev/null || need_apt+=(python3-django-storages-boto3)
/usr/bin/python3 -c 'import boto3' 2>/dev/null || need_apt+=(python3-boto3)
# pip and setuptools: python/django_test.go installs the djfront package as users do.
/usr/bin/python3 -c 'import pip' 2>/dev/null || need_apt+=(python3-pip)
/usr/bin/python3 -c 'import setuptools' 2>/dev/null || need_apt+=(python3-setuptools)
command -v gunicorn >/dev/null 2>&1 || need_apt+=(gunicorn)
# Headless Chromium for test/browser (driven over CDP by chromedp: no chromedriver, no browser download).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-system: need root to apt-get install ${need_apt[*]}" >&2
    exit 1
  fi
  src=/etc/apt/sources.list.d/bookworm-backports.sources
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat >"$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  echo "install-system: apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

#!/usr/bin/env bash
# install-peers.sh builds what bench/peers.sh compares djfront with and that
# the project's Python environment does not hold: the AWS Lambda Web Adapter
# (LWA), from its source on crates.io with cargo, pinned and --locked, into
# bench/.peers (gitignored; no LWA code is committed). apig-wsgi,
# serverless-wsgi and awslambdaric are pinned in requirements/requirements.txt
# and come with make tools. Needs cargo (rustup); about 6 minutes on 2 cores
# the first time, then only a check. Run by bench/peers.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers="$root/bench/.peers"
lwa_version=0.9.1

die() { echo "install-peers: $*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs), then rerun"
if [ -x "$peers/bin/lambda-adapter" ] && [ -f "$peers/.crates.toml" ] &&
  grep -q "lambda_web_adapter $lwa_version " "$peers/.crates.toml"; then
  exit 0
fi
echo "install-peers: cargo install lambda_web_adapter $lwa_version (a few minutes)"
nice -n 10 cargo install lambda_web_adapter --version "$lwa_version" --locked --root "$peers"
[ -x "$peers/bin/lambda-adapter" ] || die "cargo installed no lambda-adapter binary into $peers/bin"

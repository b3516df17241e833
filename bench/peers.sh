#!/usr/bin/env bash
# peers.sh measures djfront's in-function mode side by side with LWA,
# apig-wsgi and serverless-wsgi (bench/peers: the same Django app and events
# under the local Runtime API server, interleaved rounds) and prints the
# table of bench/README.md, also kept in bench/out/peers.md.
#
# It builds what it runs: hostforward's bootstrap (the Lambda build rule,
# make bin/hostforward/bootstrap) and LWA from source (scripts/install-peers.sh:
# cargo, a few minutes the first time). apig-wsgi, serverless-wsgi,
# awslambdaric and gunicorn come from the project's Python environment (make
# tools, which make bench runs first).
#
# Usage: bench/peers.sh [-rounds N] [-warm N] [-variant NAME=FLAGS ...] [-bootstrap-variant NAME=PATH ...] [-only A,B]
# (go run ./bench/peers -h lists the flags). Without arguments: 12 rounds of 50
# warm requests of each kind, and the variants the README reports.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
make -s bin/hostforward/bootstrap
bash scripts/install-peers.sh
go build -o "$out/peers" ./bench/peers
if [ $# -eq 0 ]; then
  set -- -rounds 12 -warm 50 \
    -variant 'waitress=exec python3 -m waitress --listen=127.0.0.1:$PORT --threads=2 demo.wsgi:application' \
    -variant 'wsgiref=exec python3 -m peersbench.serve $PORT demo.wsgi:application'
fi
"$out/peers" -bootstrap bin/hostforward/bootstrap -lwa bench/.peers/bin/lambda-adapter "$@" | tee "$out/peers.md"

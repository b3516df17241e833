#!/usr/bin/env bash
# serverless.sh benchmarks the in-function mode against its baselines in the
# same run and prints benchstat's comparisons (baseline column first):
# cold start from spawn to the first answered request (hostforward starting
# gunicorn vs gunicorn alone, hit directly), and one warm request through the
# built bootstrap (the app in the function vs the app elsewhere) with the
# bootstrap's own peak RSS. Each iteration measures both sides alternately
# and reports the median per-iteration ratio; each round is a fresh process.
# Needs the project's Python environment (make tools, which make bench runs) and
# Debian's PostgreSQL (make install).
# Usage: bench/serverless.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-8}"
out=bench/out; mkdir -p "$out"
: > "$out/coldstart.txt"; : > "$out/warm.txt"
go test -c -o "$out/hostforward.test" ./test/hostforward
for _ in $(seq "$rounds"); do
  (cd test/hostforward && "../../$out/hostforward.test" -test.run '^$' -test.bench '^BenchmarkColdStart$' -test.benchtime 10x) \
    | tee -a "$out/coldstart.txt"
  (cd test/hostforward && "../../$out/hostforward.test" -test.run '^$' -test.bench '^BenchmarkWarmRequest$' -test.benchtime 2000x) \
    | tee -a "$out/warm.txt"
done
benchstat="$(go env GOPATH)/bin/benchstat"
"$benchstat" "$out/coldstart.txt" "$out/warm.txt"

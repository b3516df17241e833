#!/usr/bin/env bash
# invalidate.sh counts what invalidating costs for the same collectstatic runs
# (the Django admin's static files plus a small app; a first upload, then a
# re-upload with three files changed) for djfront, a naive
# one-call-per-object Lambda and a blanket /static/*, side by side in one run
# against moto. Counts, not timings. Usage: bench/invalidate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out; mkdir -p "$out"
go test -run '^$' -bench '^BenchmarkInvalidationCounts$' -benchtime 1x ./test/invalidate/ \
  | tee "$out/invalidate.txt"

#!/usr/bin/env bash
# invalidate.sh measures the invalidate function two ways, each against its
# baseline in the same run:
#
#  1. counts, not timings: what invalidating costs for the same collectstatic
#     runs (the Django admin's static files plus a small app; a first upload,
#     then a re-upload with three files changed) for djfront, a naive
#     one-call-per-object Lambda and a blanket /static/*, against moto;
#  2. planning time: BenchmarkNewPlan (up to 10,000 keys, MAX_PATHS 15 and
#     3000), each case run as impl=baseline — the planner of commit 0bbd7db,
#     before the wildcard-limit rework of issue 10, kept as test code in
#     internal/pathplan/baseline_test.go — and as impl=djfront, in the same
#     go test run, compared by benchstat; and 10,000 keys at MAX_PATHS up to
#     9900, djfront alone.
#
# Usage: bench/invalidate.sh [count]   (count: runs per planning benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-6}"
out=bench/out; mkdir -p "$out"
go test -run '^$' -bench '^BenchmarkInvalidationCounts$' -benchtime 1x ./test/invalidate/ \
  | tee "$out/invalidate.txt"

go test -run '^$' -bench '^BenchmarkNewPlan$' -count "$count" ./internal/pathplan/ | tee "$out/plan.txt"
"$(go env GOPATH)/bin/benchstat" -col "/impl@(baseline djfront)" "$out/plan.txt"

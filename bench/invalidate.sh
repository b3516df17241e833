#!/usr/bin/env bash
# invalidate.sh measures the invalidate function two ways, each against its
# baseline in the same run:
#
#  1. counts, not timings: what invalidating costs for the same collectstatic
#     runs (the Django admin's static files plus a small app; a first upload,
#     then a re-upload with three files changed) for djfront, a naive
#     one-call-per-object Lambda and a blanket /static/*, against moto;
#  2. planning time: BenchmarkNewPlan (up to 10,000 keys, MAX_PATHS 15 and
#     3000) on this tree and on the planner of BASE (default 0bbd7db, before
#     the wildcard-limit rework of issue 10), built side by side from a
#     `git archive` of BASE with the same benchmark, compared by benchstat.
#
# Usage: bench/invalidate.sh [count]   (count: runs per planning benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-6}"
base="${BASE:-0bbd7db}"
out=bench/out; mkdir -p "$out"
go test -run '^$' -bench '^BenchmarkInvalidationCounts$' -benchtime 1x ./test/invalidate/ \
  | tee "$out/invalidate.txt"

tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
git archive "$base" | tar -x -C "$tmp"
# The same benchmark; BASE's NewPlan takes the keys without the removed list.
sed 's/NewPlan(bc.keys, nil, o)/NewPlan(bc.keys, o)/' internal/pathplan/bench_test.go \
  >"$tmp/internal/pathplan/bench_test.go"
(cd "$tmp" && go test -run '^$' -bench '^BenchmarkNewPlan$' -count "$count" ./internal/pathplan/) \
  | tee "$out/plan-base.txt"
go test -run '^$' -bench '^BenchmarkNewPlan$' -count "$count" ./internal/pathplan/ | tee "$out/plan.txt"
"$(go env GOPATH)/bin/benchstat" base="$out/plan-base.txt" djfront="$out/plan.txt"

#!/usr/bin/env bash
# hostforward.sh benchmarks one GET through hostforward and through the stock
# aws-lambda-go-api-proxy httpadapter.NewV2 + ReverseProxy, side by side in
# the same run against the same httptest upstream, and prints benchstat's
# comparison (baseline column first). Usage: bench/hostforward.sh [count]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10}"
out=bench/out; mkdir -p "$out"
go test -short -run '^$' -bench '^BenchmarkProxy$' -benchmem -count "$count" \
  ./internal/hostforward | tee "$out/hostforward.txt"
"$(go env GOPATH)/bin/benchstat" -col "/impl@(httpadapter djfront)" "$out/hostforward.txt" 2>/dev/null \
  || "$(go env GOPATH)/bin/benchstat" -col /impl "$out/hostforward.txt"

#!/usr/bin/env bash
# Re-records the heap fixtures of test/fixtures/heap/<program> with the real tools:
# valgrind --tool=dhat (-> dhat.json.gz), heaptrack (-> heaptrack.<program>.zst), and a pprof file
# written from the heaptrack data (scripts/heaptrack-to-pprof.mjs -> <program>.pb.gz).
# Needs valgrind, heaptrack, cargo and the Debian crates of scripts/ci-deps.sh (offline).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for p in ${*:-pipeline jsonbatch strbuild}; do
  dir="$repo/test/fixtures/heap/$p"
  (cd "$dir" && CARGO_TARGET_DIR="$scratch/target-$p" cargo build --release -q)
  bin="$scratch/target-$p/release/$p"
  (cd "$dir" && valgrind --tool=dhat --dhat-out-file="$scratch/$p.dhat.json" "$bin" >/dev/null 2>&1)
  gzip -9 -c "$scratch/$p.dhat.json" >"$dir/dhat.json.gz"
  (cd "$dir" && heaptrack -o "$scratch/heaptrack.$p" "$bin" >/dev/null 2>&1)
  cp "$scratch/heaptrack.$p.zst" "$dir/heaptrack.$p.zst"
  node "$repo/scripts/heaptrack-to-pprof.mjs" "$dir/heaptrack.$p.zst" "$dir/$p.pb.gz"
done

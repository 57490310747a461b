#!/usr/bin/env bash
# Records the "after" DHAT profile of test/fixtures/heap/strbuild with its heap findings fixed,
# for the heap compare (`alloc-lens profile <after> --baseline <before>`): build_report reserves
# its output (no reallocation growth) and writes each row in place (no per-row `format!`
# temporary). The fix keeps every line number, so lines compare one to one.
# Writes test/fixtures/heap/strbuild/dhat-fixed.json.gz. Needs valgrind and cargo (offline).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
src="$repo/test/fixtures/heap/strbuild"
cp -r "$src/Cargo.toml" "$src/Cargo.lock" "$src/.cargo" "$src/src" "$scratch/"
main="$scratch/src/main.rs"
grep -q '^    let mut out = String::new();$' "$main"
grep -q '^        let r = row(i);$' "$main"
grep -q '^        out.push_str(&r);$' "$main"
sed -i \
  -e 's|^    let mut out = String::new();$|    let mut out = String::with_capacity(rows * 48);|' \
  -e 's|^        let r = row(i);$|        let _ = write!(out, "{:>6} \| {:<24} \| {:>10.3}\\n", i, "item", i as f64 / 7.0);|' \
  -e 's|^        out.push_str(&r);$|        // written in place: no per-row String|' "$main"
(cd "$scratch" && CARGO_TARGET_DIR="$scratch/target" cargo build --release -q)
(cd "$scratch" && valgrind --tool=dhat --dhat-out-file="$scratch/dhat.json" "$scratch/target/release/strbuild" >/dev/null 2>&1)
gzip -9 -c "$scratch/dhat.json" >"$src/dhat-fixed.json.gz"
echo "wrote $src/dhat-fixed.json.gz"

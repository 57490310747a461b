#!/bin/sh
# Builds examples/ddsplit (release, debug info, offline Debian crates), records it with perf
# (dwarf call graphs) and writes the gzipped `perf script` text the profile importer reads:
#   examples/ddsplit/profile/ddsplit.perf-script.txt.gz
# Usage: scripts/record-ddsplit.sh [rounds] [frequency] [stack-bytes]
set -eu
ROUNDS="${1:-30000}"
FREQ="${2:-2000}"
# Bytes of user stack copied per sample for dwarf unwinding. The hot frames hold 50 KB blocks on the
# stack, so the default 8 KB stops the unwinder inside them; 65528 is the largest perf accepts.
STACK="${3:-65528}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
CRATE="$REPO/examples/ddsplit"
OUT="$CRATE/profile/ddsplit.perf-script.txt.gz"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/ddsplit-perf.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

(cd "$CRATE" && cargo build --release --offline)
perf record -F "$FREQ" -g --call-graph "dwarf,$STACK" -o "$TMP/perf.data" -- "$CRATE/target/release/ddsplit" "$ROUNDS"
mkdir -p "$CRATE/profile"
perf script -i "$TMP/perf.data" -F comm,pid,tid,time,event,ip,sym,dso,srcline --full-source-path > "$TMP/perf-script.txt"
# Paths inside the crate become crate-relative (src/main.rs, target/release/ddsplit) so the fixture
# is the same on every machine and resolves against the crate root (`alloc-lens profile --root`).
sed -e "s|$CRATE/||g" -e "s|$REPO/||g" "$TMP/perf-script.txt" | gzip -9 > "$OUT"
echo "wrote $OUT ($(wc -c < "$OUT") bytes, $(grep -c '^ddsplit ' "$TMP/perf-script.txt" || true) samples)"

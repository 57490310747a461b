#!/usr/bin/env bash
# Installs the system packages the tests and benchmarks need (idempotent; skips what is present).
set -euo pipefail
need=()
command -v c++filt >/dev/null || need+=(binutils)
command -v perf >/dev/null || need+=(linux-perf)
[ -d /usr/share/cargo/registry/tokio-1.24.2 ] || need+=(librust-tokio-dev)
[ -d /usr/share/cargo/registry/async-trait-0.1.56 ] || need+=(librust-async-trait-dev)
[ -d /usr/share/cargo/registry/bytes-1.2.1 ] || need+=(librust-bytes-dev)
# Real-crate layout test (test/unit/layout/real-crates.test.ts) and `npm run measure:layouts`.
[ -d /usr/share/cargo/registry/log-0.4.17 ] || need+=(librust-log-dev)
[ -d /usr/share/cargo/registry/http-0.2.7 ] || need+=(librust-http-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ci-deps: missing ${need[*]} and not root; install them with apt-get" >&2
  fi
fi
command -v rustc >/dev/null || { echo "ci-deps: rustc is missing: the layout differential tests need it" >&2; exit 1; }

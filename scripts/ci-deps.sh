#!/usr/bin/env bash
# Installs the system packages the tests and benchmarks need (idempotent; skips what is present).
set -euo pipefail
need=()
command -v c++filt >/dev/null || need+=(binutils)
command -v perf >/dev/null || need+=(linux-perf)
[ -d /usr/share/cargo/registry/tokio-1.24.2 ] || need+=(librust-tokio-dev)
[ -d /usr/share/cargo/registry/async-trait-0.1.56 ] || need+=(librust-async-trait-dev)
[ -d /usr/share/cargo/registry/bytes-1.2.1 ] || need+=(librust-bytes-dev)
# npm run measure:deps (dependencies resolved vs rustc on real crates).
[ -d /usr/share/cargo/registry/hyper-0.14.19 ] || need+=(librust-hyper-dev)
[ -d /usr/share/cargo/registry/h2-0.3.13 ] || need+=(librust-h2-dev)
[ -d /usr/share/cargo/registry/serde_json-1.0.87 ] || need+=(librust-serde-json-dev)
[ -d /usr/share/cargo/registry/regex-1.7.1 ] || need+=(librust-regex-dev)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ci-deps: missing ${need[*]} and not root; install them with apt-get" >&2
  fi
fi
command -v rustc >/dev/null || { echo "ci-deps: rustc is missing: the layout differential tests need it" >&2; exit 1; }

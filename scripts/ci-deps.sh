#!/usr/bin/env bash
# Installs the system packages the tests and benchmarks need (idempotent; skips what is present).
set -euo pipefail
need=()
command -v c++filt >/dev/null || need+=(binutils)
command -v perf >/dev/null || need+=(linux-perf)
[ -d /usr/share/cargo/registry/tokio-1.24.2 ] || need+=(librust-tokio-dev)
[ -d /usr/share/cargo/registry/async-trait-0.1.56 ] || need+=(librust-async-trait-dev)
[ -d /usr/share/cargo/registry/bytes-1.2.1 ] || need+=(librust-bytes-dev)
# Real crates for the clippy agreement (test/fixtures/clippy-truth) and the judged corpus
# (test/fixtures/judged): their sources land in /usr/share/cargo/registry with their dependencies.
for p in hyper h2 clap syn serde-json regex futures tracing-subscriber crossbeam rayon indexmap mio \
  gimli object http time petgraph dashmap env-logger backtrace cpp-demangle addr2line flate2 bumpalo \
  hashbrown tokio-util quickcheck lru toml nom pest serde-yaml csv tera globset ignore zip tar png image \
  rustls trust-dns-proto pulldown-cmark xml-rs quick-xml sequoia-openpgp; do
  dpkg -s "librust-$p-dev" >/dev/null 2>&1 || need+=("librust-$p-dev")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "ci-deps: missing ${need[*]} and not root; install them with apt-get" >&2
  fi
fi
command -v rustc >/dev/null || { echo "ci-deps: rustc is missing: the layout differential tests need it" >&2; exit 1; }

#!/usr/bin/env bash
# Installs the system packages the tests and benchmarks need (idempotent; skips what is present).
# `npm test` runs this first (scripts/run-tests.mjs). As root it installs through apt; otherwise it
# prints the exact apt-get command and fails, so a test never silently skips for a missing tool.
#   ALLOC_LENS_REGISTRY          crate source dir to check (default /usr/share/cargo/registry)
#   ALLOC_LENS_CI_DEPS_NO_INSTALL=1  only report what is missing (used by the test of this script)
set -euo pipefail
REG="${ALLOC_LENS_REGISTRY:-/usr/share/cargo/registry}"
need=()
command -v c++filt >/dev/null || need+=(binutils)
command -v perf >/dev/null || need+=(linux-perf)
command -v cargo >/dev/null || need+=(cargo)
command -v valgrind >/dev/null || need+=(valgrind)
command -v heaptrack >/dev/null || need+=(heaptrack)
command -v zstd >/dev/null || need+=(zstd)
# The language server test drives the server from Neovim's built-in LSP client (0.7+).
command -v nvim >/dev/null || need+=(neovim)
# Crate sources: directory in the registry => Debian package.
crates=(tokio-1.24.2:librust-tokio-dev async-trait-0.1.56:librust-async-trait-dev
  bytes-1.2.1:librust-bytes-dev rayon-1.6.1:librust-rayon-dev
  serde_json-1.0.87:librust-serde-json-dev h2-0.3.13:librust-h2-dev
  hyper-0.14.19:librust-hyper-dev futures-0.3.21:librust-futures-dev
  regex-1.7.1:librust-regex-dev log-0.4.17:librust-log-dev http-0.2.7:librust-http-dev)
for c in "${crates[@]}"; do
  [ -d "$REG/${c%%:*}" ] || need+=("${c##*:}")
done
# Real crates for the clippy agreement (test/fixtures/clippy-truth) and the judged corpus
# (test/fixtures/judged, every crate that holds a judged case): their sources land in
# /usr/share/cargo/registry with their dependencies.
for p in hyper h2 clap syn serde-json regex futures tracing-subscriber crossbeam rayon indexmap mio \
  gimli object http time petgraph dashmap env-logger backtrace cpp-demangle addr2line flate2 bumpalo \
  hashbrown tokio-util quickcheck lru toml nom pest serde-yaml csv tera globset ignore zip tar png image \
  rustls trust-dns-proto pulldown-cmark xml-rs quick-xml sequoia-openpgp \
  aho-corasick async-std bindgen cc chrono-tz-build clap-2 clap-3 derivative font-kit grep-printer \
  lalrpop libloading libm openssl proc-macro2 proptest prost-build quinn-proto regex-syntax reqwest \
  rusqlite syntect tiff wasm-bindgen-backend; do
  dpkg -s "librust-$p-dev" >/dev/null 2>&1 || need+=("librust-$p-dev")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && [ "${ALLOC_LENS_CI_DEPS_NO_INSTALL:-}" != 1 ]; then
    echo "ci-deps: installing ${need[*]}" >&2
    apt-get update -qq
    # --reinstall: a package whose files were removed is still "installed" for dpkg.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall "${need[@]}" >/dev/null
  else
    echo "ci-deps: missing system packages; run as root:" >&2
    echo "  apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  for c in "${crates[@]}"; do
    [ -d "$REG/${c%%:*}" ] || { echo "ci-deps: $REG/${c%%:*} still missing after installing ${c##*:}" >&2; exit 1; }
  done
fi
command -v rustc >/dev/null || { echo "ci-deps: rustc is missing: the layout differential tests need it (apt-get install -y rustc)" >&2; exit 1; }

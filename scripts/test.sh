#!/usr/bin/env bash
# Runs the whole test suite: setup (idempotent), formatting and lints, then
# every crate's unit and end-to-end tests against the real tiny.en model and
# a private PulseAudio server for the live-capture tests.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
# Models live inside the checkout for tests: nothing is cached outside it.
export HOTWASH_MODELS="${HOTWASH_MODELS:-$root/.models}"
scripts/setup.sh --no-demo

cargo fmt --all -- --check
cargo clippy --release --locked --workspace --all-targets -q -- -D warnings

# A private PulseAudio with a null sink: the "sound card" for live capture tests.
if [ -x scripts/virtual-audio.sh ]; then
  eval "$(scripts/virtual-audio.sh start)"
  trap 'scripts/virtual-audio.sh stop >/dev/null 2>&1 || true' EXIT
fi

cargo test --release --locked --workspace -- --test-threads=2

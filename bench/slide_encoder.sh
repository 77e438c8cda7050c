#!/usr/bin/env bash
# The real-size slide encoder (in 1536, D 768, 12 layers, 16 heads, random
# weights) on 1,000 and 10,000 tiles with `tessera slide`: wall seconds, peak RSS
# (/usr/bin/time -v), the analytic FLOP count and the sustained GFLOP/s beside
# the system OpenBLAS sgemm rate on the same threads. "cpu s" (user + system)
# tells how much of the wall time the machine's other load took. Run by hand after
# `swift build -c release`:
#   bench/slide_encoder.sh [THREADS] [WORK_DIR]     (default 2, /tmp/tessera-slide-bench)
# Each size runs at --precision f32 and bf16 (PRECISIONS="f32" for f32 only); the
# bf16/f32 ratio of 10,000 tiles and its cosine to f32 end the table (issue 20's goal:
# <= 10 s, or <= 0.5x f32).
# Reference (prov-gigapath, flash-attn swapped for plain attention, 2 threads on a
# 2-core machine like this one): 2.5 s for 1,000 tiles, 64 s for 10,000, 16.1 GB
# peak RSS both times (its 1,000,001 x 768 position table).
set -euo pipefail
threads=${1:-2}
work=${2:-/tmp/tessera-slide-bench}
tessera=${TESSERA:-.build/release/tessera}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$tessera" ] || { echo "no $tessera: run swift build -c release" >&2; exit 1; }
source "$here/gnu_time.sh"
need_gnu_time
python3 "$here/make_slide_inputs.py" "$work" 1000 10000

sgemm=$(python3 "$here/sgemm_rate.py" "$threads")
echo "sgemm (system OpenBLAS, $threads threads, 2048^3): $sgemm GFLOP/s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-8s %-5s %9s %9s %12s %9s %9s %9s %9s   %s\n" tiles prec "wall s" "cpu s" "peak RSS MB" "GFLOP" "linear" "attn" "GFLOP/s" "reference (s, GB)"
declare -A seconds
for n in 1000 10000; do
    for precision in ${PRECISIONS:-f32 bf16}; do
        /usr/bin/time -v "$tessera" slide "$work/tiles_$n.safetensors" --slide-encoder "$work/model" --precision "$precision" \
            -o "$work/out_${n}_$precision.safetensors" --threads "$threads" >/dev/null 2>"$work/time_$n.txt" \
            || { cat "$work/time_$n.txt" >&2; exit 1; }
        read -r linear attn total < <(python3 "$here/slide_flops.py" "$n")
        ref=$([ "$n" = 1000 ] && echo "2.5 s, 16.1 GB" || echo "64 s, 16.1 GB")
        read -r wall cpu rss < <(time_report "$work/time_$n.txt")
        seconds[$n$precision]=$wall
        printf "%-8s %-5s %9.2f %9.2f %12.0f %9.1f %9.1f %9.1f %9.1f   %s\n" "$n" "$precision" \
            "$wall" "$cpu" "$rss" "$total" "$linear" "$attn" "$(awk -v t="$total" -v s="$wall" 'BEGIN { printf "%.1f", t / s }')" "$ref"
    done
done
if [ -n "${seconds[10000bf16]:-}" ]; then
    awk -v b="${seconds[10000bf16]}" -v f="${seconds[10000f32]}" \
        'BEGIN { printf "10,000 tiles: bf16 %.2f s = %.2fx f32 (goal <= 10 s or <= 0.5x: %s)\n", b, b / f, (b <= 10 || b / f <= 0.5) ? "met" : "missed" }'
    "$tessera" compare "$work/out_10000_bf16.safetensors" "$work/out_10000_f32.safetensors" --only slide_embed,last_layer_embed
fi

#!/usr/bin/env bash
# Builds and runs bench/int8_gemm.c: the int8 GEMM of every kernel path this
# CPU supports against one-thread OpenBLAS sgemm, on the ViT-S and ViT-B
# linear layers at batch 8. Prints the CPU's flags first. Run by hand:
#   bench/int8_gemm.sh [SECONDS_PER_MEASUREMENT [PATH...]]   (default 0.5, every path)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
cc=${CC:-$(command -v clang || command -v cc)}
"$cc" -O3 -ffp-contract=off -ISources/CTesseraKernels/include -Ibench Sources/CTesseraKernels/*.c bench/int8_gemm.c \
    -lopenblas -lm -o "$out/int8_gemm"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
grep -m1 -E '^(flags|Features)' /proc/cpuinfo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
OPENBLAS_NUM_THREADS=1 "$out/int8_gemm" "${1:-0.5}" "${@:2}"

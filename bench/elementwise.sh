#!/usr/bin/env bash
# Builds and runs bench/elementwise.c: ns per float of the element-wise kernels
# (tk_gelu, tk_exp, tk_gelu_derivative, tk_sigmoid) on every kernel path this CPU
# supports, on a long array and on rows of 197. Prints the CPU first. Run by hand:
#   bench/elementwise.sh [SECONDS_PER_MEASUREMENT [PATH...]]   (default 0.5, every path)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
cc=${CC:-$(command -v clang || command -v cc)}
"$cc" -O3 -ffp-contract=off -ISources/CTesseraKernels/include -Ibench Sources/CTesseraKernels/*.c bench/elementwise.c \
    -lm -o "$out/elementwise"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/elementwise" "${1:-0.5}" "${@:2}"

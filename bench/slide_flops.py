#!/usr/bin/env python3
"""Floating-point operations of one slide-encoder pass (multiply-add = 2), counted
analytically from the shapes and the dilated-attention geometry of docs/models.md §3.6
(only real query/key rows; padded keys cost nothing in Tessera).

    slide_flops.py N  ->  prints "linear attention total" in GFLOP
"""
import sys

IN, D, DEPTH, HEADS, FFN = 1536, 768, 12, 16, 3072
BRANCHES = [(1024, 1), (5792, 2), (32768, 4), (185363, 8), (1048576, 16)]


def attention(n):
    d = D // HEADS
    total = 0
    for sl, r in BRANCHES:
        slp = min(sl, n)
        for start in range(0, n, slp):
            limit = min(slp, n - start)
            for h in range(HEADS):
                group = h // -(-HEADS // r)
                m = (limit - 1 - group) // r + 1 if limit > group else 0
                total += 4 * m * m * d  # q k^T and p v
    return total


def flops(tiles):
    n = tiles + 1
    linear = 2 * tiles * IN * D + DEPTH * 2 * n * (4 * D * D + 2 * D * FFN)
    att = DEPTH * attention(n)
    return linear, att


if __name__ == "__main__":
    lin, att = flops(int(sys.argv[1]))
    print(f"{lin / 1e9:.1f} {att / 1e9:.1f} {(lin + att) / 1e9:.1f}")

#!/usr/bin/env python3
"""Two builds of Tessera against each other, alternated in one run on the same machine: what a
change costs or gains (for example the guards kept in release builds, or a refactor that must
not slow anything down).

For ViT-S/16 and ViT-B/16 (timm, random weights from torch.manual_seed(0), as bench/edge.py
makes them): the int8 bundle through `tessera-edge bench` (bench/edge.py's product), and the
f32 ViT-B/16 through `tessera benchmark` (bench/tile_encoder.py's case), each --rounds times,
baseline and candidate in turn, so that drift in the machine's speed hits both alike. Prints
the median ms per tile of each build, the ratio candidate / baseline, the machine's sgemm rate,
CPU flags and load average. Goal of a refactor: every ratio <= 1.01.

    python3 bench/builds.py --baseline OLD_BUILD_DIR [--candidate .build/release] [--rounds 5]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import edge  # noqa: E402  (prepare, export, sgemm_rate, cpu_flags)


def edge_ms(build, bundle, args):
    done = subprocess.run([os.path.join(build, "tessera-edge"), "bench", bundle, "--batch", str(args.batch),
                           "--iterations", str(args.iterations), "--threads", str(args.threads)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["ms_per_tile"]


def host_ms(build, folder, input_path, args):
    done = subprocess.run([os.path.join(build, "tessera"), "benchmark", "--tile-encoder", folder, "--input", input_path,
                           "--threads", str(args.threads), "--iterations", str(args.iterations)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["ms_per_tile"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", required=True, help="folder holding the baseline's tessera and tessera-edge")
    p.add_argument("--candidate", default=os.path.join(edge.ROOT, ".build/release"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--iterations", type=int, default=10)
    args = p.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; sgemm {edge.sgemm_rate(args.threads)}; "
          f"CPU {' | '.join(edge.cpu_flags())}")
    cases = []
    for arch in ["vit_small_patch16_224", "vit_base_patch16_224"]:
        folder, _, _, input_path = edge.prepare(arch, args.batch)
        bundle = edge.export(argparse.Namespace(tessera=os.path.join(args.baseline, "tessera")), folder, "int8")
        cases.append((f"{arch} int8 (tessera-edge bench)", lambda b, bundle=bundle: edge_ms(b, bundle, args)))
        if arch == "vit_base_patch16_224":
            cases.append((f"{arch} f32 (tessera benchmark)",
                          lambda b, folder=folder, input_path=input_path: host_ms(b, folder, input_path, args)))
    for name, run in cases:
        times = {"baseline": [], "candidate": []}
        for _ in range(args.rounds):
            for which in ("baseline", "candidate"):
                times[which].append(run(getattr(args, which)))
        base, cand = statistics.median(times["baseline"]), statistics.median(times["candidate"])
        print(f"{name}: baseline {base:.2f} ms/tile, candidate {cand:.2f} ms/tile, ratio {cand / base:.3f} "
              f"(rounds: {' '.join(f'{t:.1f}' for t in times['baseline'])} | {' '.join(f'{t:.1f}' for t in times['candidate'])})")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""End to end on a whole-slide file: `tessera-edge run` with an int8 ViT-S bundle, against
prov-gigapath's tiling followed by ONNX Runtime int8, on the same slide in the same run.

Tessera: `tessera-edge run BUNDLE SLIDE -o OUT.safetensors --threads N`, one process: the tile
selection (Otsu on the smallest level, occupancy of every candidate tile), each kept tile read
from the slide, the transform, the int8 ViT-S and the output file; timed whole (wall clock).

Upstream: `gigapath.pipeline.tile_one_slide(SLIDE, level=0, tile_size=256)` (bench/tile.py's
child, under --upstream-python: MONAI and openslide-python), which writes every tile as a PNG;
then ONNX Runtime int8 (the timm ViT-S through quantize_dynamic, bench/edge.py) over that
folder with Pillow and numpy in batches of --batch (tessera-edge run's batch is its bundle's, 8), as a Python user would write it. Its time
is the tiling child's whole process plus the ONNX Runtime loop after its imports and session
load (which favours upstream by those seconds).

Both embed their own tile selection (Tessera's default mode names tiles by their true
position and reads nothing past the slide's edge; upstream's selection differs by the tiles
bench/tile.py and the README list), so each rate is its own tiles over its own time. Prints
tiles and seconds of each, tiles/s, the ratio of rates, the machine's CPU flags and sgemm rate,
and the load average before and after. The ViT-S weights are random (torch.manual_seed(0)):
speed does not depend on them.

    swift build -c release
    /tmp/benchvenv/bin/python bench/edge_slide.py --upstream-python /tmp/wsivenv/bin/python \
        [--slide fixtures/wsi/synth_b.svs] [--threads 2] [--batch 8]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import edge  # noqa: E402  (the ViT-S model, its int8 ONNX graph and bundle, the machine report)

UPSTREAM = "/work/.mirror/prov-gigapath+prov-gigapath/repo"


def timed(cmd, what):
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{what} failed ({' '.join(cmd)}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def tessera(args, bundle, slide, work):
    out = os.path.join(work, "tessera.safetensors")
    seconds, _ = timed([args.edge, "run", bundle, slide, "-o", out, "--threads", str(args.threads)], "tessera-edge run")
    from safetensors.numpy import load_file
    return load_file(out)["tile_embeds"].shape[0], seconds


def upstream(args, onnx_int8, slide, work):
    tiles = os.path.join(work, "upstream")
    tiling_s, _ = timed([args.upstream_python, os.path.join(HERE, "tile.py"), "--child-upstream", "--slide", slide,
                         "--out", tiles, "--upstream", args.upstream, "--cap-gb", str(args.cap_gb)], "upstream tiling")
    folder = os.path.join(tiles, "output", os.path.basename(slide))
    _, stdout = timed([sys.executable, os.path.join(HERE, "edge.py"), "--child-slide", "--graph", onnx_int8,
                       "--input", folder, "--output", os.path.join(work, "ort.npy"), "--threads", str(args.threads),
                       "--batch", str(args.batch)], "ONNX Runtime over upstream's tiles")
    embedded = json.loads(stdout.strip().splitlines()[-1])
    return embedded["tiles"], tiling_s, embedded["seconds"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", default=os.path.join(ROOT, ".build/release/tessera"))
    p.add_argument("--edge", default=os.path.join(ROOT, ".build/release/tessera-edge"))
    p.add_argument("--slide", default=os.path.join(ROOT, "fixtures/wsi/synth_b.svs"))
    p.add_argument("--upstream-python", required=True, help="interpreter with upstream's dependencies (MONAI, openslide)")
    p.add_argument("--upstream", default=UPSTREAM, help="git directory of prov-gigapath")
    p.add_argument("--cap-gb", type=float, default=10, help="upstream's address-space growth cap after its imports")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    args = p.parse_args()
    for program in (args.tessera, args.edge):
        if not os.path.exists(program):
            sys.exit(f"{program} not found: run `swift build -c release` first")
    os.makedirs(edge.OUT, exist_ok=True)
    name, flags = edge.cpu_flags()
    print(f"cpu: {name}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f}")
    print(f"cpu flags: {flags}")
    print(f"sgemm GFLOP/s ({args.threads} threads, OpenBLAS): {edge.sgemm_rate(args.threads)}")
    print(f"slide {args.slide}; threads {args.threads}, batch {args.batch}\n", flush=True)
    folder, _, onnx_int8, _ = edge.prepare("vit_small_patch16_224", args.batch)
    bundle = edge.export(args, folder, "int8")
    with tempfile.TemporaryDirectory() as work:
        t_tiles, t_s = tessera(args, bundle, args.slide, work)
        u_tiles, tiling_s, ort_s = upstream(args, onnx_int8, args.slide, work)
        shutil.rmtree(os.path.join(work, "upstream"), ignore_errors=True)
    u_s = tiling_s + ort_s
    print(f"{'':<34} {'tiles':>6} {'seconds':>8} {'tiles/s':>8}")
    print(f"{'tessera-edge run (int8 ViT-S)':<34} {t_tiles:>6} {t_s:>8.2f} {t_tiles / t_s:>8.2f}")
    print(f"{'tile_one_slide + ORT int8':<34} {u_tiles:>6} {u_s:>8.2f} {u_tiles / u_s:>8.2f}"
          f"   (tiling {tiling_s:.2f} s, ORT {ort_s:.2f} s)")
    print(f"\nTessera's rate / upstream's: {(t_tiles / t_s) / (u_tiles / u_s):.2f}x; "
          f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

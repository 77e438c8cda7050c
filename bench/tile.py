#!/usr/bin/env python3
"""Tiling a whole-slide file: `tessera tile` vs prov-gigapath's `tile_one_slide`, same slides, same run.

Slides: the project's fixtures (fixtures/wsi/synth_a.svs, synth_b.svs) and generated Aperio-like SVS
files (--sizes, default 10000x8000, 20000x15000 and 60000x40000 pixels: tiled 256x256 JPEG Q75,
levels at downsamples 1, 4 and 16, MPP 0.5), written once to --work (never into the project) by
`write_slide`: tissue regions (the IHC texture of fixtures/make_wsi.py under a warped mask) on a
slide-wide background, streamed tile by tile so that no level is ever held in memory.

Upstream: `gigapath.pipeline.tile_one_slide(slide, save_dir, level=0, tile_size=256)` from the
pinned commit of fixtures/make_wsi.py, imported from --upstream (a git directory) exactly as that
generator does, in a child process of the --python interpreter (one with MONAI, openslide-python
and the rest; fixtures/wsi/README.md), its address space capped at what it had mapped after its
imports plus --cap-gb (so it cannot exhaust the machine) and stopped after --limit-s. Upstream holds
the whole region of interest at level 0 in memory: on slides too large for the cap it fails, and
the largest slide it finished is where its peak RSS is read.

Tessera: `tessera tile SLIDE -o OUT --level 0 --tile-size 256 --compat prov-gigapath --threads N`
(the same tiles as upstream's; their names are compared), the release build.

Prints per slide: wall seconds of each (upstream: its tile_one_slide call, and the whole process
with its imports), the ratio Tessera/upstream (goal <= 0.2 on slides upstream can handle), both
peak RSS (VmHWM; goal Tessera <= 300 MB on the 60,000 x 40,000 slide), tiles written, whether the
tile names agree, and the load average beside every row; the machine (CPU flags, sgemm rate of
bench/sgemm_rate.py, load, memory) before and after.

    swift build -c release --product tessera
    /tmp/wsivenv/bin/python bench/tile.py [--threads 2] [--sizes 10000x8000,20000x15000,60000x40000]
"""
import argparse
import csv
import json
import os
import resource
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "fixtures")]
import distill  # noqa: E402  (the bench scripts' process measurement and machine report)
import make_wsi  # noqa: E402  (the fixture generator: upstream's import, textures, SVS layout)

UPSTREAM = "/work/.mirror/prov-gigapath+prov-gigapath/repo"
DOWNSAMPLES = (1, 4, 16)
MASK_STEP = 16  # level-0 pixels per pixel of the tissue mask


# ---------------------------------------------------------------- slides

def tissue_mask(rng, width, height):
    """Tissue at one pixel per MASK_STEP level-0 pixels: warped ellipses over about a third of the
    slide, spread so that their bounding box (upstream's region of interest) is most of it, with
    holes, and one speck near a corner."""
    shape = (height // MASK_STEP + 1, width // MASK_STEP + 1)
    warp = make_wsi.smooth_noise(rng, shape, max(8, shape[1] // 12))
    mask = make_wsi.disc(shape, (shape[1] * 0.04, shape[0] * 0.05), max(2, shape[1] // 300))
    for cx, cy in [(0.28, 0.3), (0.7, 0.28), (0.3, 0.72), (0.72, 0.7), (0.5, 0.5)]:
        radii = (shape[1] * rng.uniform(0.12, 0.17), shape[0] * rng.uniform(0.12, 0.17))
        mask |= make_wsi.blob(shape, (shape[1] * cx, shape[0] * cy), radii, warp)
    holes = make_wsi.smooth_noise(rng, shape, max(4, shape[1] // 60)) > 1.7
    return mask & ~holes


def level_tiles(mask, texture, noise, width, height, downsample):
    """The level's 256x256 tiles, row by row, as tifffile takes them from an iterator."""
    import numpy as np
    tile = make_wsi.TILE
    background = np.clip(make_wsi.BACKGROUND + noise, 0, 255)
    for top in range(0, height, tile):
        rows = np.minimum((np.arange(top, top + tile) * downsample) // MASK_STEP, mask.shape[0] - 1)
        for left in range(0, width, tile):
            columns = np.minimum((np.arange(left, left + tile) * downsample) // MASK_STEP, mask.shape[1] - 1)
            inside = mask[np.ix_(rows, columns)][..., None]
            tissue = texture[top % 1024:top % 1024 + tile, left % 1024:left % 1024 + tile]
            yield np.where(inside, tissue, background).astype(np.uint8)


def write_slide(path, width, height, seed=0):
    """An Aperio-like SVS of width x height (levels at DOWNSAMPLES), written tile by tile."""
    import numpy as np
    import tifffile
    rng = np.random.default_rng(seed)
    mask = tissue_mask(rng, width, height)
    texture = make_wsi.ihc_texture((2048, 2048), (0, 0))  # repeats every 1024 pixels
    noise = rng.normal(0, 1.5, (make_wsi.TILE, make_wsi.TILE, 3))
    part = path + ".part"
    with tifffile.TiffWriter(part, bigtiff=width * height > 200_000_000) as tif:
        for i, d in enumerate(DOWNSAMPLES):
            lw, lh = width // d, height // d
            tif.write(level_tiles(mask, texture, noise, lw, lh, d), shape=(lh, lw, 3), dtype=np.uint8,
                      description=make_wsi.aperio_description(width, height, lw, lh, i == 0), **make_wsi.SVS_LEVEL)
    os.replace(part, path)


# ---------------------------------------------------------------- the two tilers

def child_upstream(args):
    """Child: upstream's tile_one_slide on one slide, under the address-space cap; prints JSON."""
    with tempfile.TemporaryDirectory() as code:
        up = make_wsi.import_upstream(args.upstream, code)
        limit = (distill.vm_kb("VmSize") // 1024 + int(args.cap_gb * 1024)) << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
        start = time.perf_counter()
        try:
            up.pipeline.tile_one_slide(args.slide, save_dir=args.out, level=0, tile_size=make_wsi.TILE)
        except MemoryError as error:
            print(json.dumps({"failed": f"MemoryError {error}".strip(), "seconds": time.perf_counter() - start,
                              "peak_rss_mb": distill.vm_kb("VmHWM") / 1024}), flush=True)
            sys.exit(3)
        print(json.dumps({"seconds": time.perf_counter() - start, "peak_rss_mb": distill.vm_kb("VmHWM") / 1024}), flush=True)


def tile_names(csv_path):
    with open(csv_path) as f:
        return {os.path.basename(row["image"]) for row in csv.DictReader(f)}


def run_upstream(args, slide, work):
    out = os.path.join(work, "upstream")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [args.python, os.path.abspath(__file__), "--child-upstream", "--slide", slide, "--out", out,
           "--upstream", args.upstream, "--cap-gb", str(args.cap_gb)]
    r = distill.run_measured(cmd, os.path.join(work, "upstream"), limit_s=args.limit_s)
    lines = [json.loads(line) for line in r["stdout"].splitlines() if line.startswith("{")]
    result = {"process_s": r["wall_s"], "peak_rss_mb": r["peak_rss_mb"], "rc": r["rc"], "stopped": r["stopped"]}
    if lines:
        result.update(lines[-1])
    dataset = os.path.join(out, "output", os.path.basename(slide), "dataset.csv")
    if r["rc"] == 0 and os.path.exists(dataset):
        result["names"] = tile_names(dataset)
    else:
        tail = (r["stderr"].strip().splitlines() or ["?"])[-1][:160]
        result.setdefault("failed", "stopped after --limit-s" if r["stopped"] else f"exit {r['rc']}: {tail}")
    shutil.rmtree(out, ignore_errors=True)
    return result


def run_tessera(args, slide, work):
    out = os.path.join(work, "tessera")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [args.tessera, "tile", slide, "-o", out, "--level", "0", "--tile-size", str(make_wsi.TILE),
           "--compat", "prov-gigapath", "--threads", str(args.threads)]
    r = distill.run_measured(cmd, os.path.join(work, "tessera"))
    if r["rc"] != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r['stderr'][-2000:]}")
    # Its own VmHWM at the end (the sampled one can miss the last 0.2 s).
    own = [float(line.rsplit("peak RSS ", 1)[1].split()[0]) for line in r["stderr"].splitlines() if "peak RSS " in line]
    names = tile_names(os.path.join(out, os.path.basename(slide), "dataset.csv"))
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": r["wall_s"], "peak_rss_mb": max([r["peak_rss_mb"]] + own), "names": names}


# ---------------------------------------------------------------- main

def slides(args):
    """(label, path) of every slide of the run, generating the missing ones."""
    out = [(name, make_wsi.OUT.joinpath(f"{name}.svs").as_posix()) for name in ("synth_a", "synth_b")]
    for size in filter(None, args.sizes.split(",")):
        width, height = (int(v) for v in size.lower().split("x"))
        path = os.path.join(args.work, f"generated_{width}x{height}.svs")
        if not os.path.exists(path):
            start = time.perf_counter()
            write_slide(path, width, height)
            print(f"wrote {path} ({os.path.getsize(path) / 1e6:.0f} MB) in {time.perf_counter() - start:.0f} s", flush=True)
        out.append((f"{width}x{height}", path))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", default=os.path.join(ROOT, ".build/release/tessera"))
    p.add_argument("--python", default=sys.executable, help="interpreter with upstream's dependencies")
    p.add_argument("--upstream", default=UPSTREAM, help="git directory of prov-gigapath")
    p.add_argument("--work", default="/tmp/tessera-tile-bench", help="generated slides and outputs")
    p.add_argument("--sizes", default="10000x8000,20000x15000,60000x40000", help="generated slides, WxH,...")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cap-gb", type=float, default=10, help="upstream's address-space growth cap after its imports")
    p.add_argument("--limit-s", type=float, default=1800, help="upstream is stopped after this")
    p.add_argument("--child-upstream", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--slide", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_upstream:
        return child_upstream(args)
    if not os.path.exists(args.tessera):
        sys.exit(f"{args.tessera} not found: run `swift build -c release --product tessera` first")
    os.makedirs(args.work, exist_ok=True)
    distill.show_machine(distill.machine(args.threads), "before")
    print(f"threads {args.threads}; upstream capped at its post-import address space + {args.cap_gb:g} GB, "
          f"stopped after {args.limit_s:g} s\n")
    print(f"{'slide':<12} {'level-0 px':>13} {'tiles':>6} {'Tessera s':>9} {'upstream s':>10} {'(process)':>9} "
          f"{'ratio':>6} {'Tessera MB':>10} {'upstream MB':>11} {'same tiles':>10} {'load':>5}", flush=True)
    largest_finished = None
    import openslide
    for label, path in slides(args):
        with openslide.OpenSlide(path) as s:
            width, height = s.dimensions
        t = run_tessera(args, path, args.work)
        u = run_upstream(args, path, args.work)
        finished = "names" in u
        ratio = f"{t['seconds'] / u['seconds']:.3f}" if finished else "-"
        same = ("yes" if t["names"] == u["names"] else "NO") if finished else "-"
        upstream_s = f"{u['seconds']:.2f}" if finished else "failed"
        print(f"{label:<12} {width * height:>13,} {len(t['names']):>6} {t['seconds']:>9.2f} {upstream_s:>10} "
              f"{u['process_s']:>9.1f} {ratio:>6} {t['peak_rss_mb']:>10.0f} {u['peak_rss_mb']:>11.0f} {same:>10} "
              f"{os.getloadavg()[0]:>5.1f}", flush=True)
        if finished:
            largest_finished = (label, u["peak_rss_mb"])
        else:
            print(f"  upstream did not finish: {u.get('failed')} (peak RSS {u['peak_rss_mb']:.0f} MB)", flush=True)
        if width * height >= 60000 * 40000:
            verdict = "met" if t["peak_rss_mb"] <= 300 else "missed"
            print(f"  Tessera peak RSS on {label}: {t['peak_rss_mb']:.0f} MB (goal <= 300 MB: {verdict})", flush=True)
    if largest_finished:
        print(f"\nlargest slide upstream finished: {largest_finished[0]}, peak RSS {largest_finished[1]:.0f} MB")
    distill.show_machine(distill.machine(args.threads), "after")


if __name__ == "__main__":
    main()

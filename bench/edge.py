#!/usr/bin/env python3
"""Edge speed: int8 tile encoders, Tessera vs ONNX Runtime, one machine, same threads, same batch.

For ViT-S/16 and ViT-B/16 (timm, random weights from torch.manual_seed(0)):
- ONNX Runtime f32: the model exported by torch.onnx.export;
- ONNX Runtime int8: that graph through onnxruntime.quantization.quantize_dynamic (QInt8
  weights; activations quantised at run time, the attention products left in f32 as
  quantize_dynamic leaves them);
- OpenVINO int8: that graph quantised by NNCF (`nncf.quantize`, `ModelType.TRANSFORMER`,
  calibrated on the demo slide's 14 tissue tiles), the rest in bf16 (`INFERENCE_PRECISION_HINT`),
  the faster of its latency and throughput hints (a batch split into its streams), as
  bench/bf16.py runs OpenVINO bf16 (skipped, and said so, without pip's `openvino` and `nncf`);
- Tessera f32 and int8: `tessera benchmark --weights f32|int8` on the same weights (int8:
  converted in memory exactly as `tessera export --weights int8` stores a bundle), and the
  product itself: `tessera export --weights int8` to a bundle, timed by `tessera-edge bench`.
The input batch is real tissue: the demo slide's tiles (fixtures/slide_folder/demo_slide)
through the GigaPath transform. Prints ms per tile (median wall clock over --iterations
passes, and the best pass), CPU ms per tile (all threads), the ratios, the smallest cosine
over the batch of each engine's int8 embeddings to its own f32 ones, the machine's sgemm
rate (bench/sgemm_rate.py) and its CPU flags. Goals: Tessera int8 <= 0.75x ONNX Runtime
int8's time per tile; the edge engine's int8 (`tessera-edge bench`) <= 0.9x OpenVINO int8's, at
a cosine to f32 at least OpenVINO's.

End to end (--e2e-tiles N, default 128): a slide folder of N tissue tiles (bench/_tiles.py)
through `tessera-edge run` on the int8 bundle (PNG decode, transform, model, output file),
against ONNX Runtime int8 + Pillow + numpy doing the same in batches of --batch; tiles/s.
Memory (--rss-tiles N, ViT-S only, default 0 = skipped): the peak RSS of `tessera-edge run`
on a slide folder of N tiles (hard links to the end-to-end tiles), goal <= bundle + 150 MB.

    swift build -c release && python3 bench/edge.py [--threads 2] [--batch 8] [--iterations 10] [--rss-tiles 10000]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out", "edge")
MODELS = {"ViT-S/16": "vit_small_patch16_224", "ViT-B/16": "vit_base_patch16_224"}


def timm_module():
    sys.path.insert(0, HERE)
    import _torchvision_stub
    _torchvision_stub.install_if_broken()
    import timm
    return timm


def prepare(arch, batch):
    """The random model as a timm folder, its f32 and int8 ONNX graphs, and the input batch."""
    import torch
    from safetensors.torch import save_file
    folder = os.path.join(OUT, arch)
    onnx_f32, onnx_int8 = folder + ".onnx", folder + ".int8.onnx"
    if not os.path.exists(onnx_int8):
        from onnxruntime.quantization import QuantType, quantize_dynamic
        os.makedirs(folder, exist_ok=True)
        torch.manual_seed(0)
        model = timm_module().create_model(arch, pretrained=False, num_classes=0).eval()
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(folder, "model.safetensors"))
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump({"architecture": arch, "num_classes": 0,
                       "model_args": {"img_size": 224, "patch_size": 16, "num_classes": 0}}, f)
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), onnx_f32, input_names=["images"],
                          output_names=["embedding"], dynamic_axes={"images": {0: "batch"}}, opset_version=17,
                          dynamo=False)
        quantize_dynamic(onnx_f32, onnx_int8, weight_type=QuantType.QInt8)
    input_path = os.path.join(OUT, f"tissue_b{batch}.safetensors")
    if not os.path.exists(input_path):
        demo = os.path.join(ROOT, "fixtures", "slide_folder", "demo_slide")
        tiles = sorted(os.path.join(demo, n) for n in os.listdir(demo) if n.endswith(".png"))
        save_file({"input": torch.from_numpy(transform([tiles[i % len(tiles)] for i in range(batch)]))}, input_path)
    return folder, onnx_f32, onnx_int8, input_path


def openvino_int8(onnx_f32, folder):
    """The NNCF-quantised OpenVINO model of the f32 graph (made once), or why there is none."""
    xml = folder + ".nncf_int8.xml"
    if os.path.exists(xml):
        return xml, None
    try:
        import nncf
        import openvino as ov
    except ImportError as error:
        return None, f"not run ({error.name} not installed: pip install openvino nncf)"
    demo = os.path.join(ROOT, "fixtures", "slide_folder", "demo_slide")
    tiles = sorted(os.path.join(demo, n) for n in os.listdir(demo) if n.endswith(".png"))
    calibration = nncf.Dataset([transform([t]) for t in tiles])
    quantized = nncf.quantize(ov.Core().read_model(onnx_f32), calibration, model_type=nncf.ModelType.TRANSFORMER,
                              subset_size=len(tiles))
    ov.save_model(quantized, xml)
    return xml, None


def run_openvino(args):
    """Child process: OpenVINO on a graph exactly as bench/bf16.py times it (bf16 where not int8)."""
    sys.path.insert(0, HERE)
    import bf16
    args.weights = args.graph
    bf16.run_openvino(args)


def transform(paths):
    """[N, 3, 224, 224] f32: torchvision's Resize(256, BICUBIC), CenterCrop(224), ToTensor,
    Normalize(ImageNet mean, std) on Pillow images, as prov-gigapath preprocesses tiles."""
    import numpy as np
    from PIL import Image
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    out = np.empty((len(paths), 3, 224, 224), np.float32)
    for i, path in enumerate(paths):
        image = Image.open(path).convert("RGB")
        w, h = image.size
        if min(w, h) != 256:
            short, long = min(w, h), max(w, h)
            size = (256, int(256 * long / short)) if w == short else (int(256 * long / short), 256)
            image = image.resize(size, Image.BICUBIC)
            w, h = image.size
        left, top = int(round((w - 224) / 2.0)), int(round((h - 224) / 2.0))
        crop = np.asarray(image.crop((left, top, left + 224, top + 224)), np.float32) / 255
        out[i] = (crop.transpose(2, 0, 1) - mean) / std
    return out


def run_ort(args):
    """Child process: times one ONNX graph; prints JSON, saves the embeddings."""
    import numpy as np
    import onnxruntime as ort
    from safetensors.numpy import load_file, save_file
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.graph, options, providers=["CPUExecutionProvider"])
    x = load_file(args.input)["input"]
    feed = {session.get_inputs()[0].name: x}
    session.run(None, feed)  # warm-up
    times, cpu_start = [], time.process_time()
    for _ in range(args.iterations):
        start = time.perf_counter()
        out = session.run(None, feed)[0]
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() - cpu_start) / args.iterations
    save_file({"embedding": np.ascontiguousarray(out)}, args.output)
    tiles = x.shape[0]
    print(json.dumps({"ms_per_tile": sorted(times)[len(times) // 2] * 1000 / tiles,
                      "best_ms_per_tile": min(times) * 1000 / tiles, "cpu_ms_per_tile": cpu * 1000 / tiles}))


def run_ort_slide(args):
    """Child process: ONNX Runtime + Pillow over a slide folder, as a Python user would write it."""
    import numpy as np
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.graph, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    start = time.perf_counter()
    tiles = sorted(os.path.join(args.input, n) for n in os.listdir(args.input) if n.endswith(".png"))
    embeds = [session.run(None, {name: transform(tiles[i:i + args.batch])})[0] for i in range(0, len(tiles), args.batch)]
    np.save(args.output, np.concatenate(embeds))
    print(json.dumps({"tiles": len(tiles), "seconds": time.perf_counter() - start}))


def peak_rss_run(cmd):
    """Runs `tessera-edge run`: wall seconds and the peak RSS in MB its summary line reports (its
    VmHWM; wait4's figure would start from this torch-loaded script's own peak)."""
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return seconds, float(re.search(r"peak RSS ([0-9.]+) MB", done.stderr).group(1))


def export(args, folder, weights):
    bundle = f"{folder}.{weights}.tsb"
    if not os.path.exists(bundle):
        subprocess.run([args.tessera, "export", "--tile-encoder", folder, "--weights", weights, "-o", bundle],
                       check=True, capture_output=True)
    return bundle


def edge_bench(args, bundle):
    done = subprocess.run([args.edge, "bench", bundle, "--batch", str(args.batch), "--iterations", str(args.iterations),
                           "--threads", str(args.threads)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"tessera-edge bench failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def slide_folder(tiles):
    """A slide folder of `tiles` tissue tiles (bench/_tiles.py), made once."""
    sys.path.insert(0, HERE)
    import _tiles
    folder = os.path.join(OUT, f"slide_{tiles}")
    if not os.path.isdir(folder) or len(os.listdir(folder)) != tiles:
        _tiles.make_slide(folder, tiles, seed=tiles, images=_tiles.sources(ROOT))
    return folder


def linked_slide(source, tiles):
    """A slide folder of `tiles` hard links to the tiles of `source`, on a grid (no extra disk)."""
    folder = os.path.join(OUT, f"linked_{tiles}")
    if os.path.isdir(folder) and len(os.listdir(folder)) == tiles:
        return folder
    os.makedirs(folder, exist_ok=True)
    names = sorted(os.listdir(source))
    columns = 100
    for i in range(tiles):
        target = os.path.join(folder, f"{(i % columns) * 256}x_{(i // columns) * 256}y.png")
        if not os.path.exists(target):
            os.link(os.path.join(source, names[i % len(names)]), target)
    return folder


def end_to_end(args, bundle, onnx_int8):
    folder = slide_folder(args.e2e_tiles)
    out = os.path.join(OUT, "e2e")
    t_seconds, t_rss = peak_rss_run([args.edge, "run", bundle, folder, "-o", out + ".safetensors",
                                     "--threads", str(args.threads)])
    cmd = [sys.executable, os.path.abspath(__file__), "--child-slide", "--graph", onnx_int8, "--input", folder,
           "--output", out + ".npy", "--threads", str(args.threads), "--batch", str(args.batch)]
    start = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        sys.exit(f"onnxruntime + Pillow failed:\n{stderr}")
    o_seconds = json.loads(stdout.strip().splitlines()[-1])["seconds"]
    n = args.e2e_tiles
    print(f"  end to end, a slide folder of {n} tiles: tessera-edge run (int8) {n / t_seconds:.1f} tiles/s "
          f"(whole process, peak RSS {t_rss:.0f} MB); ORT int8 + Pillow {n / o_seconds:.1f} tiles/s "
          f"(after its imports and session load); time ratio {t_seconds / o_seconds:.2f}")
    return folder


def memory(args, bundle, folder):
    linked = linked_slide(folder, args.rss_tiles)
    seconds, rss = peak_rss_run([args.edge, "run", bundle, linked, "-o", os.path.join(OUT, "rss.safetensors"),
                                 "--threads", str(args.threads)])
    size = os.path.getsize(bundle) / 1048576
    verdict = "met" if rss <= size + 150 else "missed"
    print(f"  memory: tessera-edge run on {args.rss_tiles} tiles: peak RSS {rss:.0f} MB, bundle {size:.1f} MB "
          f"(goal <= bundle + 150 MB: {verdict}); {args.rss_tiles / seconds:.1f} tiles/s")


def ort(graph, input_path, output, args, engine="--child"):
    """ONNX Runtime (or, with engine "--child-openvino", OpenVINO) on `graph` in a child process."""
    cmd = [sys.executable, os.path.abspath(__file__), engine, "--graph", graph, "--input", input_path,
           "--output", output, "--threads", str(args.threads), "--iterations", str(args.iterations)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{engine[8:] or 'onnxruntime'} failed on {graph}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def tessera(folder, weights, input_path, output, args):
    cmd = [args.tessera, "benchmark", "--tile-encoder", folder, "--input", input_path, "--weights", weights,
           "--threads", str(args.threads), "--iterations", str(args.iterations), "-o", output]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"tessera failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def min_cosine(a_path, b_path):
    """The smallest cosine between matching rows of two [B, D] embeddings."""
    import numpy as np
    from safetensors.numpy import load_file
    a = load_file(a_path)["embedding"].astype(np.float64)
    b = load_file(b_path)["embedding"].astype(np.float64)
    return float(((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))).min())


def sgemm_rate(threads):
    done = subprocess.run([sys.executable, os.path.join(HERE, "sgemm_rate.py"), str(threads)],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unavailable (" + done.stderr.strip()[-80:] + ")"


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        info = f.read().splitlines()
    name = next((l.split(":", 1)[1].strip() for l in info if l.startswith("model name")), "unknown")
    flags = next((l.split(":", 1)[1].split() for l in info if l.startswith(("flags", "Features"))), [])
    simd = [f for f in flags if f.startswith(("avx", "amx", "asimd", "sve", "i8mm", "f16c", "fma"))]
    return name, " ".join(simd)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", default=os.path.join(ROOT, ".build/release/tessera"))
    p.add_argument("--edge", default=os.path.join(ROOT, ".build/release/tessera-edge"))
    p.add_argument("--e2e-tiles", type=int, default=128, help="tiles of the end-to-end slide folder (0: skipped)")
    p.add_argument("--rss-tiles", type=int, default=0, help="tiles of the ViT-S memory run (0: skipped)")
    p.add_argument("--child-slide", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--child-openvino", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--graph", help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--output", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return run_ort(args)
    if args.child_openvino:
        return run_openvino(args)
    if args.child_slide:
        return run_ort_slide(args)
    if not os.path.exists(args.tessera):
        sys.exit(f"{args.tessera} not found: run `swift build -c release` first")
    os.makedirs(OUT, exist_ok=True)

    name, flags = cpu_flags()
    print(f"cpu: {name}; {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(f"cpu flags: {flags}")
    print(f"sgemm GFLOP/s ({args.threads} threads, OpenBLAS): {sgemm_rate(args.threads)}")
    print(f"threads {args.threads}, batch {args.batch}, {args.iterations} timed passes each\n")
    for label in args.models.split(","):
        arch = MODELS[label]
        folder, onnx_f32, onnx_int8, input_path = prepare(arch, args.batch)
        out = {k: os.path.join(OUT, f"{arch}.{k}.safetensors") for k in ["ort_f32", "ort_int8", "ov_int8", "ts_f32", "ts_int8"]}
        results = {
            "ORT f32": ort(onnx_f32, input_path, out["ort_f32"], args),
            "ORT int8": ort(onnx_int8, input_path, out["ort_int8"], args),
            "Tessera f32": tessera(folder, "f32", input_path, out["ts_f32"], args),
            "Tessera int8": tessera(folder, "int8", input_path, out["ts_int8"], args),
        }
        ov_graph, ov_skipped = openvino_int8(onnx_f32, folder)
        if ov_graph:
            results["OpenVINO int8"] = ort(ov_graph, input_path, out["ov_int8"], args, engine="--child-openvino")
        print(f"{label} ({arch}); Tessera int8 kernel {results['Tessera int8']['kernel']}")
        print(f"  {'':<14} {'ms/tile':>8} {'best':>8} {'CPU ms/tile':>12}")
        for engine, r in results.items():
            best = r.get("best_ms_per_tile")
            print(f"  {engine:<14} {r['ms_per_tile']:8.1f} {best if best is not None else float('nan'):8.1f} "
                  f"{r['cpu_ms_per_tile']:12.1f}")
        ratio = results["Tessera int8"]["ms_per_tile"] / results["ORT int8"]["ms_per_tile"]
        verdict = "meets" if ratio <= 0.75 else "misses"
        print(f"  Tessera int8 / ORT int8 time: {ratio:.2f} ({verdict} the goal <= 0.75)")
        print(f"  Tessera f32 / ORT f32 time: {results['Tessera f32']['ms_per_tile'] / results['ORT f32']['ms_per_tile']:.2f}")
        print(f"  int8 / f32 time: Tessera {results['Tessera int8']['ms_per_tile'] / results['Tessera f32']['ms_per_tile']:.2f}, "
              f"ORT {results['ORT int8']['ms_per_tile'] / results['ORT f32']['ms_per_tile']:.2f}")
        print(f"  min cosine int8 to f32 embeddings: Tessera {min_cosine(out['ts_int8'], out['ts_f32']):.6f}, "
              f"ORT {min_cosine(out['ort_int8'], out['ort_f32']):.6f}")
        print(f"  Tessera f32 vs ORT f32 min cosine: {min_cosine(out['ts_f32'], out['ort_f32']):.6f}")
        bundle = export(args, folder, "int8")
        edge = edge_bench(args, bundle)
        print(f"  int8 bundle ({os.path.getsize(bundle) / 1048576:.1f} MB; ORT int8 graph "
              f"{os.path.getsize(onnx_int8) / 1048576:.1f} MB) through tessera-edge bench: {edge['ms_per_tile']:.1f} ms/tile, "
              f"kernel {edge['kernel']}, peak RSS {edge['peak_rss_mb']:.0f} MB; "
              f"{edge['ms_per_tile'] / results['ORT int8']['ms_per_tile']:.2f}x ORT int8")
        if ov_graph:
            ov = results["OpenVINO int8"]
            ratio = edge["ms_per_tile"] / ov["ms_per_tile"]
            print(f"  OpenVINO int8 (NNCF, the rest bf16; {ov['hint']} hint, {ov['streams']} streams): {ov['ms_per_tile']:.1f} ms/tile; "
                  f"tessera-edge int8 {ratio:.2f}x its time (goal <= 0.9: {'met' if ratio <= 0.9 else 'missed'}); "
                  f"min cosine to f32: OpenVINO int8 {min_cosine(out['ov_int8'], out['ort_f32']):.6f} (to ORT f32), "
                  f"Tessera int8 {min_cosine(out['ts_int8'], out['ts_f32']):.6f}")
        else:
            print(f"  OpenVINO int8: {ov_skipped}")
        if args.e2e_tiles:
            folder = end_to_end(args, bundle, onnx_int8)
            if args.rss_tiles and arch == "vit_small_patch16_224":
                memory(args, bundle, folder)
        print()


if __name__ == "__main__":
    main()

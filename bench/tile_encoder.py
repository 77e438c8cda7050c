#!/usr/bin/env python3
"""Tile encoder benchmark: Tessera vs PyTorch (timm) vs ONNX Runtime, one machine, same threads.

(a) ViT-B/16 at 224 px, batch 8, random weights: Tessera, PyTorch (timm), ONNX Runtime.
(b) the full-size random GigaPath teacher (a weights file or HF directory, e.g. made by
    fixtures/make_gigapath.py), batches 1-4: Tessera vs PyTorch, with peak RSS.

Prints ms per tile (wall clock, median), CPU ms per tile (all threads: with --threads 1 a
figure that other load on the machine hardly moves), Tessera's sustained GFLOP/s (analytic FLOP count), the sgemm GFLOP/s of
the same BLAS on the same shapes, the ratios against the goals, and checks that Tessera's
embeddings match PyTorch's. Each engine runs in its own process so peak RSS is its own.

    python3 bench/tile_encoder.py --threads 2                      # (a) only
    python3 bench/tile_encoder.py --threads 2 --gigapath /data/gigapath_random.safetensors
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")

GIGAPATH_ARGS = dict(img_size=224, patch_size=16, init_values=1e-5, mlp_ratio=5.33334, num_classes=0)


def timm_module():
    sys.path.insert(0, HERE)
    import _torchvision_stub
    _torchvision_stub.install_if_broken()
    import timm
    return timm


def child_rss():
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def median_time(fn, iterations):
    """Median wall seconds per call, and mean process CPU seconds per call."""
    fn()  # warm-up
    times = []
    cpu_start = time.process_time()
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], (time.process_time() - cpu_start) / iterations


# ---------------------------------------------------------------- child processes

def run_torch(args):
    """Child: time timm's forward; prints JSON, saves the embeddings."""
    import torch
    from safetensors.torch import load_file, save_file
    torch.set_num_threads(args.threads)
    timm = timm_module()
    if args.arch == "gigapath":
        with torch.device("meta"):
            model = timm.create_model("vit_giant_patch14_dinov2", pretrained=False, **GIGAPATH_ARGS)
        model.load_state_dict(load_file(args.weights), assign=True)
    else:
        model = timm.create_model(args.arch, pretrained=False, num_classes=0)
        model.load_state_dict(load_file(args.weights))
    model.eval()
    x = load_file(args.input)["input"]
    # bf16: PyTorch's CPU autocast, the mixed precision its users would reach for.
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.precision == "bf16"):
        seconds, cpu = median_time(lambda: model(x), args.iterations)
        out = model(x)
    save_file({"embedding": out.float().contiguous()}, args.output)
    print(json.dumps({"ms_per_tile": seconds * 1000 / x.shape[0], "cpu_ms_per_tile": cpu * 1000 / x.shape[0],
                      "peak_rss_bytes": child_rss()}))


def run_ort(args):
    """Child: time ONNX Runtime on the exported graph; prints JSON, saves the embeddings."""
    import numpy as np
    import onnxruntime as ort
    from safetensors.numpy import load_file, save_file
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.weights, options, providers=["CPUExecutionProvider"])
    x = load_file(args.input)["input"]
    name = session.get_inputs()[0].name
    seconds, cpu = median_time(lambda: session.run(None, {name: x}), args.iterations)
    out = session.run(None, {name: x})[0]
    save_file({"embedding": np.ascontiguousarray(out)}, args.output)
    print(json.dumps({"ms_per_tile": seconds * 1000 / x.shape[0], "cpu_ms_per_tile": cpu * 1000 / x.shape[0],
                      "peak_rss_bytes": child_rss()}))


def child(engine, **kw):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", engine]
    for k, v in kw.items():
        cmd += ["--" + k.replace("_", "-"), str(v)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{engine} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def tessera(binary, model, input_path, output, threads, iterations, env=None, arch=None, precision="f32"):
    cmd = [binary, "benchmark", "--tile-encoder", model, "--input", input_path, "--threads", str(threads),
           "--iterations", str(iterations), "--precision", precision, "-o", output]
    if arch:
        cmd += ["--arch", arch]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"tessera failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def relative_error(a_path, b_path):
    from safetensors.numpy import load_file
    a, b = load_file(a_path)["embedding"], load_file(b_path)["embedding"]
    import numpy as np
    return float(np.abs(a - b).max() / np.abs(b).max())


# ---------------------------------------------------------------- setup

def make_vit_base(batch):
    """Random ViT-B/16 as an HF directory, its ONNX export, and a random batch."""
    import torch
    from safetensors.torch import save_file
    timm = timm_module()
    folder = os.path.join(OUT, "vit_base")
    os.makedirs(folder, exist_ok=True)
    weights = os.path.join(folder, "model.safetensors")
    onnx_path = os.path.join(OUT, "vit_base.onnx")
    input_path = os.path.join(OUT, f"input_b{batch}.safetensors")
    if not os.path.exists(onnx_path):
        torch.manual_seed(0)
        model = timm.create_model("vit_base_patch16_224", pretrained=False, num_classes=0).eval()
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, weights)
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump({"architecture": "vit_base_patch16_224", "num_classes": 0,
                       "model_args": {"img_size": 224, "patch_size": 16, "num_classes": 0}}, f)
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), onnx_path, input_names=["images"],
                          output_names=["embedding"], dynamic_axes={"images": {0: "batch"}}, opset_version=17,
                          dynamo=False)
    make_input(batch, input_path)
    return folder, weights, onnx_path, input_path


def make_input(batch, path):
    import torch
    from safetensors.torch import save_file
    torch.manual_seed(batch)
    save_file({"input": torch.randn(batch, 3, 224, 224)}, path)


# ---------------------------------------------------------------- report

def line(label, value):
    print(f"  {label:<46} {value}")


def verdict(ok):
    return "meets the goal" if ok else "misses the goal"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", default=os.path.join(ROOT, ".build/release/tessera"))
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--gigapath", help="random GigaPath teacher weights (.safetensors) or HF directory")
    p.add_argument("--gigapath-batches", default="1,2,4")
    p.add_argument("--without-coretype", action="store_true",
                   help="also run Tessera with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset")
    p.add_argument("--skip-vit-base", action="store_true")
    # child-process arguments
    p.add_argument("--child", choices=["torch", "ort"])
    p.add_argument("--arch")
    p.add_argument("--weights")
    p.add_argument("--input")
    p.add_argument("--output")
    p.add_argument("--precision", default="f32", choices=["f32", "bf16"])
    args = p.parse_args()

    if args.child == "torch":
        return run_torch(args)
    if args.child == "ort":
        return run_ort(args)

    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(args.tessera):
        sys.exit(f"{args.tessera} not found: run `swift build -c release` first")
    t, n = args.threads, args.iterations
    print(f"threads {t}, OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")

    if not args.skip_vit_base:
        folder, weights, onnx_path, input_path = make_vit_base(args.batch)
        out = {e: os.path.join(OUT, f"vit_base.{e}.safetensors") for e in ["tessera", "torch", "ort"]}
        ts = tessera(args.tessera, folder, input_path, out["tessera"], t, n)
        pt = child("torch", threads=t, arch="vit_base_patch16_224", weights=weights, input=input_path,
                   output=out["torch"], iterations=n)
        ox = child("ort", threads=t, weights=onnx_path, input=input_path, output=out["ort"], iterations=n)
        print(f"\n(a) ViT-B/16, 224 px, batch {args.batch} ({ts['gflop_per_tile']:.1f} GFLOP per tile), backend {ts['backend']}")
        line("ms/tile: Tessera, PyTorch, ONNX Runtime",
             f"{ts['ms_per_tile']:.1f}, {pt['ms_per_tile']:.1f}, {ox['ms_per_tile']:.1f}")
        line("CPU ms/tile (all threads): Tessera, PyTorch, ORT",
             f"{ts['cpu_ms_per_tile']:.1f}, {pt['cpu_ms_per_tile']:.1f}, {ox['cpu_ms_per_tile']:.1f}")
        line("Tessera GFLOP/s", f"{ts['gflops']:.1f}")
        line("sgemm GFLOP/s, same BLAS, same shapes", f"{ts['sgemm_gflops']:.1f}")
        r_ort = ts["ms_per_tile"] / ox["ms_per_tile"]
        r_gemm = ts["gflops"] / ts["sgemm_gflops"]
        line("Tessera / ONNX Runtime time (goal <= 0.9)", f"{r_ort:.2f}  {verdict(r_ort <= 0.9)}")
        line("Tessera / PyTorch time", f"{ts['ms_per_tile'] / pt['ms_per_tile']:.2f}")
        line("Tessera / sgemm rate (goal >= 0.6)", f"{r_gemm:.2f}  {verdict(r_gemm >= 0.6)}")
        line("max rel. error vs PyTorch (Tessera, ORT)",
             f"{relative_error(out['tessera'], out['torch']):.1e}, {relative_error(out['ort'], out['torch']):.1e}")
        if args.without_coretype:
            env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
            alt_out = os.path.join(OUT, "vit_base.tessera-nocore.safetensors")
            alt = tessera(args.tessera, folder, input_path, alt_out, t, n, env=env)
            line(f"without OPENBLAS_CORETYPE ({alt['backend']}) ms/tile",
                 f"{alt['ms_per_tile']:.1f}, {alt['gflops']:.1f} GFLOP/s, sgemm {alt['sgemm_gflops']:.1f}, "
                 f"rel. error {relative_error(alt_out, out['torch']):.1e}")

    if args.gigapath:
        weights = args.gigapath
        if os.path.isdir(weights):
            weights = os.path.join(weights, "model.safetensors")
        size = os.path.getsize(weights)
        print(f"\n(b) GigaPath teacher (random), {size / 1e9:.2f} GB of weights")
        for batch in [int(b) for b in args.gigapath_batches.split(",")]:
            input_path = os.path.join(OUT, f"gigapath_input_b{batch}.safetensors")
            make_input(batch, input_path)
            out = {e: os.path.join(OUT, f"gigapath_b{batch}.{e}.safetensors") for e in ["tessera", "torch"]}
            arch = None if os.path.isdir(args.gigapath) else "gigapath"
            ts = tessera(args.tessera, args.gigapath, input_path, out["tessera"], t, max(1, n // 2), arch=arch)
            pt = child("torch", threads=t, arch="gigapath", weights=weights, input=input_path,
                       output=out["torch"], iterations=max(1, n // 2))
            r_time = ts["ms_per_tile"] / pt["ms_per_tile"]
            r_rss = ts["peak_rss_bytes"] / size
            print(f"  batch {batch}:")
            line("ms/tile: Tessera, PyTorch", f"{ts['ms_per_tile']:.0f}, {pt['ms_per_tile']:.0f}")
            line("CPU ms/tile (all threads): Tessera, PyTorch", f"{ts['cpu_ms_per_tile']:.0f}, {pt['cpu_ms_per_tile']:.0f}")
            line("Tessera GFLOP/s, sgemm GFLOP/s", f"{ts['gflops']:.1f}, {ts['sgemm_gflops']:.1f}")
            line("Tessera / PyTorch time (goal <= 0.8)", f"{r_time:.2f}  {verdict(r_time <= 0.8)}")
            line("Tessera peak RSS / weights (goal <= 1.3)", f"{r_rss:.2f}  {verdict(r_rss <= 1.3)}")
            line("PyTorch peak RSS / weights", f"{pt['peak_rss_bytes'] / size:.2f}")
            line("max rel. error vs PyTorch", f"{relative_error(out['tessera'], out['torch']):.1e}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Edge speed: int8 tile encoders, Tessera vs ONNX Runtime, one machine, same threads, same batch.

For ViT-S/16 and ViT-B/16 (timm, random weights from torch.manual_seed(0)):
- ONNX Runtime f32: the model exported by torch.onnx.export;
- ONNX Runtime int8: that graph through onnxruntime.quantization.quantize_dynamic (QInt8
  weights; activations quantised at run time, the attention products left in f32 as
  quantize_dynamic leaves them);
- Tessera f32 and int8: `tessera benchmark --weights f32|int8` on the same weights (int8:
  converted in memory exactly as `tessera export --weights int8` stores a bundle).
Prints ms per tile (median wall clock over --iterations passes, and the best pass), CPU ms
per tile (all threads), the ratios, the smallest cosine over the batch of each engine's int8
embeddings to its own f32 ones, the machine's 2-thread sgemm rate (bench/sgemm_rate.py) and
its CPU flags. Goal: Tessera int8 <= 0.75x ONNX Runtime int8's time per tile.

    swift build -c release && python3 bench/edge.py [--threads 2] [--batch 8] [--iterations 10]
"""
import argparse
import json
import os
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
    input_path = os.path.join(OUT, f"input_b{batch}.safetensors")
    if not os.path.exists(input_path):
        torch.manual_seed(batch)
        save_file({"input": torch.randn(batch, 3, 224, 224)}, input_path)
    return folder, onnx_f32, onnx_int8, input_path


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


def ort(graph, input_path, output, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--graph", graph, "--input", input_path,
           "--output", output, "--threads", str(args.threads), "--iterations", str(args.iterations)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"onnxruntime failed on {graph}:\n{done.stderr}")
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
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--iterations", type=int, default=10)
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated: " + ", ".join(MODELS))
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--graph", help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--output", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return run_ort(args)
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
        out = {k: os.path.join(OUT, f"{arch}.{k}.safetensors") for k in ["ort_f32", "ort_int8", "ts_f32", "ts_int8"]}
        results = {
            "ORT f32": ort(onnx_f32, input_path, out["ort_f32"], args),
            "ORT int8": ort(onnx_int8, input_path, out["ort_int8"], args),
            "Tessera f32": tessera(folder, "f32", input_path, out["ts_f32"], args),
            "Tessera int8": tessera(folder, "int8", input_path, out["ts_int8"], args),
        }
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
        print(f"  Tessera f32 vs ORT f32 min cosine: {min_cosine(out['ts_f32'], out['ort_f32']):.6f}\n")


if __name__ == "__main__":
    main()

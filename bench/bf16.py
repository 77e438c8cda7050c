#!/usr/bin/env python3
"""bf16 tile encoders (issue 20): Tessera `--precision bf16` against Tessera f32, PyTorch's CPU
autocast and OpenVINO bf16, on one machine, the same threads, each engine in its own process.

(a) ViT-B/16, 224 px, random weights (bench/tile_encoder.py makes them), batch 8 of noise:
    Tessera f32 and bf16; PyTorch f32 and bf16 autocast (torch.autocast("cpu", torch.bfloat16));
    OpenVINO on the ONNX graph with INFERENCE_PRECISION_HINT bf16, the faster of its LATENCY
    hint (the batch as one request) and its THROUGHPUT hint (the batch split over its streams).
(b) --gigapath FOLDER: the GigaPath-size tile encoder (fixtures/make_gigapath.py), batch 4:
    Tessera f32 and bf16, PyTorch bf16 autocast.
Accuracy, on real tissue (the demo slide's 14 tiles, `tessera preprocess`): each bf16 engine's
smallest cosine to the f32 embeddings (PyTorch f32, which Tessera f32 matches to ~1e-6).

Goals printed beside the ratios: GigaPath-size bf16 <= 0.55x Tessera f32 and <= 0.85x PyTorch
autocast; ViT-B bf16 <= 1.0x OpenVINO bf16; every bf16 cosine >= PyTorch autocast's, >= 0.9999.
The machine (CPU flags, sgemm rate, load average) is printed before and after: time only on a
quiet machine.

    python3 bench/bf16.py --threads 2
    python3 bench/bf16.py --threads 2 --gigapath /tmp/gigapath-model
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
sys.path.insert(0, HERE)
import tile_encoder as te  # noqa: E402
from _machine import machine, show_machine  # noqa: E402


def run_openvino(args):
    """Child: OpenVINO bf16 on the ONNX graph, the faster of its two hints; prints JSON."""
    import numpy as np
    import openvino as ov
    from safetensors.numpy import load_file, save_file
    core = ov.Core()
    model = core.read_model(args.weights)
    x = load_file(args.input)["input"]
    best = None
    for hint in ["LATENCY", "THROUGHPUT"]:
        compiled = core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "bf16", "PERFORMANCE_HINT": hint,
                                                     "INFERENCE_NUM_THREADS": args.threads})
        streams = max(1, min(len(x), int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))) \
            if hint == "THROUGHPUT" else 1
        chunks = np.array_split(x, streams)
        queue = ov.AsyncInferQueue(compiled, streams)
        results = [None] * streams
        queue.set_callback(lambda request, i: results.__setitem__(i, request.get_output_tensor(0).data.copy()))

        def forward():
            for i, chunk in enumerate(chunks):
                queue.start_async({0: chunk}, userdata=i)
            queue.wait_all()
        seconds, cpu = te.median_time(forward, args.iterations)
        forward()
        run = {"hint": hint, "streams": streams, "ms_per_tile": seconds * 1000 / len(x),
               "cpu_ms_per_tile": cpu * 1000 / len(x), "embedding": np.concatenate(results)}
        if best is None or run["ms_per_tile"] < best["ms_per_tile"]:
            best = run
    save_file({"embedding": np.ascontiguousarray(best.pop("embedding"), dtype=np.float32)}, args.output)
    best["peak_rss_bytes"] = te.child_rss()
    print(json.dumps(best))


def child(engine, **kw):
    script = os.path.abspath(__file__) if engine == "openvino" else os.path.join(HERE, "tile_encoder.py")
    cmd = [sys.executable, script, "--child", engine] + [a for k, v in kw.items() for a in ("--" + k.replace("_", "-"), str(v))]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{engine} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def min_cosine(a_path, b_path):
    import numpy as np
    from safetensors.numpy import load_file
    a, b = load_file(a_path)["embedding"].astype(np.float64), load_file(b_path)["embedding"].astype(np.float64)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    return float(cos.min())


def tissue_input(binary):
    """The demo slide's tiles, preprocessed by Tessera as prov-gigapath does, as one batch."""
    import numpy as np
    from safetensors.numpy import load_file, save_file
    folder = os.path.join(ROOT, "fixtures/slide_folder/demo_slide")
    tiles = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".png"))
    pre, path = os.path.join(OUT, "tissue_tiles.safetensors"), os.path.join(OUT, "tissue_input.safetensors")
    subprocess.run([binary, "preprocess", *tiles, "-o", pre], check=True, capture_output=True)
    tensors = load_file(pre)
    save_file({"input": np.stack([tensors[os.path.basename(t)] for t in tiles])}, path)
    return path


def line(label, value):
    print(f"  {label:<58} {value}")


def verdict(ok):
    return "meets the goal" if ok else "misses the goal"


def engines(args, label, model_dir, weights, onnx, arch, input_path, iterations, with_openvino, with_torch_f32):
    """Every engine on one input; returns their reports and output paths."""
    runs, out = {}, {}
    for name in ["tessera-f32", "tessera-bf16", "torch-f32", "torch-bf16", "openvino-bf16"]:
        out[name] = os.path.join(OUT, f"{label}.{name}.safetensors")
    t = args.threads
    runs["tessera-f32"] = te.tessera(args.tessera, model_dir, input_path, out["tessera-f32"], t, iterations,
                                     arch=None if os.path.isdir(model_dir) else arch)
    runs["tessera-bf16"] = te.tessera(args.tessera, model_dir, input_path, out["tessera-bf16"], t, iterations,
                                      arch=None if os.path.isdir(model_dir) else arch, precision="bf16")
    if with_torch_f32:
        runs["torch-f32"] = child("torch", threads=t, arch=arch, weights=weights, input=input_path,
                                  output=out["torch-f32"], iterations=iterations)
    runs["torch-bf16"] = child("torch", threads=t, arch=arch, weights=weights, input=input_path,
                               output=out["torch-bf16"], iterations=iterations, precision="bf16")
    if with_openvino:
        runs["openvino-bf16"] = child("openvino", threads=t, weights=onnx, input=input_path,
                                      output=out["openvino-bf16"], iterations=iterations)
    return runs, out


def accuracy(args, label, model_dir, weights, onnx, arch, with_openvino):
    """Smallest cosine to f32 of every bf16 engine on the tissue tiles."""
    runs, out = engines(args, label + "-tissue", model_dir, weights, onnx, arch, tissue_input(args.tessera), 1,
                        with_openvino, True)
    reference = out["torch-f32"]
    line("tissue tiles: Tessera f32 smallest cosine to PyTorch f32", f"{min_cosine(out['tessera-f32'], reference):.7f}")
    names = [n for n in ["tessera-bf16", "torch-bf16", "openvino-bf16"] if n in runs]
    cosines = {n: min_cosine(out[n], reference) for n in names}
    line("tissue tiles: smallest cosine to f32 (" + ", ".join(names) + ")", ", ".join(f"{cosines[n]:.6f}" for n in names))
    ok = cosines["tessera-bf16"] >= cosines["torch-bf16"] and cosines["tessera-bf16"] >= 0.9999
    line("Tessera bf16 cosine >= autocast's and >= 0.9999", verdict(ok))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", default=os.path.join(ROOT, ".build/release/tessera"))
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--gigapath", help="the GigaPath-size tile encoder's HF folder (fixtures/make_gigapath.py)")
    p.add_argument("--skip-vit-base", action="store_true")
    p.add_argument("--child", choices=["openvino"])
    p.add_argument("--weights")
    p.add_argument("--input")
    p.add_argument("--output")
    args = p.parse_args()
    if args.child == "openvino":
        return run_openvino(args)

    os.makedirs(OUT, exist_ok=True)
    if not os.path.exists(args.tessera):
        sys.exit(f"{args.tessera} not found: run `swift build -c release` first")
    show_machine(machine(args.threads), "start")
    print(f"threads {args.threads}")

    if not args.skip_vit_base:
        folder, weights, onnx, input_path = te.make_vit_base(8)
        runs, _ = engines(args, "vit_base", folder, weights, onnx, "vit_base_patch16_224", input_path,
                          args.iterations, True, True)
        ms = {n: r["ms_per_tile"] for n, r in runs.items()}
        print(f"\n(a) ViT-B/16, 224 px, batch 8, kernel {runs['tessera-bf16']['kernel']}")
        line("ms/tile: Tessera f32, bf16", f"{ms['tessera-f32']:.1f}, {ms['tessera-bf16']:.1f}")
        line("ms/tile: PyTorch f32, autocast bf16", f"{ms['torch-f32']:.1f}, {ms['torch-bf16']:.1f}")
        line(f"ms/tile: OpenVINO bf16 ({runs['openvino-bf16']['hint']}, {runs['openvino-bf16']['streams']} streams)",
             f"{ms['openvino-bf16']:.1f}")
        r_ov = ms["tessera-bf16"] / ms["openvino-bf16"]
        line("Tessera bf16 / Tessera f32", f"{ms['tessera-bf16'] / ms['tessera-f32']:.2f}")
        line("Tessera bf16 / PyTorch autocast (goal <= 0.7)",
             f"{ms['tessera-bf16'] / ms['torch-bf16']:.2f}  {verdict(ms['tessera-bf16'] / ms['torch-bf16'] <= 0.7)}")
        line("Tessera bf16 / OpenVINO bf16 (goal <= 1.0)", f"{r_ov:.2f}  {verdict(r_ov <= 1.0)}")
        accuracy(args, "vit_base", folder, weights, onnx, "vit_base_patch16_224", True)

    if args.gigapath:
        weights = os.path.join(args.gigapath, "model.safetensors")
        input_path = os.path.join(OUT, "gigapath_input_b4.safetensors")
        te.make_input(4, input_path)
        iterations = max(1, args.iterations // 2)
        runs, _ = engines(args, "gigapath", args.gigapath, weights, None, "gigapath", input_path, iterations, False, False)
        ms = {n: r["ms_per_tile"] for n, r in runs.items()}
        print(f"\n(b) GigaPath-size tile encoder (random), batch 4, {os.path.getsize(weights) / 1e9:.2f} GB of f32 weights")
        line("ms/tile: Tessera f32, bf16; PyTorch autocast",
             f"{ms['tessera-f32']:.0f}, {ms['tessera-bf16']:.0f}; {ms['torch-bf16']:.0f}")
        r_f32, r_pt = ms["tessera-bf16"] / ms["tessera-f32"], ms["tessera-bf16"] / ms["torch-bf16"]
        line("Tessera bf16 / Tessera f32 (goal <= 0.55)", f"{r_f32:.2f}  {verdict(r_f32 <= 0.55)}")
        line("Tessera bf16 / PyTorch autocast (goal <= 0.85)", f"{r_pt:.2f}  {verdict(r_pt <= 0.85)}")
        line("peak RSS GB: Tessera f32, bf16; PyTorch autocast",
             f"{runs['tessera-f32']['peak_rss_bytes'] / 1e9:.2f}, {runs['tessera-bf16']['peak_rss_bytes'] / 1e9:.2f}; "
             f"{runs['torch-bf16']['peak_rss_bytes'] / 1e9:.2f}")
    show_machine(machine(args.threads), "end")


if __name__ == "__main__":
    main()

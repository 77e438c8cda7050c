#!/usr/bin/env python3
"""One training step of a timm ViT (default ViT-B/16, batch 4): forward + backward + AdamW.

Tessera (the release-built `tessera-train-bench`) against PyTorch + timm with the same
thread count, same loss (mse(last block output) + mse(class embedding), the loss of the
fixtures' grad_README.txt), same optimizer (AdamW, weight-decay groups by timm's rule).
Each side runs in its own process so that peak resident memory is its own.

    swift build -c release --product tessera-train-bench
    python3 bench/train_step.py [--arch vit_base_patch16_224] [--batch 4] [--steps 3] [--threads 2]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time


def torch_side(arch, batch, steps, threads):
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import _torchvision_stub
    _torchvision_stub.install_if_broken()
    import timm
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = timm.create_model(arch, num_classes=0)
    model.train()
    named = list(model.named_parameters())
    decays = {n: p.ndim > 1 and n not in ("pos_embed", "cls_token") for n, p in named}
    decay = [p for n, p in named if decays[n]]
    no_decay = [p for n, p in named if not decays[n]]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4)
    cfg = model.pretrained_cfg.get("input_size", (3, 224, 224))
    images = torch.randn(batch, *cfg)
    tokens = model.patch_embed.num_patches + model.num_prefix_tokens
    target_hidden = torch.randn(batch, tokens, model.embed_dim)
    target_embedding = torch.randn(batch, model.embed_dim)
    times, cpu = [], []
    for _ in range(steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        x = model.blocks(model._pos_embed(model.patch_embed(images)))  # the last block's output, before norm
        embedding = model.norm(x)[:, 0]
        loss = torch.nn.functional.mse_loss(x, target_hidden) + torch.nn.functional.mse_loss(embedding, target_embedding)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    s = sorted(times)
    print(json.dumps({"impl": "pytorch", "architecture": arch, "batch": batch, "threads": threads,
                      "torch": torch.__version__, "timm": timm.__version__, "step_s": times,
                      "step_cpu_s": cpu, "median_s": s[len(s) // 2], "peak_rss_mb": peak, "loss": loss.item()}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="vit_base_patch16_224")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--recompute", action="store_true", help="Tessera with per-block activation checkpointing")
    ap.add_argument("--torch-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_only:
        torch_side(args.arch, args.batch, args.steps, args.threads)
        return
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exe = os.path.join(root, ".build", "release", "tessera-train-bench")
    if not os.path.exists(exe):
        sys.exit("build it first: swift build -c release --product tessera-train-bench")
    cmd = [exe, args.arch, str(args.batch), str(args.steps), str(args.threads)] + (["--recompute"] if args.recompute else [])
    results = []
    for argv in (cmd, [sys.executable, os.path.abspath(__file__), "--torch-only", "--arch", args.arch,
                       "--batch", str(args.batch), "--steps", str(args.steps), "--threads", str(args.threads)]):
        before = os.times()
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        after = os.times()
        r = json.loads(out)
        r["process_cpu_s"] = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        results.append(r)
        print(json.dumps(r))
    t, p = results
    print(f"step (median of {args.steps}): tessera {t['median_s']:.3f} s, pytorch {p['median_s']:.3f} s "
          f"-> {t['median_s'] / p['median_s']:.2f}x pytorch's time "
          f"(CPU seconds per step, median: tessera {sorted(t['step_cpu_s'])[len(t['step_cpu_s']) // 2]:.2f}, "
          f"pytorch {sorted(p['step_cpu_s'])[len(p['step_cpu_s']) // 2]:.2f}; load average {os.getloadavg()[0]:.1f}); "
          f"peak RSS tessera {t['peak_rss_mb']:.0f} MB, pytorch {p['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()

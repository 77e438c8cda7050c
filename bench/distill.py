#!/usr/bin/env python3
"""Distillation benchmark: `tessera distill` against the same recipe in PyTorch, in one run, with the
same data, the same starting weights, the same settings and the same threads.

The recipe (docs/models.md §5): loss = beta * mse(A(h_s), h_t) + (1 - beta) * mse(s_s, s_t), AdamW
lr 1e-3 (Tessera's cosine schedule) wd 0.05 with timm's decay groups, one optimizer step per slide.
PyTorch side: a timm student (random init), the adaptor Linear(D_s -> D_t) and the LongNetViT slide
student of bench/_longnet.py (checked against fixtures/slide_encoder before any timing), plain
autograd over the whole slide. Tessera side: `tessera distill` (gradient caching, --micro-batch).
Both read the same PNG tiles and the same teacher cache every step; Tessera starts from the
PyTorch student's weights (--init), so their losses must agree at step 1.

Teacher: a random GigaPath-width tile teacher (vit_giant_patch14_dinov2 at 224 px, patch 16:
width 1536, 24 heads, SwiGLU, LayerScale, 197 tokens) with --teacher-depth of GigaPath's 40
blocks (or --teacher FOLDER, e.g. made by fixtures/make_gigapath.py) and a GigaPath-size random
slide teacher (12 layers, width 768, 16 heads). The targets have GigaPath's shapes whatever the
depth; the teacher cache is made by `tessera distill` itself (formats/teacher-cache.md).

(a) ViT-S/16 student, 2-layer slide student, slides of 32 tiles: seconds per step and peak RSS.
(b) ViT-B/16 student, slides of 32, 128, 512 tiles: peak RSS and step time; PyTorch in a child
    whose address space is capped (RLIMIT_AS) so that running out of memory cannot hurt the machine.
(c) teacher cache throughput of `tessera distill` against `tessera embed` on the same tiles.
(d) data parallel: (a)'s recipe with 2 slides per step: `mpirun -np 2` of one thread each against
    one process of one thread (the parallel efficiency) and one process of two threads (what the
    same cores give without MPI); rank 0's gradient exchange (seconds, bytes) per step, from
    metrics.jsonl. Needs Open MPI (`make test` installs it).

    swift build -c release --product tessera
    python3 bench/distill.py [--threads 2] [--only a,b,c]
    python3 bench/distill.py --learning-check
"""
import argparse
import json
import math
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import _tiles  # noqa: E402
from _machine import machine, show_machine  # noqa: E402

GIGAPATH_ARGS = {"img_size": 224, "patch_size": 16, "embed_dim": 1536, "num_heads": 24, "init_values": 1e-05,
                 "mlp_ratio": 5.33334, "in_chans": 3, "num_classes": 0}
SLIDE_TEACHER = {"in_chans": 1536, "embed_dim": 768, "depth": 12, "num_heads": 16}
NORMALIZE = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
BETA, LR, WEIGHT_DECAY = 0.5, 1e-3, 0.05


# ---------------------------------------------------------------- child processes (torch lives here only)

def timm_module():
    import _torchvision_stub
    _torchvision_stub.install_if_broken()
    import timm
    return timm


def child_verify(a):
    """The torch slide encoder against the reference's outputs (fixtures/slide_encoder, 4 heads) and
    its gradient (grad_expected.safetensors); prints the worst errors."""
    import torch
    from safetensors.torch import load_file
    from _longnet import LongNetViT
    torch.set_num_threads(a["threads"])
    folder = os.path.join(ROOT, "fixtures", "slide_encoder")
    model = LongNetViT.from_state_dict(load_file(os.path.join(folder, "slide_encoder.safetensors")), heads=4)
    expected = load_file(os.path.join(folder, "expected.safetensors"))
    worst = {}
    for case in ("n1", "n9", "n1100"):
        with torch.no_grad():
            out = model(expected[case + ".tile_embeds"], expected[case + ".coords"])
        worst[case] = max(float((out[k] - expected[f"{case}.{k}"]).abs().max())
                          for k in out if f"{case}.{k}" in expected)
    grads = load_file(os.path.join(folder, "grad_expected.safetensors"))
    embeds = expected["n1100.tile_embeds"].clone().requires_grad_(True)
    out = model(embeds, expected["n1100.coords"])
    loss = sum((out[f"layer_{i}_embed"] * grads[f"r_layer_{i}"]).sum() for i in range(len(model.encoder.layers) + 1))
    loss = loss + (out["encoder_out_embed"] * grads["r_encoder_out"]).sum() + (out["global_pool_embed"] * grads["r_global_pool"]).sum()
    loss.backward()
    pairs = [(n, p.grad, grads["grad." + n]) for n, p in model.named_parameters()]
    errors = {n: float((g - e).abs().max() / e.abs().max()) for n, g, e in pairs + [("tile_embeds", embeds.grad, grads["grad.tile_embeds"])]}
    worst["gradient"] = max(errors.values())
    worst["gradient_tensor"] = max(errors, key=errors.get)
    print(json.dumps({"errors": worst, "torch": torch.__version__, "timm": timm_module().__version__}))


def child_teacher(a):
    """The random teacher: tile encoder (GigaPath width, `depth` blocks) as a timm folder, slide
    encoder (GigaPath size) as a folder with its config."""
    import torch
    from safetensors.torch import save_file
    from _longnet import BRANCHES, LongNetViT
    torch.manual_seed(0)
    tile_folder, slide_folder = a["tile"], a["slide"]
    if tile_folder:
        args = dict(GIGAPATH_ARGS, depth=a["depth"])
        model = timm_module().create_model("vit_giant_patch14_dinov2", pretrained=False, **args)
        os.makedirs(tile_folder, exist_ok=True)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(tile_folder, "model.safetensors"))
        config = {"architecture": "vit_giant_patch14_dinov2", "num_classes": 0, "num_features": 1536, "global_pool": "token",
                  "model_args": args, "pretrained_cfg": {"mean": list(NORMALIZE[0]), "std": list(NORMALIZE[1]),
                                                         "input_size": [3, 224, 224], "interpolation": "bicubic", "crop_pct": 0.875}}
        json.dump(config, open(os.path.join(tile_folder, "config.json"), "w"), indent=2)
    s = SLIDE_TEACHER
    slide = LongNetViT(s["in_chans"], s["embed_dim"], s["depth"], s["num_heads"]).init_fresh(torch.Generator().manual_seed(1))
    os.makedirs(slide_folder, exist_ok=True)
    save_file({k: v.contiguous() for k, v in slide.state_dict().items()}, os.path.join(slide_folder, "slide_encoder.safetensors"))
    json.dump(dict(s, architecture="gigapath_slide_enc", mlp_ratio=4, slide_ngrids=1000, tile_size=256,
                   segment_length=[b[0] for b in BRANCHES], dilated_ratio=[b[1] for b in BRANCHES]),
              open(os.path.join(slide_folder, "config.json"), "w"), indent=2)
    print(json.dumps({"tile": tile_folder, "slide": slide_folder}))


def student_models(arch, slide_depth, slide_heads, teacher_width, slide_width):
    """The three trained models: timm student, adaptor, LongNetViT slide student."""
    from torch import nn
    from _longnet import LongNetViT
    student = timm_module().create_model(arch, pretrained=False, num_classes=0)
    adaptor = nn.Linear(student.embed_dim, teacher_width)
    slide = LongNetViT(student.embed_dim, slide_width, slide_depth, slide_heads)
    return student, adaptor, slide


def child_init(a):
    """The starting weights of both engines (timm's init for the student; trunc_normal(0.02)
    Linear weights, zero biases for the adaptor and the slide student), in --init's layout."""
    import torch
    from safetensors.torch import save_file
    torch.manual_seed(a["seed"])
    student, adaptor, slide = student_models(a["arch"], a["slide_depth"], a["slide_heads"], a["teacher_width"], a["slide_width"])
    torch.nn.init.trunc_normal_(adaptor.weight, std=0.02)
    torch.nn.init.zeros_(adaptor.bias)
    slide.init_fresh(torch.Generator().manual_seed(a["seed"] + 1))
    state = {}
    for prefix, model in (("student", student), ("adaptor", adaptor), ("slide_student", slide)):
        state.update({f"{prefix}.{k}": v.contiguous() for k, v in model.state_dict().items()})
    save_file(state, a["out"])
    print(json.dumps({"init": a["out"], "tensors": len(state)}))


def read_cache(path):
    """A teacher cache file (formats/teacher-cache.md; zstd frame when .zst): tensors and metadata."""
    from safetensors.torch import load
    data = subprocess.run(["zstd", "-dcq", path], check=True, capture_output=True).stdout if path.endswith(".zst") \
        else open(path, "rb").read()
    header = json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])
    return load(data), header.get("__metadata__", {})


def load_tiles(folder, names):
    """The tiles as prov-gigapath preprocesses them: Resize(256, bicubic), CenterCrop(224), ImageNet
    normalisation (docs/models.md §1): [N, 3, 224, 224]."""
    import numpy as np
    import torch
    from PIL import Image
    mean, std = (np.array(v, dtype=np.float32)[:, None, None] for v in NORMALIZE)
    out = np.empty((len(names), 3, 224, 224), dtype=np.float32)
    for i, name in enumerate(names):
        image = Image.open(os.path.join(folder, name)).convert("RGB")
        if min(image.size) != 256:
            w, h = image.size
            image = image.resize((256 * w // min(w, h), 256 * h // min(w, h)), Image.BICUBIC)
        left, top = (int(round((s - 224) / 2.0)) for s in image.size)
        crop = np.asarray(image.crop((left, top, left + 224, top + 224)), dtype=np.float32).transpose(2, 0, 1) / 255
        out[i] = (crop - mean) / std
    return torch.from_numpy(out)


def vm_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def child_torch(a):
    """PyTorch steps of the recipe, one slide per step in Tessera's order; a JSON line per step,
    then a summary (or {"oom": ...} when the memory cap is hit)."""
    import torch
    import torch.nn.functional as F
    from safetensors.torch import load_file
    torch.set_num_threads(a["threads"])
    torch.set_num_interop_threads(1)
    student, adaptor, slide = student_models(a["arch"], a["slide_depth"], a["slide_heads"], a["teacher_width"], a["slide_width"])
    init = load_file(a["init"])
    for prefix, model in (("student", student), ("adaptor", adaptor), ("slide_student", slide)):
        model.load_state_dict({k[len(prefix) + 1:]: v for k, v in init.items() if k.startswith(prefix + ".")})
    del init
    student.train()
    named = [(f"{p}.{n}", t) for p, m in (("student", student), ("adaptor", adaptor), ("slide_student", slide))
             for n, t in m.named_parameters()]
    decays = {n: t.ndim >= 2 and n.split(".", 1)[1] not in ("pos_embed", "cls_token") for n, t in named}
    optimizer = torch.optim.AdamW([{"params": [t for n, t in named if decays[n]], "weight_decay": WEIGHT_DECAY},
                                   {"params": [t for n, t in named if not decays[n]], "weight_decay": 0.0}],
                                  lr=LR, betas=(0.9, 0.999), eps=1e-8)
    baseline_mb = vm_kb("VmRSS") / 1024
    if a.get("cap_mb"):
        # The cap is on growth from here: the address space torch has mapped so far (libraries,
        # arenas) is not memory the step uses.
        limit = (vm_kb("VmSize") // 1024 + a["cap_mb"]) << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
    steps, total = [], a["total_steps"]
    try:
        for step, (folder, cache) in enumerate(a["order"]):
            start, start_cpu = time.perf_counter(), time.process_time()
            targets, meta = read_cache(cache)
            names = json.loads(meta["tile_names"])
            images = load_tiles(folder, names)
            for group in optimizer.param_groups:  # Tessera's schedule: cosine from lr to 0 over the run
                group["lr"] = LR * (1 + math.cos(math.pi * step / total)) / 2
            optimizer.zero_grad(set_to_none=True)
            # bf16: CPU autocast over the forward (the backward follows its dtypes), as the seed's recipe.
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.get("autocast", False)):
                x = student.norm_pre(student.patch_drop(student._pos_embed(student.patch_embed(images))))
                hidden = student.blocks(x)                          # h_s: the last block's output, before the norm
                embeds = student.norm(hidden)[:, 0]                 # e_s: the CLS embedding
                loss_hidden = F.mse_loss(adaptor(hidden).float(), targets["hidden"].float())
                slide_embed = slide(embeds, targets["coords"])["global_pool_embed"]
                loss_slide = F.mse_loss(slide_embed.float(), targets["slide_embed"])
                loss = BETA * loss_hidden + (1 - BETA) * loss_slide
            loss.backward()
            optimizer.step()
            record = {"step": step + 1, "seconds": time.perf_counter() - start, "cpu_s": time.process_time() - start_cpu,
                      "loss": loss.item(), "loss_hidden": loss_hidden.item(), "loss_slide": loss_slide.item(),
                      "tiles": len(names), "rss_mb": vm_kb("VmRSS") / 1024}
            steps.append(record)
            print(json.dumps(record), flush=True)
            del loss, loss_hidden, loss_slide, slide_embed, embeds, hidden, x, images, targets
    except (RuntimeError, MemoryError) as error:
        if "memory" not in str(error).lower() and not isinstance(error, MemoryError):
            raise
        print(json.dumps({"oom": True, "error": (str(error).splitlines() or [type(error).__name__])[0][:200], "steps": steps,
                          "baseline_mb": baseline_mb, "peak_rss_mb": vm_kb("VmHWM") / 1024}), flush=True)
        sys.exit(3)
    print(json.dumps({"steps": steps, "baseline_mb": baseline_mb, "peak_rss_mb": vm_kb("VmHWM") / 1024,
                      "parameters": sum(t.numel() for _, t in named)}), flush=True)


CHILDREN = {"verify": child_verify, "teacher": child_teacher, "init": child_init, "torch": child_torch}


# ---------------------------------------------------------------- measuring a process

def proc_cpu_s(pid):
    """utime + stime of a live process, in seconds."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError):
        return None


def proc_rss_mb(pid):
    """(RssAnon, RssFile, VmHWM) of a live process in MB: memory it allocated, mapped files (weights,
    teacher cache) whose pages the kernel can drop, and its peak resident set so far. VmHWM belongs
    to the program's own address space: wait4's ru_maxrss starts from this (torch-loaded) script's
    own peak, because subprocess launches through vfork."""
    values = {}
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(("RssAnon:", "RssFile:", "VmHWM:")):
                values[line.split(":")[0]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return values.get("RssAnon", 0), values.get("RssFile", 0), values.get("VmHWM", 0)


def count_steps(metrics):
    try:
        return sum('"loss"' in line for line in open(metrics))
    except OSError:
        return 0


def run_measured(cmd, log, limit_s=None, metrics=None, env=None):
    """Runs `cmd` to its end (or SIGTERM after `limit_s`), its output in LOG.out / LOG.err; wall and
    CPU seconds, peak RSS (its VmHWM; and the sampled peaks of its anonymous and file-backed
    parts), its (wall, CPU) seconds every 0.2 s, and when each new line of `metrics` appeared."""
    with open(log + ".out", "w") as out, open(log + ".err", "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        marks, samples, seen, stopped, anon, files, hwm = [], [], 0, False, 0, 0, 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            anon, files, hwm = (max(x, y) for x, y in zip((anon, files, hwm), proc_rss_mb(process.pid)))
            cpu = proc_cpu_s(process.pid)
            if cpu is not None:
                samples.append((time.perf_counter() - start, cpu))
            if metrics and count_steps(metrics) > seen:
                seen = count_steps(metrics)
                marks.append((seen, cpu, time.perf_counter() - start))
            if limit_s and not stopped and time.perf_counter() - start > limit_s:
                process.send_signal(signal.SIGTERM)
                stopped = True
            time.sleep(0.2)
        process.returncode = os.waitstatus_to_exitcode(status)
    return {"rc": process.returncode, "wall_s": time.perf_counter() - start, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": hwm, "peak_anon_mb": anon, "peak_file_mb": files, "stopped": stopped, "marks": marks,
            "samples": samples,
            "stdout": open(log + ".out").read(), "stderr": open(log + ".err").read()}


def child(name, log, limit_s=None, **a):
    """A child of this script; its last stdout line is JSON."""
    r = run_measured([sys.executable, os.path.abspath(__file__), "--child", name, json.dumps(a)], log, limit_s=limit_s)
    lines = [json.loads(line) for line in r["stdout"].splitlines() if line.startswith("{")]
    r["json"] = lines[-1] if lines else None
    r["lines"] = lines
    if r["json"] is None and name != "torch":
        sys.exit(f"child {name} failed (rc {r['rc']}):\n{r['stderr'][-3000:]}")
    return r


# ---------------------------------------------------------------- the Tessera side

class Bench:
    def __init__(self, args):
        self.args = args
        self.out = os.path.abspath(args.out)
        self.exe = os.path.abspath(args.tessera)
        self.threads = args.threads
        self.rows = []  # the summary table

    def path(self, *parts):
        return os.path.join(self.out, *parts)

    def fresh(self, *parts):
        """An empty place for a new folder: its parent made, any earlier one removed."""
        p = self.path(*parts)
        shutil.rmtree(p, ignore_errors=True)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def distill(self, name, data, cache, extra, limit_s=None, threads=None, launcher=()):
        """`tessera distill` (after `launcher`, e.g. mpirun's words) into a fresh run folder; the run,
        its metrics lines and step times."""
        run = self.fresh("runs", name)
        os.makedirs(self.path("logs"), exist_ok=True)
        cmd = list(launcher) + [self.exe, "distill", "--teacher", self.teacher, "--teacher-slide", self.teacher_slide,
                                "--data", data, "--cache", cache, "--threads", str(threads or self.threads),
                                "--checkpoint-every", "1000000", "-o", run] + extra
        r = run_measured(cmd, self.path("logs", name), limit_s=limit_s, metrics=os.path.join(run, "metrics.jsonl"))
        r["cmd"] = cmd
        try:
            r["metrics"] = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl")) if '"loss"' in line]
        except OSError:
            r["metrics"] = []
        r["step_s"] = [m["tiles"] / m["tiles_per_s"] for m in r["metrics"]]
        # CPU of each step: the process CPU from the step's start (its metrics line's time less
        # its seconds) to its metrics line, both read from the 0.2 s samples.
        ends = {n: (c, w) for n, c, w in r["marks"] if c is not None}
        r["step_cpu_s"] = []
        for k, seconds in enumerate(r["step_s"], start=1):
            before = [c for w, c in r["samples"] if k in ends and w <= ends[k][1] - seconds]
            r["step_cpu_s"].append(ends[k][0] - before[-1] if before else float("nan"))
        if r["rc"] != 0 and not r["stopped"]:
            print(f"  tessera distill {name} failed (rc {r['rc']}): {r['stderr'].strip().splitlines()[-1:]}")
        return r

    def fill_cache(self, name, data):
        """Fills a teacher cache with `tessera distill` (a tiny student, one step of one tile: the
        cache stage is the same whatever the student); returns the run and the stage's seconds
        (process start to the last cache file written, models loading and hashing included)."""
        cache = self.fresh("cache", name)
        started = time.time()
        r = self.distill(f"cache-{name}", data, cache,
                         ["--student-config", os.path.join(ROOT, "fixtures", "tile_student", "config.json"),
                          "--slide-depth", "1", "--steps", "1", "--tiles-per-step", "1"])
        if r["rc"] != 0:
            sys.exit(f"the teacher cache of {name} failed:\n{r['stderr'][-3000:]}")
        files = [os.path.join(cache, f) for f in os.listdir(cache) if ".safetensors" in f]
        r["cache_stage_s"] = max(os.path.getmtime(f) for f in files) - started
        r["cache_bytes"] = sum(os.path.getsize(f) for f in files)
        r["cache_files"] = sorted(os.path.basename(f) for f in files)
        r["progress_rate"] = progress_rate(r["stderr"], "teacher cache")
        return cache, r

    def cache_file(self, cache, slide):
        """The cache file of `slide` (named after the slide and a hash of its source, formats/teacher-cache.md;
        .zst when zstd paid)."""
        for name in sorted(os.listdir(cache)):
            stem = name.split(".")[0]
            if stem == slide or stem.rsplit("-", 1)[0] == slide:
                return os.path.join(cache, name)
        sys.exit(f"{cache}: no cache file for {slide}")


def progress_rate(stderr, label):
    """The rate of the last progress line `label: a/b unit, R unit/s` (each redraw starts with \\r)."""
    for part in reversed(stderr.replace("\r", "\n").splitlines()):
        if part.startswith(label + ":") and "/s" in part:
            try:
                return float(part.split(", ")[1].split()[0])
            except (IndexError, ValueError):
                return None
    return None


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if s else float("nan")


def fmt(x, digits=2):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


# ---------------------------------------------------------------- the benchmark

def prepare(b, keys):
    """The random teacher, the slides ("a": --slides-a slides of 32 tiles; N: one slide of N tiles)
    and their teacher caches."""
    a = b.args
    if a.teacher:
        b.teacher, tile_folder = os.path.abspath(a.teacher), None
        teacher_label = f"{a.teacher} (given)"
    else:
        b.teacher = tile_folder = b.path("teacher", f"tile_depth{a.teacher_depth}")
        teacher_label = f"random GigaPath-width tile teacher, {a.teacher_depth} of GigaPath's 40 blocks"
    b.teacher_slide = b.path("teacher", "slide")
    if not (os.path.exists(os.path.join(b.teacher_slide, "slide_encoder.safetensors"))
            and (tile_folder is None or os.path.exists(os.path.join(tile_folder, "model.safetensors")))):
        child("teacher", b.path("logs", "teacher"), tile=tile_folder, slide=b.teacher_slide, depth=a.teacher_depth)
    size = sum(os.path.getsize(os.path.join(b.teacher, f)) for f in os.listdir(b.teacher) if f.endswith(".safetensors"))
    print(f"teacher: {teacher_label} ({size / 1e6:.0f} MB: h_t [N, 197, 1536], e_t [N, 1536]) + random GigaPath-size "
          f"slide teacher (12 layers, 768 wide, 16 heads: s_t [768]); targets cached by `tessera distill` itself", flush=True)
    b.data = {key: _tiles.make_dataset(b.path("data", "a32"), a.slides_a, 32, 10, ROOT) if key == "a"
              else _tiles.make_dataset(b.path("data", f"one{key}"), 1, key, 20 + key, ROOT) for key in keys}
    b.caches, b.fills = {}, {}
    for key, data in b.data.items():
        b.caches[key], b.fills[key] = b.fill_cache(str(key), data)
        f = b.fills[key]
        print(f"  teacher cache {key}: {count_tiles(data)} tiles in {f['cache_stage_s']:.1f} s "
              f"({f['progress_rate']} tiles/s in the progress line), {f['cache_bytes'] / 1e6:.0f} MB: "
              f"{', '.join(f['cache_files'])}", flush=True)


def count_tiles(data):
    return sum(len([n for n in os.listdir(os.path.join(data, s)) if n.endswith(".png")])
               for s in os.listdir(data) if os.path.isdir(os.path.join(data, s)))


def compare(b, label, data_key, arch, micro_batch, steps, limit_s, cap_mb=None, skip_torch=None, order_from=None,
            precision="f32"):
    """One configuration, both engines on the same slide order (Tessera's: seeded, the same in every
    run). PyTorch runs second, or first when `order_from` (an earlier Tessera run) gives the order.
    `precision` bf16: Tessera's --precision bf16 against PyTorch's CPU autocast to bf16."""
    a = b.args
    data, cache = b.data[data_key], b.caches[data_key]
    init = b.path("init", f"{arch}.safetensors")
    if not os.path.exists(init):
        os.makedirs(os.path.dirname(init), exist_ok=True)
        child("init", b.path("logs", f"init-{arch}"), arch=arch, slide_depth=a.slide_depth, slide_heads=16,
              teacher_width=1536, slide_width=768, seed=0, out=init)

    def tessera():
        return b.distill(label, data, cache, ["--init", init, "--student", arch, "--slide-depth", str(a.slide_depth),
                                              "--steps", str(steps), "--micro-batch", str(micro_batch),
                                              "--precision", precision], limit_s=limit_s)

    def pytorch(run):
        if skip_torch:
            return {"skipped": skip_torch, "steps": []}
        names = [m["slides"][0] for m in run["metrics"]]
        slides = sorted(s for s in os.listdir(data) if os.path.isdir(os.path.join(data, s)))
        names += [slides[i % len(slides)] for i in range(len(names), steps)]  # Tessera stopped early: the rest in order
        order = [(os.path.join(data, s), b.cache_file(cache, s)) for s in names]
        r = child("torch", b.path("logs", f"{label}-torch"), limit_s=limit_s, threads=b.threads, arch=arch,
                  slide_depth=a.slide_depth, slide_heads=16, teacher_width=1536, slide_width=768, init=init,
                  order=order, total_steps=steps, cap_mb=cap_mb, autocast=precision == "bf16")
        p = r["json"] or {"died": f"rc {r['rc']}: {r['stderr'].strip().splitlines()[-1:] if r['stderr'].strip() else ''}"}
        if r["stopped"]:
            p = {"stopped": limit_s, "steps": [x for x in r["lines"] if "step" in x]}
        p["peak_rss_mb_sampled"], p["peak_anon_mb"], p["peak_file_mb"] = r["peak_rss_mb"], r["peak_anon_mb"], r["peak_file_mb"]
        p["wall_s"] = r["wall_s"]
        p.setdefault("steps", [])
        return p

    load_before = os.getloadavg()[0]
    if order_from:
        p = pytorch(order_from)
        t = tessera()
    else:
        t = tessera()
        p = pytorch(t)
    return {"tessera": t, "torch": p, "load": (load_before, os.getloadavg()[0]), "torch_first": bool(order_from)}


def report_pair(label, res, micro_batch, cap_mb=None):
    t, p = res["tessera"], res["torch"]
    ts, ps = t["step_s"], [s["seconds"] for s in p["steps"]]
    later = lambda xs: xs[1:] if len(xs) > 1 else xs  # noqa: E731  (step 1 carries first-touch costs)
    t_med, p_med = median(later(ts)), median(later(ps))
    p_cpu = median(later([s["cpu_s"] for s in p["steps"]]))
    t_cpu = median(later(t["step_cpu_s"]))
    first = "pytorch ran first" if res.get("torch_first") else "tessera ran first"
    print(f"\n{label}  ({first}; load average {res['load'][0]:.1f} -> {res['load'][1]:.1f})")
    print(f"  tessera: {' '.join(t['cmd'][1:])}")
    tstate = "" if t["rc"] == 0 else (f"  [stopped after {t['wall_s']:.0f} s]" if t["stopped"] else f"  [rc {t['rc']}]")
    print(f"  tessera step s: {', '.join(fmt(x) for x in ts) or '-'}{tstate}; CPU s/step: "
          f"{', '.join(fmt(x) for x in t['step_cpu_s']) or '-'}; peak RSS {t['peak_rss_mb']:.0f} MB (whole process, VmHWM sampled every 0.2 s; "
          f"sampled peaks: anonymous {t['peak_anon_mb']:.0f} MB, mapped files {t['peak_file_mb']:.0f} MB)")
    if "skipped" in p:
        print(f"  pytorch: not run ({p['skipped']})")
    else:
        state = ""
        if p.get("oom"):
            state = f"  [out of memory under the {cap_mb / 1024:.1f} GB cap: {p['error']}]"
        elif "died" in p:
            state = f"  [died: {p['died']}]"
        elif "stopped" in p:
            state = f"  [stopped after {p['stopped']} s]"
        print(f"  pytorch step s: {', '.join(fmt(x) for x in ps) or '-'}{state}; CPU s/step: "
              f"{', '.join(fmt(s['cpu_s']) for s in p['steps']) or '-'}; peak RSS {p['peak_rss_mb_sampled']:.0f} MB "
              f"(anonymous {p['peak_anon_mb']:.0f} MB; before step 1, with the models: {fmt(p.get('baseline_mb'), 0)} MB)")
    both = min(len(t["metrics"]), len(p["steps"]))
    for i in range(both):
        tm, pm = t["metrics"][i], p["steps"][i]
        print(f"  step {i + 1} loss (hidden, slide): tessera {tm['loss']:.6f} ({tm['loss_hidden']:.6f}, {tm['loss_slide']:.6f})"
              f"  pytorch {pm['loss']:.6f} ({pm['loss_hidden']:.6f}, {pm['loss_slide']:.6f})"
              f"  rel. diff {abs(tm['loss'] - pm['loss']) / abs(pm['loss']):.1e}")
    return t_med, p_med, t_cpu, p_cpu


def run_a(b):
    """(a) in --rounds rounds, each running every precision of --precisions-a in turn (so that a
    change of the machine's load falls on both), alternately Tessera then PyTorch and PyTorch then
    Tessera; the ratios of the pooled medians: Tessera against PyTorch in each precision (bf16:
    PyTorch's CPU autocast), and Tessera bf16 against Tessera f32."""
    a = b.args
    later = lambda xs: xs[1:] if len(xs) > 1 else xs  # noqa: E731  (step 1 carries first-touch costs)
    precisions = a.precisions_a.split(",")
    pooled = {p: {"t": [], "p": [], "tc": [], "pc": [], "results": []} for p in precisions}
    for r in range(a.rounds):
        for precision in precisions:
            runs = pooled[precision]
            res = compare(b, f"a-vit_small-{precision}-{r + 1}", "a", "vit_small_patch16_224", a.micro_batch_a, a.steps_a,
                          a.limit_s, order_from=runs["results"][-1]["tessera"] if r % 2 else None, precision=precision)
            runs["results"].append(res)
            torch_side = "PyTorch autocast bf16" if precision == "bf16" else "PyTorch f32"
            report_pair(f"(a) {precision} round {r + 1}/{a.rounds}: ViT-S/16 student + {a.slide_depth}-layer slide student, "
                        f"slides of 32 tiles, {a.steps_a} steps, --micro-batch {a.micro_batch_a}, against {torch_side}",
                        res, a.micro_batch_a)
            runs["t"] += later(res["tessera"]["step_s"])
            runs["p"] += later([s["seconds"] for s in res["torch"]["steps"]])
            runs["tc"] += later(res["tessera"]["step_cpu_s"])
            runs["pc"] += later([s["cpu_s"] for s in res["torch"]["steps"]])
    medians = {}
    for precision in precisions:
        runs = pooled[precision]
        t_med, p_med = median(runs["t"]), median(runs["p"])
        medians[precision] = (t_med, p_med)
        ratio = t_med / p_med if p_med else float("nan")
        cpu_ratio = median(runs["tc"]) / median(runs["pc"]) if runs["pc"] and runs["tc"] else float("nan")
        goal = "goal <= 0.9" if precision == "f32" else "the anchor"
        print(f"  => {precision}: seconds per step, median of steps 2+ over {a.rounds} round(s): tessera {fmt(t_med)}, "
              f"pytorch {fmt(p_med)}: {fmt(ratio)}x pytorch's time ({goal}"
              f"{(': met' if ratio <= 0.9 else ': missed') if precision == 'f32' else ''}); CPU s per step "
              f"{fmt(median(runs['tc']))} vs {fmt(median(runs['pc']))}: {fmt(cpu_ratio)}x")
        b.rows.append((f"(a) ViT-S, 32 tiles, {precision}", t_med, p_med, ratio,
                       max(r["tessera"]["peak_rss_mb"] for r in runs["results"]),
                       max(r["torch"].get("peak_rss_mb_sampled", 0) for r in runs["results"]),
                       f"{'goal <= 0.9x' if precision == 'f32' else 'vs autocast'}; CPU s {fmt(cpu_ratio)}x"))
    if "f32" in medians and "bf16" in medians:
        (t32, p32), (t16, p16) = medians["f32"], medians["bf16"]
        print(f"  => bf16: tessera {fmt(t16)} s/step against tessera f32 {fmt(t32)}: {fmt(t16 / t32)}x "
              f"(goal <= 0.6: {'met' if t16 / t32 <= 0.6 else 'missed'}); pytorch autocast {fmt(p16)} against its f32 "
              f"{fmt(p32)}: {fmt(p16 / p32)}x")
    if a.memory_budget_a and "f32" in medians:
        # The same recipe when pass 1 may keep its activations (no second forward pass): what
        # gradient caching costs when the memory is there.
        p_med = medians["f32"][1]
        label = f"a-vit_small-budget{a.memory_budget_a}"
        extra = ["--init", b.path("init", "vit_small_patch16_224.safetensors"), "--student", "vit_small_patch16_224",
                 "--slide-depth", str(a.slide_depth), "--steps", str(a.steps_a), "--micro-batch", str(a.micro_batch_a),
                 "--memory-budget", str(a.memory_budget_a)]
        k = b.distill(label, b.data["a"], b.caches["a"], extra, limit_s=a.limit_s)
        k_med = median(k["step_s"][1:] or k["step_s"])
        print(f"  tessera with --memory-budget {a.memory_budget_a} (activations kept, no second forward): step s "
              f"{', '.join(fmt(x) for x in k['step_s'])}, CPU s/step {', '.join(fmt(x) for x in k['step_cpu_s'])}; "
              f"peak RSS {k['peak_rss_mb']:.0f} MB; {fmt(k_med / p_med if p_med else None)}x pytorch's pooled median "
              f"(load average {os.getloadavg()[0]:.1f})")
        b.rows.append((f"(a) f32, --memory-budget {a.memory_budget_a}", k_med, p_med, k_med / p_med if p_med else None,
                       k["peak_rss_mb"], None, "not the recipe's default"))


def run_b(b):
    a = b.args
    available = next(int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemAvailable"))
    cap_mb = int(min(a.torch_memory_gb * 1024, available - 3072))
    print(f"\n(b) ViT-B/16 student; PyTorch capped at {cap_mb / 1024:.1f} GB of growth (RLIMIT_AS; "
          f"{available / 1024:.1f} GB were available, the machine has 24 GB shared with other work)", flush=True)
    fits = True
    torch_slope = None
    for n in a.tiles_b:
        key = "a" if n == 32 else n
        skip = None if fits else f"it already ran out of memory at fewer tiles"
        res = compare(b, f"b-vit_base-{n}", key, "vit_base_patch16_224", a.micro_batch_b, a.steps_b, a.limit_s,
                      cap_mb=cap_mb, skip_torch=skip)
        t_med, p_med, t_cpu, p_cpu = report_pair(f"(b) ViT-B/16 student, slides of {n} tiles, {a.steps_b} step(s), "
                                         f"--micro-batch {a.micro_batch_b}", res, a.micro_batch_b, cap_mb)
        t, p = res["tessera"], res["torch"]
        if p.get("oom") or "died" in p:
            fits = False
        if p["steps"] and p.get("baseline_mb") and p.get("peak_rss_mb"):
            torch_slope = (p["peak_rss_mb"] - p["baseline_mb"]) / n
            print(f"  pytorch memory: {p['baseline_mb']:.0f} MB + {torch_slope:.0f} MB per tile -> 24 GB holds about "
                  f"{(24 * 1024 - p['baseline_mb']) / torch_slope:.0f} tiles")
        elif torch_slope and "skipped" not in p:
            print(f"  pytorch would need about {(p.get('baseline_mb') or 0) + torch_slope * n:.0f} MB "
                  f"(the per-tile slope measured at fewer tiles)")
        notes = ["goal <= 3 GB"] if n == 512 else []
        if p["steps"]:
            notes.append(f"CPU s {fmt(t_cpu, 0)} vs {fmt(p_cpu, 0)}")
        if n == 512:
            rss = t["peak_rss_mb"]
            print(f"  => tessera peak RSS at 512 tiles: {rss:.0f} MB (goal <= 3072 MB: {'met' if rss <= 3072 else 'missed'})"
                  + (" [the run was stopped before its step ended: the peak so far]" if t["stopped"] else ""))
        ptime = p_med if p["steps"] else None
        prss = None if "skipped" in p else p.get("peak_rss_mb_sampled")
        if p.get("oom"):
            notes.append(f"pytorch out of memory at the {cap_mb / 1024:.0f} GB cap")
        b.rows.append((f"(b) ViT-B, {n} tiles", t_med, ptime, t_med / ptime if ptime else None, t["peak_rss_mb"], prss,
                       "; ".join(notes)))


def run_c(b):
    """Teacher cache stage vs `tessera embed` (tile + slide encoder) on the same tiles, same teacher."""
    key = b.args.tiles_c
    data = b.data[key]
    slide = sorted(s for s in os.listdir(data) if os.path.isdir(os.path.join(data, s)))
    fill = b.fills[key]
    tiles = count_tiles(data)
    os.makedirs(b.path("embed"), exist_ok=True)
    cmd = [b.exe, "embed", os.path.join(data, slide[0]), "--tile-encoder", b.teacher, "--slide-encoder",
           b.teacher_slide, "--batch", "8", "--threads", str(b.threads), "-o", b.path("embed", f"{key}.safetensors")]
    e = run_measured(cmd, b.path("logs", f"embed-{key}"))
    if e["rc"] != 0:
        sys.exit(f"tessera embed failed:\n{e['stderr'][-2000:]}")
    e_rate = progress_rate(e["stderr"], "embed")
    cache_tps, embed_tps = tiles / fill["cache_stage_s"], tiles / e["wall_s"]
    print(f"\n(c) teacher cache stage vs tessera embed, {tiles} tiles of one slide, the same teacher (load average "
          f"{os.getloadavg()[0]:.1f})")
    print(f"  distill: {' '.join(fill['cmd'][1:])}")
    print(f"  embed:   {' '.join(cmd[1:])}")
    print(f"  tessera distill cache stage: {fill['cache_stage_s']:.1f} s from process start to the last cache file "
          f"= {cache_tps:.2f} tiles/s (progress line: {fill['progress_rate']} tiles/s)")
    print(f"  tessera embed --slide-encoder: {e['wall_s']:.1f} s whole process = {embed_tps:.2f} tiles/s "
          f"(progress line: {e_rate} tiles/s); peak RSS {e['peak_rss_mb']:.0f} MB")
    ratio = embed_tps / cache_tps
    print(f"  => cache stage takes {ratio:.2f}x embed's time per tile (goal <= 1.0, no slower: "
          f"{'met' if ratio <= 1.0 else 'missed'})")
    b.rows.append((f"(c) cache vs embed, {tiles} tiles", tiles / cache_tps, tiles / embed_tps, ratio,
                   fill["peak_rss_mb"], e["peak_rss_mb"], "embed in the PyTorch column; goal <= 1.0x"))


def run_d(b):
    """(d) one process of one thread, `mpirun -np 2` of one thread each and one process of two
    threads, in turn, --rounds times, on (a)'s slides: 2 slides per step, one per rank.
    Efficiency = speed-up of 2 ranks over 1 / 2."""
    a = b.args
    if shutil.which("mpirun") is None:
        sys.exit("(d) needs Open MPI's mpirun (Debian: apt install openmpi-bin)")
    mpirun = ["mpirun", "-np", "2", "--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    extra = ["--student", "vit_small_patch16_224", "--slide-depth", str(a.slide_depth), "--steps", str(a.steps_d),
             "--micro-batch", str(a.micro_batch_a), "--slides-per-step", "2"]
    steps = {(1, 1): [], (2, 1): [], (1, 2): []}
    exchange, wait, sent = [], [], []
    for r in range(a.rounds):
        for ranks, threads in steps:
            k = b.distill(f"d-ranks{ranks}-threads{threads}-{r + 1}", b.data["a"], b.caches["a"], extra, threads=threads,
                          launcher=mpirun if ranks == 2 else ())
            if k["rc"] != 0:
                sys.exit(f"(d) {ranks} rank(s) failed:\n{k['stderr'][-3000:]}")
            steps[ranks, threads] += k["step_s"][1:] or k["step_s"]
            if ranks == 2:
                exchange += [m["exchange_s"] for m in k["metrics"][1:]]
                wait += [m["wait_s"] for m in k["metrics"][1:]]
                sent += [m["exchange_bytes"] for m in k["metrics"]]
            print(f"  (d) round {r + 1}: {ranks} rank(s) x {threads} thread(s): s/step {', '.join(fmt(x) for x in k['step_s'])} "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    one, two, threaded = median(steps[1, 1]), median(steps[2, 1]), median(steps[1, 2])
    efficiency = one / two / 2
    print(f"  => (d) one process of 2 threads {fmt(threaded, 3)} s/step: speed-up {fmt(one / threaded)}x over 1 thread; "
          f"2 ranks take {fmt(two / threaded)}x its time (what the cores give in parallel, without MPI)")
    print(f"  => (d) 2 slides/step, median of steps 2+: 1 rank {fmt(one, 3)} s, 2 ranks {fmt(two, 3)} s: speed-up "
          f"{fmt(one / two)}x, efficiency {100 * efficiency:.1f}% (goal >= 90%: {'met' if efficiency >= 0.9 else 'missed'}); "
          f"rank 0's gradient exchange {1000 * median(exchange):.1f} ms/step for {sent[0] / 1e6:.1f} MB sent "
          f"({sent[0] / 1e6 / max(median(exchange), 1e-9) / 1e3:.2f} GB/s), waiting for rank 1 {1000 * median(wait):.1f} ms/step")
    b.rows.append(("(d) 2 ranks vs 1, 1 thread", two, one, two / one, None, None,
                   f"'pytorch s' = 1 rank; efficiency {100 * efficiency:.1f}%, goal >= 90%"))


def summary(b):
    print("\nsummary (s/step: median over steps 2+ where there are several; ratio = tessera / pytorch)")
    print(f"  {'configuration':<28} {'tessera s':>10} {'pytorch s':>10} {'ratio':>7} {'tessera MB':>11} {'pytorch MB':>11}  note")
    for label, ts, ps, ratio, trss, prss, note in b.rows:
        print(f"  {label:<28} {fmt(ts):>10} {fmt(ps):>10} {fmt(ratio):>7} {fmt(trss, 0):>11} {fmt(prss, 0):>11}  {note}")


def learning_check(b):
    """A few hundred steps of `tessera distill` with the fixture-size teacher and a small student;
    prints the held-out slide cosine curve from RUN/metrics.jsonl, from the untrained student on."""
    a = b.args
    train = _tiles.make_dataset(b.path("learning", "train"), a.lc_slides, a.lc_tiles, 1, ROOT)
    val = _tiles.make_dataset(b.path("learning", "val"), a.lc_heldout, a.lc_tiles, 2, ROOT, prefix="heldout")
    fixtures = os.path.join(ROOT, "fixtures")
    b.teacher, b.teacher_slide = os.path.join(fixtures, "tile_teacher"), os.path.join(fixtures, "slide_encoder")
    common = ["--val-data", val, "--init", os.path.join(fixtures, "distill", "student_init.safetensors"),
              "--student-config", os.path.join(fixtures, "tile_student", "config.json"), "--slide-depth", "1",
              "--slide-heads", "4"]
    cache = b.fresh("learning", "cache")
    # The untrained student's validation: one step whose learning rate is 0 (the warm-up's first),
    # which leaves every parameter as it was. It also fills the teacher cache the run then reads.
    start = b.distill("learning-start", train, cache, common + ["--steps", "1", "--warmup-steps", "1", "--validate-every", "1"])
    r = b.distill("learning", train, cache, common + ["--steps", str(a.lc_steps), "--validate-every", str(a.lc_validate_every)])
    print(f"learning check: {' '.join(r['cmd'][1:])}")
    print(f"  {a.lc_slides} training and {a.lc_heldout} held-out slides of {a.lc_tiles} tiles; {r['wall_s']:.0f} s, "
          f"peak RSS {r['peak_rss_mb']:.0f} MB, load average {os.getloadavg()[0]:.1f}")
    for run in (start, r):
        if run["rc"] != 0:
            sys.exit(f"tessera distill failed:\n{run['stderr'][-2000:]}")

    def lines(name):
        return [json.loads(x) for x in open(os.path.join(b.path("runs", name), "metrics.jsonl"))]

    untrained = [dict(x, step=0) for x in lines("learning-start") if "val_slide_cosine" in x]
    val_lines = untrained + [x for x in lines("learning") if "val_slide_cosine" in x]
    losses = [x["loss"] for x in lines("learning") if "loss" in x]
    window = max(1, a.lc_validate_every)
    print(f"  {'step':>5} {'held-out slide cosine':>22} {'val L_slide':>12} {'val L_hidden':>13} {'train loss (mean since last)':>29}")
    for v in val_lines:
        recent = losses[max(0, v["step"] - window):v["step"]]
        mean = f"{sum(recent) / len(recent):.5f}" if recent else "(untrained)"
        print(f"  {v['step']:>5} {v['val_slide_cosine']:>22.4f} {v['val_loss_slide']:>12.5f} {v['val_loss_hidden']:>13.5f} {mean:>29}")
    first, best, last = val_lines[0]["val_slide_cosine"], max(v["val_slide_cosine"] for v in val_lines), val_lines[-1]["val_slide_cosine"]
    print(f"  held-out slide cosine: untrained {first:.4f}, best {best:.4f}, last {last:.4f} "
          f"({'rose' if last - first >= 0.3 else 'did not rise'} by {last - first:+.4f}); train loss {losses[0]:.4f} at step 1 "
          f"-> {sum(losses[-window:]) / len(losses[-window:]):.4f} over the last {window} steps")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", default=os.path.join(ROOT, ".build", "release", "tessera"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=os.path.join(HERE, "out", "distill"))
    p.add_argument("--only", default="a,b,c", help="configurations to run, among a, b, c, d")
    p.add_argument("--steps-d", type=int, default=5)
    p.add_argument("--teacher", help="tile teacher folder (e.g. fixtures/make_gigapath.py's) instead of the shallow one")
    p.add_argument("--teacher-depth", type=int, default=1, help="blocks of the random GigaPath-width teacher")
    p.add_argument("--slide-depth", type=int, default=2)
    p.add_argument("--slides-a", type=int, default=2, help="slides of 32 tiles for (a)")
    p.add_argument("--steps-a", type=int, default=3)
    p.add_argument("--micro-batch-a", type=int, default=8)
    p.add_argument("--precisions-a", default="f32,bf16", help="precisions of (a): f32 (against PyTorch f32), bf16 (against its autocast)")
    p.add_argument("--rounds", type=int, default=2, help="rounds of (a), alternating which engine runs first")
    p.add_argument("--memory-budget-a", type=int, default=4096,
                   help="also run (a)'s Tessera with this --memory-budget (MB; 0: do not)")
    p.add_argument("--tiles-b", default="32,128,512")
    p.add_argument("--steps-b", type=int, default=1)
    p.add_argument("--micro-batch-b", type=int, default=16)
    p.add_argument("--tiles-c", type=int, default=128, help="tiles of the one slide of (c)")
    p.add_argument("--torch-memory-gb", type=float, default=20, help="cap on PyTorch's memory growth (less when less is free)")
    p.add_argument("--limit-s", type=float, default=3600, help="stop a run (and report what it measured) after this many seconds")
    p.add_argument("--learning-check", action="store_true")
    p.add_argument("--lc-slides", type=int, default=32, help="training slides of the learning check")
    p.add_argument("--lc-heldout", type=int, default=4, help="held-out slides of the learning check")
    p.add_argument("--lc-tiles", type=int, default=8, help="tiles per slide of the learning check")
    p.add_argument("--lc-steps", type=int, default=300)
    p.add_argument("--lc-validate-every", type=int, default=20)
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    p.add_argument("child_args", nargs="?", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return CHILDREN[args.child](json.loads(args.child_args))
    if not os.path.exists(args.tessera):
        sys.exit(f"{args.tessera} not found: run `swift build -c release --product tessera` first")
    args.tiles_b = [int(n) for n in args.tiles_b.split(",") if n]
    b = Bench(args)
    os.makedirs(b.path("logs"), exist_ok=True)
    show_machine(machine(args.threads), "start")
    print(f"threads {args.threads} (tessera --threads, torch.set_num_threads); tessera {args.tessera}", flush=True)
    if args.learning_check:
        learning_check(b)
        show_machine(machine(args.threads), "end")
        return
    v = child("verify", b.path("logs", "verify"), threads=args.threads)["json"]
    e = v["errors"]
    print(f"torch {v['torch']}, timm {v['timm']}; torch slide encoder vs fixtures/slide_encoder (reference outputs, "
          f"max abs error): n1 {e['n1']:.1e}, n9 {e['n9']:.1e}, n1100 {e['n1100']:.1e}; reference gradient at n1100: "
          f"max error / max value {e['gradient']:.1e} ({e['gradient_tensor']})", flush=True)
    # The key bias gradient is what is left of a sum that cancels (docs/models.md §3.7): its relative
    # error is the largest by far, hence the looser gradient tolerance.
    if max(e["n1"], e["n9"], e["n1100"]) > 1e-4 or e["gradient"] > 1e-3:
        sys.exit("the torch slide encoder does not match the reference (outputs 1e-4, gradient 1e-3): no timing")
    only = set(args.only.split(","))
    keys = ["a"] if "a" in only or "d" in only or ("b" in only and 32 in args.tiles_b) else []
    keys += [n for n in args.tiles_b if n != 32] if "b" in only else []
    keys += [args.tiles_c] if "c" in only and args.tiles_c not in keys else []
    prepare(b, keys)
    if "a" in only:
        run_a(b)
    if "c" in only:
        run_c(b)
    if "d" in only:
        run_d(b)
    if "b" in only:
        run_b(b)
    summary(b)
    show_machine(machine(args.threads), "end")


if __name__ == "__main__":
    main()

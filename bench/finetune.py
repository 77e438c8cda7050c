#!/usr/bin/env python3
"""Slide-level fine-tuning benchmark: `tessera finetune` against upstream's own training loop
(prov-gigapath's finetune/training.py `train_one_epoch`, gigapath/classification_head.py
`ClassificationHead`, finetune/utils.py `get_optimizer` = `param_groups_lrd` + AdamW,
`get_loss_function`, `slide_collate_fn`, finetune/datasets `SlideDataset`), on the same features,
the same starting weights, the same settings and the same threads, in one run; then
`tessera probe` on 1,000 slide embeddings.

Goals (issue "From embeddings to answers"): an epoch over 64 slides of 2,000 tiles with the
GigaPath-size slide encoder (12 x 768, 16 heads, random weights) in <= 0.8x PyTorch's time at
<= 0.5x its peak memory; `tessera probe` on 1,000 slide embeddings in under 5 s.

Upstream's code is imported from a folder given by --upstream, never copied here. Get it with
    git clone https://github.com/prov-gigapath/prov-gigapath /tmp/gigapath
(or, from a bare snapshot without a work tree: git -C REPO.git archive HEAD gigapath finetune |
tar -x -C /tmp/gigapath). The code this was written against is commit 09d8e87 (fixtures/finetune).
Upstream's imports that have no CPU build or do nothing here are replaced in sys.modules by this
script, and it says so in its output: flash_attn (upstream calls torchscale's
`flash_attn_func(q, k, v, ...) -> (out, lse)`: here torch's fused CPU flash attention
`aten._scaled_dot_product_flash_attention_for_cpu`, exact attention returning the output and the
log-sum-exp, as fixtures/finetune did with a float64 version), wandb and torch.utils.tensorboard
(no logging is asked for), fairscale when absent (only its activation checkpointing and FSDP
wrappers are imported, both unused), torchvision when broken (timm's import only).
`LongNetViT.get_optimal_segment_length` is wrapped to give the same numbers as plain ints: under
numpy 2 upstream's string holds `np.int64(1024)`, which torchscale's `eval` cannot read.

Settings (both sides): batch size 1, dropout and drop-path 0, fp16 off (upstream cannot turn it
off from its command line: `--fp16` is store_true with default True; on the CPU there is no CUDA
autocast or GradScaler to use), `--epochs 1 --warmup-epochs 0` (with upstream's warm-up of 1 the
first window's lr is exactly 0), upstream's lr 5e-4 (blr 4e-3 x gc 32 / 256), weight decay 1e-5,
layer decay 0.95, min lr 1e-6, gc 32, feat layer 11, class-token pooling, `max_tiles` = the tiles
per slide in the task config (upstream's default of 1000 would cut every slide to 1,000 tiles).
Slides in the labels CSV's order (`--no-shuffle`, torch's SequentialSampler), so the losses of
every optimizer window must agree: they validate the comparison. DataLoader workers 0: upstream's
default of 10 would read the slides in 10 more processes beside the T threads (--workers).

What is timed: PyTorch, `train_one_epoch` alone (its reads of the .h5 files included; not the
imports, the model build with upstream's 1,000,001-row position table, or the weight load).
Tessera, from run.json (written once the task, labels, slide encoder and classifier are read) to
the epoch's last step line in metrics.jsonl (the files' modification times); its whole process
(start-up, model load, the final checkpoint and model written) is printed beside it. Peak RSS:
each engine runs in its own process; the figure is its VmHWM (sampled every 0.1 s) or wait4's
ru_maxrss, whichever is larger (this script imports neither torch nor numpy, so a child's
ru_maxrss does not start from this script's own). PyTorch's peak during the epoch alone (VmHWM
reset through /proc/self/clear_refs before it) is printed too.

    swift build -c release --product tessera
    /tmp/benchvenv/bin/python bench/finetune.py --upstream /tmp/gigapath [--threads 2] [--quick]
    /tmp/benchvenv/bin/python bench/finetune.py --only probe
"""
import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from _machine import machine, show_machine  # noqa: E402
ROOT = os.path.dirname(HERE)
SLIDE_ENCODER = {"in_chans": 1536, "embed_dim": 768, "depth": 12, "num_heads": 16}
BRANCH_LENGTHS, BRANCH_RATIOS = [1024, 5792, 32768, 185363, 1048576], [1, 2, 4, 8, 16]


# ---------------------------------------------------------------- children (numpy and torch live here only)

def child_data(a):
    """The random GigaPath-size slide encoder (safetensors + config.json), the classifier's
    starting weights, and the slides: `tile_embeds` [N, 1536] f32 ~ N(0, 1) and `coords` [N, 2]
    (level-0 pixels, distinct cells of a square grid, multiples of 256, in row-major order) as
    <slide_id>.safetensors for Tessera and the same numbers as <slide_id>.h5 (`features`,
    `coords`) for upstream's SlideDataset; the labels CSV and the task YAML."""
    import h5py
    import numpy as np
    import torch
    from safetensors.numpy import save_file as save_numpy
    from safetensors.torch import save_file
    sys.path.insert(0, HERE)
    from _longnet import LongNetViT
    out = a["out"]
    model_dir, st_dir, h5_dir = (os.path.join(out, x) for x in ("slide_encoder", "features", "features_h5"))
    for d in (model_dir, st_dir, h5_dir):
        os.makedirs(d, exist_ok=True)
    s = SLIDE_ENCODER
    torch.manual_seed(a["seed"])
    encoder = LongNetViT(s["in_chans"], s["embed_dim"], s["depth"], s["num_heads"])
    encoder.init_fresh(torch.Generator().manual_seed(a["seed"] + 1))
    save_file({k: v.contiguous() for k, v in encoder.state_dict().items()}, os.path.join(model_dir, "slide_encoder.safetensors"))
    json.dump(dict(s, architecture="gigapath_slide_enc", mlp_ratio=4, slide_ngrids=1000, tile_size=256,
                   segment_length=BRANCH_LENGTHS, dilated_ratio=BRANCH_RATIOS),
              open(os.path.join(model_dir, "config.json"), "w"), indent=2)
    torch.manual_seed(a["seed"] + 2)
    head = torch.nn.Linear(s["embed_dim"] * a["feat_layers"], a["classes"])  # torch's default Linear init
    save_file({"classifier.0.weight": head.weight.detach().contiguous(), "classifier.0.bias": head.bias.detach().contiguous()},
              os.path.join(out, "classifier_init.safetensors"))
    rng = np.random.default_rng(a["seed"])
    side = int(math.ceil(math.sqrt(a["tiles"] * 1.6)))
    names = [f"class{c}" for c in range(a["classes"])]
    rows = []
    for i in range(a["slides"]):
        slide_id = f"slide{i:04d}"
        cells = np.sort(rng.choice(side * side, size=a["tiles"], replace=False))
        coords = np.stack([cells % side, cells // side], axis=1).astype(np.float32) * 256  # x = column, y = row
        embeds = rng.standard_normal((a["tiles"], s["in_chans"]), dtype=np.float32)
        save_numpy({"tile_embeds": embeds, "coords": coords}, os.path.join(st_dir, slide_id + ".safetensors"))
        with h5py.File(os.path.join(h5_dir, slide_id + ".h5"), "w") as f:
            f.create_dataset("features", data=embeds)
            f.create_dataset("coords", data=coords)
        rows.append((slide_id, names[int(rng.integers(a["classes"]))]))
    with open(os.path.join(out, "labels.csv"), "w") as f:
        f.write("slide_id,label\n" + "".join(f"{sid},{label}\n" for sid, label in rows))
    with open(os.path.join(out, "task.yaml"), "w") as f:
        f.write("name: bench_finetune\nsetting: multi_class\nmax_tiles: %d\nlabel_dict:\n" % a["tiles"]
                + "".join(f"  {n}: {c}\n" for c, n in enumerate(names)))
    print(json.dumps({"labels": [r[1] for r in rows], "side": side}))


def child_probe_data(a):
    """1,000 slide embeddings `slide_embed` [D] (f32; class c's mean is 2 * a random unit vector
    u_c, plus N(0, 1) noise: separable by a linear probe), the labels CSV, the task YAML and
    upstream's split files (train_0/val_0/test_0.csv: 70/10/20, an unnamed index column)."""
    import numpy as np
    from safetensors.numpy import save_file
    out = a["out"]
    emb_dir, split_dir = os.path.join(out, "embeddings"), os.path.join(out, "splits")
    os.makedirs(emb_dir, exist_ok=True)
    os.makedirs(split_dir, exist_ok=True)
    rng = np.random.default_rng(a["seed"])
    centres = rng.standard_normal((a["classes"], a["dim"]))
    centres = 2.0 * centres / np.linalg.norm(centres, axis=1, keepdims=True) * math.sqrt(a["dim"]) / 4
    ids, labels = [], []
    for i in range(a["slides"]):
        c = int(rng.integers(a["classes"]))
        x = (centres[c] + rng.standard_normal(a["dim"])).astype(np.float32)
        ids.append(f"slide{i:05d}")
        labels.append(c)
        save_file({"slide_embed": x}, os.path.join(emb_dir, ids[-1] + ".safetensors"))
    names = [f"class{c}" for c in range(a["classes"])]
    with open(os.path.join(out, "labels.csv"), "w") as f:
        f.write("slide_id,label\n" + "".join(f"{s},{names[c]}\n" for s, c in zip(ids, labels)))
    with open(os.path.join(out, "task.yaml"), "w") as f:
        f.write("name: bench_probe\nsetting: multi_class\nlabel_dict:\n" + "".join(f"  {n}: {c}\n" for c, n in enumerate(names)))
    order = rng.permutation(len(ids))
    n_train, n_val = int(0.7 * len(ids)), int(0.1 * len(ids))
    parts = {"train": order[:n_train], "val": order[n_train:n_train + n_val], "test": order[n_train + n_val:]}
    for part, rows in parts.items():
        with open(os.path.join(split_dir, f"{part}_0.csv"), "w") as f:
            f.write(",slide_id\n" + "".join(f"{k},{ids[r]}\n" for k, r in enumerate(rows)))
    print(json.dumps({"slides": len(ids), "dim": a["dim"], "classes": a["classes"]}))


def vm_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def install_upstream_stubs(notes):
    """Replaces what upstream imports but cannot or need not run here (see the docstring)."""
    import types
    if "wandb" not in sys.modules:
        wandb = types.ModuleType("wandb")
        wandb.init = wandb.log = wandb.finish = lambda *a, **k: None
        sys.modules["wandb"] = wandb
        notes.append("wandb stubbed (unused: no logging asked for)")
    tb = types.ModuleType("torch.utils.tensorboard")

    class SummaryWriter:
        def __init__(self, *a, **k):
            pass

        def add_scalar(self, *a, **k):
            pass

    tb.SummaryWriter = SummaryWriter
    sys.modules["torch.utils.tensorboard"] = tb
    import torch.utils
    torch.utils.tensorboard = tb
    notes.append("torch.utils.tensorboard stubbed (train() only; train_one_epoch writes nothing)")
    try:
        import fairscale.nn  # noqa: F401
    except ImportError:
        fs, fsnn = types.ModuleType("fairscale"), types.ModuleType("fairscale.nn")
        fsnn.checkpoint_wrapper = fsnn.wrap = lambda module, *a, **k: module
        fs.nn = fsnn
        sys.modules["fairscale"], sys.modules["fairscale.nn"] = fs, fsnn
        notes.append("fairscale stubbed (checkpoint_wrapper/wrap: used only with checkpoint_activations or fsdp, both off)")
    sys.path.insert(0, HERE)
    import _torchvision_stub
    _torchvision_stub.install_if_broken()


def flash_attn_cpu(q, k, v, dropout=0.0, bias=None, softmax_scale=None, is_causal=False):
    """torchscale's flash_attn_func contract: q, k, v [b, l, h, d] -> (out [b, l, h, d], lse [b, h, l]),
    exact softmax attention (no dropout, no bias), lse the natural-log log-sum-exp of each query's
    scaled scores. torch's fused CPU flash attention gives both in one pass; its backward is
    torch's own (the lse carries no gradient, as upstream only uses it under no_grad)."""
    import torch
    assert bias is None and dropout == 0.0
    out, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(
        q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), 0.0, is_causal, scale=softmax_scale)[:2]
    return out.transpose(1, 2), lse


def flash_attn_math(q, k, v, dropout=0.0, bias=None, softmax_scale=None, is_causal=False):
    """The same contract in plain torch operations (scores materialised): --attention math."""
    import torch
    assert bias is None and dropout == 0.0 and not is_causal
    scale = softmax_scale or q.shape[-1] ** -0.5
    scores = torch.einsum("blhd,bmhd->bhlm", q, k) * scale
    lse = torch.logsumexp(scores, dim=-1)
    out = torch.einsum("bhlm,bmhd->blhd", torch.exp(scores - lse.unsqueeze(-1)), v)
    return out, lse.detach()


def child_torch(a):
    """Upstream's loop on the features: one epoch of train_one_epoch; prints one JSON line."""
    started = time.perf_counter()
    notes = []
    import numpy as np
    import pandas as pd
    import torch
    torch.set_num_threads(a["threads"])
    torch.set_num_interop_threads(1)
    install_upstream_stubs(notes)
    upstream = os.path.abspath(a["upstream"])
    sys.path.insert(0, upstream)
    sys.path.insert(0, os.path.join(upstream, "finetune"))
    import params
    import training
    import utils
    from datasets.slide_datatset import SlideDataset
    from task_configs.utils import load_task_config
    from gigapath import slide_encoder as upstream_slide_encoder
    from gigapath.classification_head import get_model

    attention = flash_attn_cpu if a["attention"] == "flash-cpu" else flash_attn_math
    for name, module in list(sys.modules.items()):
        if name.endswith("component.multihead_attention") or name.endswith("component.flash_attention"):
            if hasattr(module, "flash_attn_func"):
                module.flash_attn_func = attention
    notes.append(f"flash_attn_func -> {attention.__name__} (torchscale's multihead_attention and flash_attention modules)")
    original_segments = upstream_slide_encoder.LongNetViT.get_optimal_segment_length

    def segments(self, max_wsi_size=262144, tile_size=256):
        return str([int(x) for x in eval(original_segments(self, max_wsi_size, tile_size), {"np": np})])

    upstream_slide_encoder.LongNetViT.get_optimal_segment_length = segments
    notes.append("LongNetViT.get_optimal_segment_length: the same numbers as plain ints (numpy 2)")

    # finetune/main.py's steps before train(), with the bench's argv.
    argv = ["--task_cfg_path", a["task"], "--model_arch", "gigapath_slide_enc12l768d", "--input_dim", "1536",
            "--latent_dim", "768", "--feat_layer", a["feat_layer"], "--pretrained", "", "--lr", str(a["lr"]),
            "--min_lr", str(a["min_lr"]), "--optim_wd", str(a["weight_decay"]), "--layer_decay", str(a["layer_decay"]),
            "--optim", "adamw", "--lr_scheduler", "cosine", "--epochs", str(a["epochs"]),
            "--warmup_epochs", str(a["warmup_epochs"]), "--dropout", "0", "--drop_path_rate", "0", "--gc", str(a["accumulate"]),
            "--seed", str(a["seed"]), "--tile_size", "256", "--max_wsi_size", "262144", "--batch_size", "1",
            "--num_workers", str(a["workers"]), "--root_path", a["h5_dir"], "--dataset_csv", a["labels"]]
    if a["global_pool"]:
        argv.append("--global_pool")
    sys.argv = ["main.py"] + argv
    args = params.get_finetune_params()
    args.device = torch.device("cpu")
    args.fp16 = False
    utils.seed_torch(args.device, args.seed)
    args.task_config = load_task_config(args.task_cfg_path)
    args.task = args.task_config.get("name", "task")
    dataset_df = pd.read_csv(args.dataset_csv)
    slide_ids = dataset_df["slide_id"].to_list()
    train_data = SlideDataset(dataset_df, args.root_path, slide_ids, args.task_config, split_key="slide_id")
    args.n_classes = train_data.n_classes
    build_start = time.perf_counter()
    model = get_model(**vars(args)).to(args.device)
    from safetensors.torch import load_file
    missing, unexpected = model.slide_encoder.load_state_dict(load_file(a["weights"]), strict=False)
    missing = [k for k in missing if k != "pos_embed"]
    if missing or unexpected:
        sys.exit(f"slide encoder weights do not fit upstream's model: missing {missing}, unexpected {unexpected}")
    model.classifier.load_state_dict({k.split(".", 1)[1]: v for k, v in load_file(a["classifier"]).items()})
    optimizer = utils.get_optimizer(args, model)
    base_loss = utils.get_loss_function(args.task_config)
    build_s = time.perf_counter() - build_start
    losses, lrs = [], []

    class RecordingLoss(type(base_loss)):
        """Upstream's loss function, its value per slide (before the division by gc) recorded."""
        def forward(self, logits, label):
            loss = super().forward(logits, label)
            losses.append(loss.item())
            lrs.append(max(g["lr"] for g in optimizer.param_groups))
            return loss

    loss_fn = RecordingLoss()
    g = torch.Generator()
    g.manual_seed(args.seed)
    if a["shuffle"]:
        # upstream's get_loader as it is (RandomSampler from its seeded generator)
        loader = utils.get_loader(train_data, None, None, args.task_config, batch_size=1, num_workers=args.num_workers,
                                  seed=args.seed)[0]
    else:
        # get_loader's train loader with a SequentialSampler instead of its RandomSampler
        loader = torch.utils.data.DataLoader(train_data, num_workers=args.num_workers, batch_size=1,
                                             sampler=torch.utils.data.SequentialSampler(train_data), generator=g,
                                             collate_fn=utils.slide_collate_fn)
    before_epoch_kb = vm_kb("VmHWM")
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        reset = True
    except OSError:
        reset = False
    epoch_start, cpu_start = time.perf_counter(), time.process_time()
    training.train_one_epoch(loader, model, None, optimizer, loss_fn, 0, args)
    epoch_s, epoch_cpu_s = time.perf_counter() - epoch_start, time.process_time() - cpu_start
    print(json.dumps({"epoch_s": epoch_s, "epoch_cpu_s": epoch_cpu_s, "build_s": build_s,
                      "before_epoch_s": epoch_start - started, "slide_losses": losses, "slide_lrs": lrs,
                      "peak_before_epoch_mb": before_epoch_kb / 1024,
                      "peak_epoch_mb": vm_kb("VmHWM") / 1024 if reset else None, "peak_mb": None if reset else vm_kb("VmHWM") / 1024,
                      "parameters": sum(p.numel() for p in model.parameters()), "slides": len(train_data),
                      "torch": torch.__version__, "numpy": np.__version__, "notes": notes}), flush=True)


CHILDREN = {"data": child_data, "probe_data": child_probe_data, "torch": child_torch}


# ---------------------------------------------------------------- measuring a process

def proc_hwm_mb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_measured(cmd, log, env=None, limit_s=None):
    """Runs `cmd` to its end (SIGTERM after limit_s), stdout and stderr in LOG.out / LOG.err: wall and
    CPU seconds, peak RSS (max of the sampled VmHWM and wait4's ru_maxrss)."""
    with open(log + ".out", "w") as out, open(log + ".err", "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        hwm, stopped = 0.0, False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            hwm = max(hwm, proc_hwm_mb(process.pid))
            if limit_s and not stopped and time.perf_counter() - start > limit_s:
                process.send_signal(signal.SIGTERM)
                stopped = True
            time.sleep(0.1)
        wall = time.perf_counter() - start
    return {"rc": os.waitstatus_to_exitcode(status), "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": max(hwm, usage.ru_maxrss / 1024), "stopped": stopped, "started": time.time() - wall,
            "stdout": open(log + ".out").read(), "stderr": open(log + ".err").read()}


def child(name, log, python, env=None, limit_s=None, **a):
    r = run_measured([python, os.path.abspath(__file__), "--child", name, json.dumps(a)], log, env=env, limit_s=limit_s)
    lines = [json.loads(x) for x in r["stdout"].splitlines() if x.startswith("{")]
    r["json"] = lines[-1] if lines else None
    return r


def load_note():
    one = os.getloadavg()[0]
    return f"load average {one:.1f}" + (f" (more than the {os.cpu_count()} cores: not a result)" if one > os.cpu_count() else "")


def fmt(x, digits=2):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def median(values):
    s = sorted(values)
    return s[len(s) // 2] if s else float("nan")


# ---------------------------------------------------------------- the fine-tuning epoch

def prepare(a, python):
    """The inputs, made once per (slides, tiles, classes, seed) and kept under --out."""
    key = f"s{a.slides}-t{a.tiles}-c{a.classes}-l{len(a.feat_layer.split('-'))}-seed{a.seed}"
    folder = os.path.join(a.out, "data", key)
    stamp = os.path.join(folder, "done.json")
    if not os.path.exists(stamp):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        started = time.perf_counter()
        r = child("data", os.path.join(a.out, "logs", "data"), python, out=folder, slides=a.slides, tiles=a.tiles,
                  classes=a.classes, seed=a.seed, feat_layers=len(a.feat_layer.split("-")))
        if r["rc"] != 0 or r["json"] is None:
            sys.exit(f"making the inputs failed (rc {r['rc']}):\n{r['stderr'][-3000:]}")
        json.dump(r["json"], open(stamp, "w"))
        print(f"inputs made in {time.perf_counter() - started:.0f} s: {folder}", flush=True)
    size = sum(os.path.getsize(os.path.join(folder, "features", f)) for f in os.listdir(os.path.join(folder, "features")))
    print(f"inputs: {a.slides} slides x {a.tiles} tiles of random features (1536 wide, seed {a.seed}; "
          f"{size / 1e6:.0f} MB as safetensors for Tessera, the same numbers as .h5 for upstream's SlideDataset), "
          f"{a.classes} classes; random GigaPath-size slide encoder (12 layers, 768 wide, 16 heads): {folder}", flush=True)
    return folder


def run_tessera(a, data, name):
    run = os.path.join(a.out, "runs", name)
    shutil.rmtree(run, ignore_errors=True)
    os.makedirs(os.path.dirname(run), exist_ok=True)
    features = os.path.join(data, "features" if a.tessera_reads == "safetensors" else "features_h5")
    cmd = [os.path.abspath(a.tessera), "finetune", "--features", features,
           "--labels", os.path.join(data, "labels.csv"), "--task-config", os.path.join(data, "task.yaml"),
           "--slide-encoder", os.path.join(data, "slide_encoder"), "--feat-layer", a.feat_layer,
           "--lr", str(a.lr), "--min-lr", str(a.min_lr), "--weight-decay", str(a.weight_decay),
           "--layer-decay", str(a.layer_decay), "--accumulate", str(a.accumulate), "--epochs", "1",
           "--warmup-epochs", "0", "--init", os.path.join(data, "classifier_init.safetensors"),
           "--seed", str(a.seed), "--threads", str(a.threads), "-o", run]
    cmd += ["--global-pool"] if a.global_pool else []
    cmd += [] if a.shuffle else ["--no-shuffle"]
    r = run_measured(cmd, os.path.join(a.out, "logs", name), limit_s=a.limit_s)
    r["cmd"] = cmd
    metrics = os.path.join(run, "metrics.jsonl")
    try:
        r["steps"] = [json.loads(x) for x in open(metrics) if '"loss"' in x]
        # run.json is written when the inputs are read and training starts; metrics.jsonl was
        # last written by the epoch's last step line (no evaluation without splits).
        r["epoch_s"] = os.path.getmtime(metrics) - os.path.getmtime(os.path.join(run, "run.json"))
        r["to_last_step_s"] = os.path.getmtime(metrics) - r["started"]
    except OSError:
        r["steps"], r["epoch_s"], r["to_last_step_s"] = [], None, None
    if r["rc"] != 0:
        print(f"  tessera finetune failed (rc {r['rc']}): {r['stderr'].strip()[-2000:]}", flush=True)
    return r


def run_torch(a, data, name, python):
    r = child("torch", os.path.join(a.out, "logs", name), python, limit_s=a.limit_s, upstream=a.upstream, threads=a.threads,
              task=os.path.join(data, "task.yaml"), labels=os.path.join(data, "labels.csv"),
              h5_dir=os.path.join(data, "features_h5"), weights=os.path.join(data, "slide_encoder", "slide_encoder.safetensors"),
              classifier=os.path.join(data, "classifier_init.safetensors"), feat_layer=a.feat_layer, global_pool=a.global_pool,
              lr=a.lr, min_lr=a.min_lr, weight_decay=a.weight_decay, layer_decay=a.layer_decay, accumulate=a.accumulate,
              epochs=1, warmup_epochs=0, seed=a.seed, workers=a.workers, shuffle=a.shuffle, attention=a.attention)
    if r["rc"] != 0 or r["json"] is None:
        print(f"  pytorch (upstream's loop) failed (rc {r['rc']}): {r['stderr'].strip()[-3000:]}", flush=True)
    return r


def finetune_bench(a, python):
    data = prepare(a, python)
    if a.slides % a.accumulate:
        print(f"note: {a.slides} slides are not a multiple of --accumulate {a.accumulate}: the last "
              f"{a.slides % a.accumulate} slides of the epoch fill no window (Tessera stops before them in a run's last "
              f"epoch; upstream runs them): Tessera's time stops at its last step line")
    print(f"settings: feat layer {a.feat_layer}, {'mean' if a.global_pool else 'class-token'} pooling, lr {a.lr}, min lr "
          f"{a.min_lr}, weight decay {a.weight_decay}, layer decay {a.layer_decay}, accumulate (gc) {a.accumulate}, 1 epoch, "
          f"warm-up 0, batch 1, dropout 0, f32, {'shuffled slides (orders differ)' if a.shuffle else 'slides in the CSV order'}; "
          f"threads {a.threads} (tessera --threads, torch.set_num_threads); DataLoader workers {a.workers}; tessera reads "
          f"the {a.tessera_reads} files, upstream the .h5", flush=True)
    results = []
    for r in range(a.rounds):
        torch_first = r % 2 == 1
        load0 = os.getloadavg()[0]
        if torch_first:
            p = run_torch(a, data, f"torch-{r + 1}", python)
            t = run_tessera(a, data, f"tessera-{r + 1}")
        else:
            t = run_tessera(a, data, f"tessera-{r + 1}")
            p = run_torch(a, data, f"torch-{r + 1}", python)
        results.append((t, p))
        report_round(a, r, t, p, torch_first, load0)
    summary(a, results)


def report_round(a, r, t, p, torch_first, load0):
    pj = p["json"] or {}
    print(f"\nround {r + 1}/{a.rounds} ({'pytorch' if torch_first else 'tessera'} ran first; load average {load0:.1f} -> "
          f"{os.getloadavg()[0]:.1f})")
    print(f"  tessera: {' '.join(t['cmd'][1:])}")
    print(f"  tessera: epoch {fmt(t['epoch_s'])} s (run.json -> last step line); process start -> last step line "
          f"{fmt(t['to_last_step_s'])} s; whole process {t['wall_s']:.2f} s (CPU {t['cpu_s']:.1f} s, with the final checkpoint "
          f"and model); peak RSS {t['peak_rss_mb']:.0f} MB (whole process)")
    if pj:
        for note in pj["notes"]:
            print(f"  upstream, replaced: {note}")
        epoch_peak = f"; during the epoch {pj['peak_epoch_mb']:.0f} MB (VmHWM reset before it)" if pj.get("peak_epoch_mb") else ""
        print(f"  pytorch (upstream's train_one_epoch; torch {pj['torch']}, numpy {pj['numpy']}): epoch {pj['epoch_s']:.2f} s "
              f"(CPU {pj['epoch_cpu_s']:.1f} s); before it {pj['before_epoch_s']:.1f} s (imports, the model with its position "
              f"table {pj['build_s']:.1f} s, the optimizer); whole process {p['wall_s']:.1f} s; peak RSS {p['peak_rss_mb']:.0f} MB "
              f"(whole process; {pj['peak_before_epoch_mb']:.0f} MB before the epoch{epoch_peak})")
    compare_losses(a, t, pj)


def windows(pj, accumulate):
    """Upstream's per-slide losses as Tessera's step lines: the mean of each full window of gc slides."""
    losses, lrs = pj.get("slide_losses", []), pj.get("slide_lrs", [])
    return [(sum(losses[i:i + accumulate]) / accumulate, lrs[i]) for i in range(0, len(losses) - accumulate + 1, accumulate)]


def compare_losses(a, t, pj):
    w = windows(pj, a.accumulate)
    if not t["steps"] or not w:
        print("  losses: nothing to compare")
        return None
    worst, agree = 0.0, True
    print(f"  {'step':>4} {'tessera loss':>14} {'pytorch loss':>14} {'abs. diff':>10} {'rel. diff':>10} {'tessera lr':>11} {'pytorch lr':>11}")
    for i, (step, (loss, lr)) in enumerate(zip(t["steps"], w)):
        gap = abs(step["loss"] - loss)
        diff = gap / max(abs(loss), 1e-12)
        if i < a.compare_steps:
            worst = max(worst, diff)
            agree = agree and gap <= a.loss_rtol * abs(loss) + a.loss_atol
        print(f"  {step['step']:>4} {step['loss']:>14.7f} {loss:>14.7f} {gap:>10.1e} {diff:>10.1e} {step['lr']:>11.3e} {lr:>11.3e}")
    if a.shuffle:
        print("  (shuffled: the engines draw different slide orders, the losses are not comparable)")
    else:
        verdict = "agree" if agree else "DISAGREE: the comparison is not of the same computation"
        print(f"  => losses of the first {min(a.compare_steps, len(w), len(t['steps']))} steps {verdict} "
              f"(|diff| <= {a.loss_rtol:g} x |loss| + {a.loss_atol:g}; worst rel. diff {worst:.1e})")
    t["loss_worst"] = worst
    return worst


def summary(a, results):
    ok = [(t, p) for t, p in results if t["rc"] == 0 and t["epoch_s"] and p["json"]]
    if not ok:
        print("\nno round finished on both sides: no ratio")
        return
    t_epoch, p_epoch = median([t["epoch_s"] for t, _ in ok]), median([p["json"]["epoch_s"] for _, p in ok])
    t_start = median([t["to_last_step_s"] for t, _ in ok])
    t_rss, p_rss = max(t["peak_rss_mb"] for t, _ in ok), max(p["peak_rss_mb"] for _, p in ok)
    p_epoch_rss = [p["json"]["peak_epoch_mb"] for _, p in ok if p["json"].get("peak_epoch_mb")]
    time_ratio, rss_ratio = t_epoch / p_epoch, t_rss / p_rss
    print(f"\nsummary ({len(ok)} round(s); median epoch times, largest peaks; {load_note()})")
    print(f"  epoch, {a.slides} slides x {a.tiles} tiles: tessera {t_epoch:.2f} s, pytorch {p_epoch:.2f} s: "
          f"{time_ratio:.3f}x pytorch's time (goal <= 0.8: {'met' if time_ratio <= 0.8 else 'missed'}); counting tessera "
          f"from its process start: {t_start / p_epoch:.3f}x")
    line = (f"  peak RSS, whole processes: tessera {t_rss:.0f} MB, pytorch {p_rss:.0f} MB: {rss_ratio:.3f}x "
            f"(goal <= 0.5: {'met' if rss_ratio <= 0.5 else 'missed'})")
    if p_epoch_rss:
        line += f"; against pytorch's peak during the epoch alone ({max(p_epoch_rss):.0f} MB): {t_rss / max(p_epoch_rss):.3f}x"
    print(line)
    if not a.quick and (a.slides, a.tiles) != (64, 2000):
        print("  (not the goal's 64 x 2,000: the verdicts above are for this size)")
    if a.quick:
        print("  (--quick: a check of the script, not the goal's measurement)")


# ---------------------------------------------------------------- tessera probe

def probe_bench(a, python):
    folder = os.path.join(a.out, "probe", f"n{a.probe_slides}-d{a.probe_dim}-c{a.probe_classes}-seed{a.seed}")
    if not os.path.exists(os.path.join(folder, "done.json")):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        r = child("probe_data", os.path.join(a.out, "logs", "probe-data"), python, out=folder, slides=a.probe_slides,
                  dim=a.probe_dim, classes=a.probe_classes, seed=a.seed)
        if r["rc"] != 0:
            sys.exit(f"making the probe inputs failed:\n{r['stderr'][-3000:]}")
        json.dump(r["json"], open(os.path.join(folder, "done.json"), "w"))
    exe = os.path.abspath(a.tessera)
    help_run = subprocess.run([exe, "probe", "--help"], capture_output=True, text=True)
    print(f"\ntessera probe: {a.probe_slides} slide embeddings (slide_embed [{a.probe_dim}], {a.probe_classes} separable "
          f"classes, upstream's split files 70/10/20): {folder}")
    if help_run.returncode != 0 or "USAGE: tessera probe" not in help_run.stdout + help_run.stderr:
        print(f"  `tessera probe --help` (rc {help_run.returncode}) shows no probe command in this build: skipped")
        return
    out = os.path.join(a.out, "runs", "probe")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fields = {"embeddings": os.path.join(folder, "embeddings"), "labels": os.path.join(folder, "labels.csv"),
              "task": os.path.join(folder, "task.yaml"), "splits": os.path.join(folder, "splits"), "threads": a.threads,
              "out": out}
    cmd = [exe, "probe"] + [w.format(**fields) for w in a.probe_args.split()]
    times = []
    for k in range(a.probe_repeats):
        shutil.rmtree(out, ignore_errors=True)
        r = run_measured(cmd, os.path.join(a.out, "logs", f"probe-{k + 1}"))
        if r["rc"] != 0:
            print(f"  {' '.join(cmd[1:])}\n  failed (rc {r['rc']}): {r['stderr'].strip()[-1500:]}\n  its --help:\n"
                  + "\n".join("    " + x for x in help_run.stdout.splitlines()) + "\n  (adjust --probe-args)")
            return
        times.append(r["wall_s"])
        print(f"  run {k + 1}: {r['wall_s']:.2f} s whole process (CPU {r['cpu_s']:.2f} s), peak RSS {r['peak_rss_mb']:.0f} MB; "
              f"{load_note()}", flush=True)
    print(f"  {' '.join(cmd[1:])}")
    try:
        m = json.load(open(os.path.join(out, "metrics.json")))
        test = m.get("mean_test_metrics", {})
        print(f"  probe's test metrics (metrics.json): " + ", ".join(f"{k} {test[k]:.4f}" for k in ("acc", "bacc", "macro_auroc")
                                                                      if isinstance(test.get(k), (int, float))))
    except (OSError, ValueError):
        print(f"  (no readable {out}/metrics.json)")
    best = min(times)
    print(f"  => tessera probe: {best:.2f} s (best of {len(times)}; median {median(times):.2f} s) "
          f"(goal < 5 s: {'met' if best < 5 else 'missed'}); {load_note()}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tessera", default=os.path.join(ROOT, ".build", "release", "tessera"))
    p.add_argument("--upstream", default="/tmp/gigapath", help="prov-gigapath's repository (its gigapath/ and finetune/)")
    p.add_argument("--python", default=sys.executable, help="the Python with torch, timm, h5py, pandas, scikit-learn for the children")
    p.add_argument("--out", default=os.path.join("/tmp", "tessera-bench-finetune"), help="inputs, runs and logs (~1.6 GB at full size)")
    p.add_argument("--only", default="finetune,probe", help="finetune, probe, or both")
    p.add_argument("--quick", action="store_true", help="8 slides x 500 tiles, --accumulate 4: checks the script, measures nothing")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--slides", type=int, default=64)
    p.add_argument("--tiles", type=int, default=2000)
    p.add_argument("--classes", type=int, default=3)
    p.add_argument("--feat-layer", default="11")
    p.add_argument("--global-pool", action="store_true")
    p.add_argument("--lr", type=float, default=5e-4, help="upstream's effective default: blr 4e-3 x gc 32 / 256")
    p.add_argument("--min-lr", type=float, default=1e-6)
    p.add_argument("--weight-decay", type=float, default=1e-5)
    p.add_argument("--layer-decay", type=float, default=0.95)
    p.add_argument("--accumulate", type=int, default=32, help="upstream's --gc")
    p.add_argument("--shuffle", action="store_true", help="shuffled slide orders (upstream's RandomSampler, Tessera's seeded "
                   "shuffle): the losses no longer compare")
    p.add_argument("--workers", type=int, default=0, help="upstream's DataLoader workers (its default is 10)")
    p.add_argument("--attention", choices=["flash-cpu", "math"], default="flash-cpu",
                   help="what replaces flash_attn_func upstream: torch's fused CPU flash attention, or plain torch operations")
    p.add_argument("--tessera-reads", choices=["safetensors", "h5"], default="safetensors",
                   help="the feature files Tessera reads: its own, or the .h5 files upstream reads")
    p.add_argument("--rounds", type=int, default=1, help="rounds, alternating which engine runs first")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--compare-steps", type=int, default=2, help="steps whose losses must agree")
    p.add_argument("--loss-rtol", type=float, default=1e-4)
    p.add_argument("--loss-atol", type=float, default=1e-6,
                   help="absolute slack: a float32 cross-entropy near 0 is a log(1 + tiny) rounded to ~1e-7, "
                        "so a loss of 5e-4 cannot agree to 1e-4 relative")
    p.add_argument("--limit-s", type=float, default=7200, help="stop a run after this many seconds")
    p.add_argument("--probe-slides", type=int, default=1000)
    p.add_argument("--probe-dim", type=int, default=768)
    p.add_argument("--probe-classes", type=int, default=3)
    p.add_argument("--probe-repeats", type=int, default=3)
    p.add_argument("--probe-args", default="--features {embeddings} --labels {labels} --task-config {task} "
                   "--splits {splits} --threads {threads} -o {out}",
                   help="tessera probe's arguments; {embeddings} {labels} {task} {splits} {threads} {out} are filled in")
    p.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    p.add_argument("child_args", nargs="?", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return CHILDREN[a.child](json.loads(a.child_args))
    if a.quick:
        a.slides, a.tiles, a.accumulate = 8, 500, 4
    a.out = os.path.abspath(a.out)
    only = set(a.only.split(","))
    if not os.path.exists(a.tessera):
        sys.exit(f"{a.tessera} not found: run `swift build -c release --product tessera` first")
    if "finetune" in only and not os.path.exists(os.path.join(a.upstream, "finetune", "training.py")):
        sys.exit(f"{a.upstream}: no finetune/training.py; get upstream's code with "
                 f"`git clone https://github.com/prov-gigapath/prov-gigapath {a.upstream}` (see bench/README.md)")
    os.makedirs(os.path.join(a.out, "logs"), exist_ok=True)
    show_machine(machine(a.threads, a.python), "start")
    print(f"tessera {a.tessera}; upstream {a.upstream} "
          f"({subprocess.run(['git', '-C', a.upstream, 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip() or 'not a git checkout'})",
          flush=True)
    if "finetune" in only:
        finetune_bench(a, a.python)
    if "probe" in only:
        probe_bench(a, a.python)
    show_machine(machine(a.threads, a.python), "end")


if __name__ == "__main__":
    main()

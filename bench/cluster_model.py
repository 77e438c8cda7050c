#!/usr/bin/env python3
"""A model on paper of the teacher cache and the distillation on many nodes, from figures measured
on one machine (docs/cluster.md explains each term). No timing here: arithmetic on the inputs.

    python3 bench/cluster_model.py --teacher-core-s 5.6 --student-core-s 0.45 --gradient-mb 147

--teacher-core-s: core-seconds per tile of the teacher tile encoder (bench/tile_encoder.py: GigaPath
  2.8 s/tile on 2 threads = 5.6); --student-core-s: core-seconds per tile of a distillation step
  (bench/distill.py (d): one rank's seconds per step at one thread / tiles per step); --gradient-mb:
  the gradient one rank sends per step with one slide per rank (metrics.jsonl exchange_bytes).
"""
import argparse


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--slides", type=int, default=500)
    p.add_argument("--tiles", type=int, default=5000, help="tiles per slide")
    p.add_argument("--cores", type=int, default=32, help="cores per node")
    p.add_argument("--nodes", default="1,8,64")
    p.add_argument("--networks-gbit", default="10,100")
    p.add_argument("--teacher-core-s", type=float, required=True)
    p.add_argument("--student-core-s", type=float, required=True)
    p.add_argument("--gradient-mb", type=float, required=True)
    p.add_argument("--tiles-per-step", type=int, default=256, help="--tiles-per-step of the distillation")
    p.add_argument("--shared-memory-gbs", type=float, default=0.0,
                   help="measured exchange rate between ranks of one node (GB/s; 0: free)")
    p.add_argument("--ranks-per-node", type=int, default=4, help="ranks per node (threads per rank = cores / this)")
    p.add_argument("--parallel-efficiency", type=float, default=0.9,
                   help="fraction of a node's cores a rank's threads turn into work (threads share memory bandwidth)")
    p.add_argument("--hidden-kb", type=float, default=197 * 1536 * 2 / 1024, help="cached h_t per tile (f16)")
    a = p.parse_args()
    tiles = a.slides * a.tiles
    print(f"dataset: {a.slides} slides x {a.tiles} tiles = {tiles / 1e6:.2f} M tiles; nodes of {a.cores} cores; "
          f"teacher {a.teacher_core_s} core-s/tile, student step {a.student_core_s} core-s/tile, gradient {a.gradient_mb} MB")
    cache_tb = tiles * a.hidden_kb * 1024 / 1e12
    print(f"teacher cache: {cache_tb:.2f} TB of h_t (f16), written once, read {a.tiles_per_step} tiles per slide per step")
    print("\nteacher cache fill (job array, no communication): hours, and the write rate it needs")
    for n in map(int, a.nodes.split(",")):
        seconds = tiles * a.teacher_core_s / (n * a.cores * a.parallel_efficiency)
        print(f"  {n:>3} nodes: {seconds / 3600:8.1f} h   {tiles * a.hidden_kb / 1024 / seconds:8.1f} MB/s of cache written")
    print(f"\ndistillation, {a.ranks_per_node} ranks per node, one slide per rank per step (--slides-per-step = ranks), "
          f"--tiles-per-step {a.tiles_per_step}: seconds per step and tiles/s")
    exchange_bytes = 2 * a.gradient_mb * 1e6  # the all-to-all and the all-gather each move ~ one gradient per rank
    for gbit in map(float, a.networks_gbit.split(",")):
        for n in map(int, a.nodes.split(",")):
            ranks = n * a.ranks_per_node
            compute = a.tiles_per_step * a.student_core_s / (a.cores / a.ranks_per_node * a.parallel_efficiency)
            # Ranks on one node share its link: a node moves ranks-per-node gradients' worth per step.
            local = exchange_bytes / 2 / (a.shared_memory_gbs * 1e9) if a.shared_memory_gbs else 0.0
            network = local if n == 1 else max(local, exchange_bytes * a.ranks_per_node / (gbit * 1e9 / 8))
            step = compute + network
            reads = ranks * a.tiles_per_step * a.hidden_kb / 1024 / step
            print(f"  {gbit:>5.0f} Gb/s {n:>3} nodes ({ranks:>3} ranks): compute {compute:6.2f} s + exchange {network:6.2f} s "
                  f"= {step:6.2f} s/step, {ranks * a.tiles_per_step / step:8.0f} tiles/s, exchange {100 * network / step:4.1f}%, "
                  f"cache read {reads:7.0f} MB/s (needs --slides-per-step {ranks})")


if __name__ == "__main__":
    main()

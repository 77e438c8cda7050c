"""The machine beside every benchmark figure: CPU model, the SIMD flags that matter to GEMM, the
sgemm rate of the BLAS Tessera calls (bench/sgemm_rate.py, on the benchmark's threads), load
average and available memory."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def machine(threads, python=sys.executable):
    """CPU model, the SIMD flags that matter to GEMM, sgemm rate of the BLAS Tessera calls, load."""
    flags, model = set(), "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            flags = set(line.split(":")[1].split())
        elif line.startswith("model name"):
            model = line.split(":")[1].strip()
    wanted = ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16"]
    rate = subprocess.run([python, os.path.join(HERE, "sgemm_rate.py"), str(threads)], capture_output=True,
                          text=True, cwd=HERE).stdout.strip() or "?"
    available = next((int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemAvailable")), 0)
    return {"cpu": model, "cores": os.cpu_count(), "flags": [f for f in wanted if f in flags], "sgemm_gflops": rate,
            "load": os.getloadavg(), "mem_available_mb": available}


def show_machine(m, when):
    load = ", ".join(f"{x:.1f}" for x in m["load"])
    print(f"machine ({when}): {m['cpu']}, {m['cores']} cores; flags {' '.join(m['flags'])}; "
          f"sgemm {m['sgemm_gflops']} GFLOP/s on the benchmark's threads (bench/sgemm_rate.py); load average {load}; "
          f"{m['mem_available_mb'] / 1024:.1f} GB available", flush=True)

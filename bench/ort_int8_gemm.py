#!/usr/bin/env python3
"""ONNX Runtime's int8 linear layer on the shapes bench/int8_gemm.c times: the
com.microsoft DynamicQuantizeMatMul node that onnxruntime's quantize_dynamic
(per_channel=True) produces, i.e. activations quantised per tensor at run time,
int8 weights with per-column scales, f32 out. One intra-op thread, no spinning;
best time of the calling thread's CPU time (as bench/int8_gemm.c measures).

    pip install onnxruntime onnx
    python3 bench/ort_int8_gemm.py [SECONDS_PER_SHAPE]
"""
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def session(n, k, rng):
    w = rng.integers(-127, 128, size=(k, n), dtype=np.int8)
    inits = [numpy_helper.from_array(w, "w"),
             numpy_helper.from_array(np.full(n, 0.01, dtype=np.float32), "w_scale"),
             numpy_helper.from_array(np.zeros(n, dtype=np.int8), "w_zero")]
    node = helper.make_node("DynamicQuantizeMatMul", ["x", "w", "w_scale", "w_zero"], ["y"], domain="com.microsoft")
    graph = helper.make_graph([node], "linear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])


def best_seconds(run, budget):
    run()
    times, start = [], time.thread_time()
    while len(times) < 5 or time.thread_time() - start < budget:
        t0 = time.thread_time()
        run()
        times.append(time.thread_time() - t0)
    return min(times)


def main():
    budget = float(sys.argv[1]) if len(sys.argv) > 1 else 0.5
    rng = np.random.default_rng(1)
    print(f"onnxruntime {ort.__version__}, 1 thread, DynamicQuantizeMatMul")
    for model, d in (("ViT-S", 384), ("ViT-B", 768)):
        m, total = 8 * 197, 0.0
        for name, n, k in (("qkv", 3 * d, d), ("proj", d, d), ("fc1", 4 * d, d), ("fc2", d, 4 * d)):
            s = session(n, k, rng)
            x = (rng.random((m, k), dtype=np.float32) - 0.5)
            t = best_seconds(lambda: s.run(None, {"x": x}), budget)
            total += t
            print(f"{model:6s} {name:5s} {m:5d} {n:5d} {k:5d}  {1e3 * t:8.3f} ms {2 * m * n * k / t * 1e-9:7.1f} GOP/s")
        print(f"{model:6s} all four linears {1e3 * total:8.3f} ms; per tile x12 blocks: {12e3 * total / 8:.2f} ms")


if __name__ == "__main__":
    main()

/// y = x W^T + b, PyTorch's `nn.Linear` over a batch of rows.
public enum Linear {
    /// out[rows, outFeatures] = inp[rows, inFeatures] · weight[outFeatures, inFeatures]^T + bias[outFeatures]
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               rows: Int, inFeatures: Int, outFeatures: Int) {
        if let bias {
            for r in 0..<rows { (out + r * outFeatures).update(from: bias, count: outFeatures) }
        }
        GEMM.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
                   a: inp, lda: inFeatures, b: weight, ldb: inFeatures,
                   beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
    }
}

/// y = x W^T + b, PyTorch's `nn.Linear` over a batch of rows.
public enum Linear {
    /// out[rows, outFeatures] = inp[rows, inFeatures] · weight[outFeatures, inFeatures]^T + bias[outFeatures]
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               rows: Int, inFeatures: Int, outFeatures: Int) {
        if let bias {
            // Spread over the threads too: serial, this fill was ~1% of a ViT-B forward.
            Parallel.chunks(rows) { range in
                for r in range { (out + r * outFeatures).update(from: bias, count: outFeatures) }
            }
        }
        GEMM.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
                   a: inp, lda: inFeatures, b: weight, ldb: inFeatures,
                   beta: bias == nil ? 0 : 1, c: out, ldc: outFeatures)
    }

    /// Gradients of `forward`, accumulated (+=) into every buffer given:
    /// dinp[rows, inFeatures]        += dout[rows, outFeatures] · weight[outFeatures, inFeatures]
    /// dweight[outFeatures, inFeatures] += dout^T · inp[rows, inFeatures]
    /// dbias[outFeatures]            += sum over rows of dout
    /// (from out = inp · weight^T + bias). Pass nil for a gradient that is not wanted
    /// (a frozen weight, or the network input). `overwritingInput`: dinp is written (=), not
    /// added to: the same values as adding to zeros, without zeroing and reading the buffer.
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                rows: Int, inFeatures: Int, outFeatures: Int, overwritingInput: Bool = false) {
        if let dinp {
            GEMM.sgemm(m: rows, n: inFeatures, k: outFeatures, a: dout, lda: outFeatures,
                       b: weight, ldb: inFeatures, beta: overwritingInput ? 0 : 1, c: dinp, ldc: inFeatures)
        }
        if let dweight {
            GEMM.sgemm(transA: true, m: outFeatures, n: inFeatures, k: rows, a: dout, lda: outFeatures,
                       b: inp, ldb: inFeatures, beta: 1, c: dweight, ldc: inFeatures)
        }
        if let dbias { ColumnSum.accumulate(into: dbias, dout, rows: rows, cols: outFeatures) }
    }
}

/// LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) * weight + bias,
/// with the biased variance, as `torch.nn.LayerNorm`.
public enum LayerNorm {
    /// out[rows, cols] = layernorm(inp[rows, cols]); mean[rows] and rstd[rows]
    /// (1 / sqrt(var + eps)) are stored when given, for the backward pass.
    /// `out` may alias `inp`.
    public static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>? = nil,
                               rstd: UnsafeMutablePointer<Float>? = nil, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               rows: Int, cols: Int, eps: Float) {
        Parallel.chunks(rows) { range in
            for r in range {
                let x = inp + r * cols, y = out + r * cols
                var sum: Float = 0
                for c in 0..<cols { sum += x[c] }
                let m = sum / Float(cols)
                var sq: Float = 0
                for c in 0..<cols { let d = x[c] - m; sq += d * d }
                let s = 1 / (sq / Float(cols) + eps).squareRoot()
                for c in 0..<cols { y[c] = (x[c] - m) * s * weight[c] + bias[c] }
                mean?[r] = m
                rstd?[r] = s
            }
        }
    }
}

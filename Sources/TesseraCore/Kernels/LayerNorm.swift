import CTesseraKernels

/// LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) * weight + bias,
/// with the biased variance, as `torch.nn.LayerNorm`.
public enum LayerNorm {
    /// out[rows, cols] = layernorm(inp[rows, cols]); mean[rows] and rstd[rows]
    /// (1 / sqrt(var + eps)) are stored when given, for the backward pass.
    /// `out` may alias `inp`. Computed by CTesseraKernels' `tk_layer_norm` at the CPU's
    /// full vector width, its sums in a fixed order of 32 lanes (the same bits on every path).
    public static func forward(out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>? = nil,
                               rstd: UnsafeMutablePointer<Float>? = nil, inp: UnsafePointer<Float>,
                               weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               rows: Int, cols: Int, eps: Float) {
        let path = tk_best_path()
        Parallel.chunks(rows) { range in
            let first = range.lowerBound
            let status = tk_layer_norm(path, inp + first * cols, out + first * cols, range.count, cols,
                                       weight, bias, eps, mean.map { $0 + first }, rstd.map { $0 + first })
            guarantee(status == TK_OK, "tk_layer_norm failed with status \(status.rawValue)")
        }
    }
}

extension LayerNorm {
    /// Gradients of `forward` from its saved mean[rows] and rstd[rows], accumulated (+=):
    /// with xhat = (x - mean) * rstd and g = weight * dout (from y = xhat * weight + bias),
    /// dinp[rows, cols]  += rstd * (g - mean_c(g) - xhat * mean_c(g * xhat))
    /// dweight[cols]     += sum over rows of dout * xhat
    /// dbias[cols]       += sum over rows of dout
    /// Nil gradients are skipped (frozen parameters).
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?,
                                dbias: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>, rows: Int, cols: Int) {
        if let dinp {
            Parallel.chunks(rows) { range in
                for r in range {
                    let x = inp + r * cols, dy = dout + r * cols, dx = dinp + r * cols
                    let m = mean[r], s = rstd[r]
                    var gMean: Float = 0, gxMean: Float = 0
                    for c in 0..<cols {
                        let g = weight[c] * dy[c]
                        gMean += g
                        gxMean += g * (x[c] - m) * s
                    }
                    gMean /= Float(cols)
                    gxMean /= Float(cols)
                    for c in 0..<cols {
                        let xhat = (x[c] - m) * s
                        dx[c] += s * (weight[c] * dy[c] - gMean - xhat * gxMean)
                    }
                }
            }
        }
        if dweight == nil && dbias == nil { return }
        // Threads own disjoint column ranges, so the row sums need no reduction step.
        // Sums over many rows are kept in double (a bias gradient is often a small sum of large terms).
        let columns = { (range: Range<Int>) in
            var sw = [Double](repeating: 0, count: range.count), sb = sw
            for r in 0..<rows {
                let x = inp + r * cols, dy = dout + r * cols
                let m = mean[r], s = rstd[r]
                for (j, c) in range.enumerated() {
                    sw[j] += Double(dy[c] * (x[c] - m) * s)
                    sb[j] += Double(dy[c])
                }
            }
            for (j, c) in range.enumerated() {
                dweight?[c] += Float(sw[j])
                dbias?[c] += Float(sb[j])
            }
        }
        if rows * cols < 1 << 16 { columns(0..<cols) } else { Parallel.chunks(cols, columns) }
    }
}

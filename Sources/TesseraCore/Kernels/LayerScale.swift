/// Per-channel scaling y = x * gamma (timm `LayerScale`), and the residual add around it.
public enum LayerScale {
    /// out[rows, cols] = inp[rows, cols] * gamma[cols]; `out` may alias `inp`.
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               gamma: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.chunks(rows) { range in
            for r in range {
                let x = inp + r * cols, y = out + r * cols
                for c in 0..<cols { y[c] = x[c] * gamma[c] }
            }
        }
    }

    /// Gradients of `forward`, accumulated: dinp[rows, cols] += dout * gamma;
    /// dgamma[cols] += sum over rows of dout * inp (from y = x * gamma).
    public static func backward(dinp: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?,
                                dout: UnsafePointer<Float>, inp: UnsafePointer<Float>,
                                gamma: UnsafePointer<Float>, rows: Int, cols: Int) {
        if let dinp {
            Parallel.chunks(rows) { range in
                for r in range {
                    let dy = dout + r * cols, dx = dinp + r * cols
                    for c in 0..<cols { dx[c] += dy[c] * gamma[c] }
                }
            }
        }
        guard let dgamma else { return }
        let columns = { (range: Range<Int>) in
            for r in 0..<rows {
                let x = inp + r * cols, dy = dout + r * cols
                for c in range { dgamma[c] += dy[c] * x[c] }
            }
        }
        if rows * cols < 1 << 16 { columns(0..<cols) } else { Parallel.chunks(cols, columns) }
    }
}

/// Residual connections x = x + f(x): the gradient reaching x is passed through
/// unchanged to both branches.
public enum Residual {
    /// x[rows, cols] += scale[cols] ⊙ inp[rows, cols]   (x += inp when scale is nil): the
    /// residual add with timm's LayerScale fused in, one pass over x.
    public static func forward(x: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               scale: UnsafePointer<Float>?, rows: Int, cols: Int) {
        Parallel.chunks(rows) { range in
            for r in range {
                let xr = x + r * cols, yr = inp + r * cols
                if let scale {
                    for c in 0..<cols { xr[c] += scale[c] * yr[c] }
                } else {
                    for c in 0..<cols { xr[c] += yr[c] }
                }
            }
        }
    }

    /// x[rows, cols] += row[cols]   (a bias broadcast over rows)
    public static func forward(x: UnsafeMutablePointer<Float>, row: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.chunks(rows) { range in
            for r in range {
                let xr = x + r * cols
                for c in 0..<cols { xr[c] += row[c] }
            }
        }
    }

    /// dinp[count] += dout[count] (from out = inp + branch).
    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, count: Int) {
        Parallel.chunks(count) { range in
            for i in range { dinp[i] += dout[i] }
        }
    }
}

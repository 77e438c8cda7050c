/// Per-channel scaling y = x * gamma (timm `LayerScale`).
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

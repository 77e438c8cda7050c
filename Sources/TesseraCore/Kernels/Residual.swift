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

/// The residual update of a transformer block, with timm's optional LayerScale.
public enum Residual {
    /// x[rows, cols] += scale[cols] ⊙ inp[rows, cols]   (x += inp when scale is nil)
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
}

extension Residual {
    /// x[rows, cols] += row[cols]   (a bias broadcast over rows)
    public static func forward(x: UnsafeMutablePointer<Float>, row: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.chunks(rows) { range in
            for r in range {
                let xr = x + r * cols
                for c in 0..<cols { xr[c] += row[c] }
            }
        }
    }
}

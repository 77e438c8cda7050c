import CPosix

extension SlideEncoder {
    /// The fixed 2-D sine-cosine position of a grid cell, computed on demand
    /// instead of the reference's (gridSize^2 + 1) x D table (3 GB for D = 768).
    ///
    /// For cell p = column * gridSize + row (column = floor(x / tile), row = floor(y / tile)),
    /// with h = p div gridSize and w = p mod gridSize:
    /// pos(p) = [sc(w), sc(h)], sc(t) = [sin(t om_k), cos(t om_k)], om_k = 10000^(-k/(D/4)),
    /// k = 0..<D/4, in float64 then cast to float32 (numpy's `get_2d_sincos_pos_embed`).
    /// So the first half encodes the row (y) index. The CLS token's position is zero.
    public struct PositionEncoding: Sendable {
        let dim: Int
        /// om_k, k = 0..<dim/4.
        let omega: [Double]

        public init(dim: Int) {
            self.dim = dim
            let quarter = dim / 4
            omega = (0..<quarter).map { 1 / pow(10000, Double($0) / Double(quarter)) }
        }

        /// out[dim] += pos(column * gridSize + row), written as its two halves.
        public func add(column: Int, row: Int, to out: UnsafeMutablePointer<Float>) {
            let quarter = dim / 4
            for (half, t) in [(0, row), (1, column)] {
                let o = out + half * 2 * quarter
                for k in 0..<quarter {
                    let angle = Double(t) * omega[k]
                    o[k] += Float(sin(angle))
                    o[quarter + k] += Float(cos(angle))
                }
            }
        }
    }
}

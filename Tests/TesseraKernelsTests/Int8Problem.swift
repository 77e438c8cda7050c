import CTesseraKernels

/// One int8 linear layer to compute: f32 activations, int8 weights with their
/// scales and bias, and the plain Swift definition of the result.
struct Int8Problem {
    let m: Int, n: Int, k: Int
    let ldx: Int
    var x: [Float]
    var w: [Int8]
    var wscale: [Float]
    var bias: [Float]?

    /// Random values; rows of very different magnitudes, weights over the
    /// whole int8 range (-128 included).
    init(m: Int, n: Int, k: Int, withBias: Bool, seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        self.m = m
        self.n = n
        self.k = k
        let ldx = k + 2
        self.ldx = ldx
        let magnitudes: [Float] = [1, 1e-3, 40, 0.2]
        x = (0..<(m * ldx)).map { i in Float.random(in: -1...1, using: &random) * magnitudes[i / ldx % 4] }
        w = (0..<(n * k)).map { _ in Int8.random(in: .min ... .max, using: &random) }
        w[0] = -128
        wscale = (0..<n).map { _ in Float.random(in: 0.001...0.01, using: &random) }
        bias = withBias ? (0..<n).map { _ in Float.random(in: -1...1, using: &random) } : nil
    }

    func quantized(path: tk_path = TK_PATH_SCALAR) -> Quantized {
        Quantized(path: path, x: x, m: m, k: k, ldx: ldx)
    }

    /// Exact integer dot products, then the three float roundings in order.
    func reference(_ a: Quantized) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        a.q.withUnsafeBufferPointer { q in
            w.withUnsafeBufferPointer { w in
                for r in 0..<m {
                    for c in 0..<n {
                        var acc: Int64 = 0
                        for i in 0..<k { acc += Int64(q[r * a.ldq + i]) * Int64(w[c * k + i]) }
                        var v = Float(Int32(acc)) * a.scale[r]
                        v = v * wscale[c]
                        y[r * n + c] = v + (bias?[c] ?? 0)
                    }
                }
            }
        }
        return y
    }

    /// The weights packed for `path`; nil with the status when packing fails.
    func pack(_ path: tk_path) -> (weights: OpaquePointer?, status: tk_status) {
        var packed: OpaquePointer?
        let status = bias.map { tk_weights_pack(path, w, k, n, k, wscale, $0, &packed) }
            ?? tk_weights_pack(path, w, k, n, k, wscale, nil, &packed)
        return (packed, status)
    }

    /// Rows x columns of the product through tk_gemm, into an m x ldy matrix
    /// prefilled with `fill`.
    func run(_ weights: OpaquePointer?, _ a: Quantized, rows: Range<Int>? = nil, columns: Range<Int>? = nil,
             ldy: Int? = nil, fill: Float = 0) -> (y: [Float], status: tk_status) {
        let rows = rows ?? 0..<m, columns = columns ?? 0..<n, ldy = ldy ?? n
        var y = [Float](repeating: fill, count: m * ldy)
        let status = tk_gemm(weights, a.q, a.ldq, a.scale, a.sum, rows.lowerBound, rows.upperBound,
                             columns.lowerBound, columns.upperBound, &y, ldy)
        return (y, status)
    }
}

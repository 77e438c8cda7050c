import CPosix

extension DilatedAttention {
    /// How much the class token (position 0) attends to each position, averaged over the heads:
    /// a[p] = (1/H) Σ_h Σ_b w_b(h) · softmax_b(h)[p], the very weights `forward` gives row 0's
    /// output (out[0, head h] = Σ_p a_h[p] · v[p, head h]), computed in double for one query.
    ///
    /// In branch b (segment sl', ratio r) position 0 is row 0 of segment 0's head group 0: only
    /// heads [0, ⌈H / r⌉) see it there, among positions 0, r, 2r, … < sl' plus the segment's
    /// zero-padded keys (logit 0, value 0, so they take weight but carry nothing: a sums to
    /// less than 1). w_b(h) is the softmax over the branches that see (0, h) of their lse.
    /// (The reference's "an lse of exactly 0 is unseen" quirk is not repeated: in double it
    /// does not arise.)
    ///
    /// q0 [heads·headDim] is the class token's query, k [tokens, heads·headDim] every key;
    /// returns a [tokens].
    public static func classTokenWeights(q0: UnsafePointer<Float>, k: UnsafePointer<Float>, tokens: Int, heads: Int,
                                         headDim: Int, branches: [Branch]) -> [Double] {
        var attention = [Double](repeating: 0, count: tokens)
        guard tokens > 0, heads > 0 else { return attention }
        let dim = heads * headDim, scale = 1 / Double(headDim).squareRoot()
        for h in 0..<heads {
            // Per branch that sees (0, h): its keys' scores and lse.
            var seen: [(positions: StrideTo<Int>, scores: [Double], lse: Double)] = []
            for branch in branches {
                let g = Geometry(tokens: tokens, heads: heads, branch: branch)
                guard h < g.headsPerGroup else { continue }
                let positions = stride(from: 0, to: g.segmentLength, by: g.ratio)
                let scores = positions.map { p in
                    var s = 0.0
                    for c in 0..<headDim { s += Double(q0[h * headDim + c]) * Double(k[p * dim + h * headDim + c]) }
                    return s * scale
                }
                let padded = g.groupLength - scores.count
                let top = max(scores.max() ?? 0, padded > 0 ? 0 : -.infinity)
                let sum = scores.reduce(0) { $0 + exp($1 - top) } + Double(padded) * exp(-top)
                seen.append((positions, scores, top + log(sum)))
            }
            guard let topLSE = seen.map({ $0.lse }).max() else { continue }
            let total = seen.reduce(0) { $0 + exp($1.lse - topLSE) }
            for branch in seen {
                let weight = exp(branch.lse - topLSE) / total
                for (p, s) in zip(branch.positions, branch.scores) { attention[p] += weight * exp(s - branch.lse) / Double(heads) }
            }
        }
        return attention
    }
}

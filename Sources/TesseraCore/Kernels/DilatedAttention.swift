import CPosix
import CTesseraKernels

/// LongNet dilated attention, exactly as prov-gigapath's torchscale
/// `DilatedAttention` computes it (docs/models.md §3.6), in O(tokens * dim) memory.
///
/// For each branch (segment length sl, ratio r), with n tokens and H heads:
/// sl' = min(sl, n); the sequence is cut into segments of sl' (the last one
/// zero-padded), each segment zero-padded to a multiple of r. The head count is
/// padded to H' = multiple of r; head group j = heads [j*H'/r, (j+1)*H'/r) attends,
/// inside each segment, among the positions p with p mod r == j only: softmax
/// attention with scale headDim^-0.5, padded keys included (logit 0, value 0),
/// keeping each row's log-sum-exp. A (position, head) a branch does not see gets
/// output 0 and lse -1e8. The branches merge per (position, head) with weights
/// softmax over branches of lse.
///
/// Quirks kept from the reference: an lse of exactly 0 counts as "not seen"
/// (-1e8); the branch outputs are laid out segment after segment at the padded
/// segment length, so when sl' is not a multiple of r (only sl = 185363 with
/// r = 8 and more than 185363 tokens) later positions receive the outputs of
/// shifted, possibly padded (all-zero) queries.
///
/// Memory: the merged output itself plus two floats per (position, head) (and, for
/// training, one lse per (branch, position, head)); the
/// scores exist only per block of `queryBlock` query rows of one head group.
public enum DilatedAttention {
    /// One (segment length, dilation ratio) pair of the attention.
    public struct Branch: Sendable, Equatable {
        public var segmentLength: Int
        public var ratio: Int
        public init(segmentLength: Int, ratio: Int) {
            self.segmentLength = segmentLength
            self.ratio = ratio
        }
    }

    /// Query rows per score block: [queryBlock, keys] scores stay in cache.
    static let queryBlock = 256

    /// The lse the reference gives a (position, head) a branch does not see.
    static let unseenLSE: Float = -1e8

    /// out[tokens, heads*headDim] = dilated attention of q, k, v [tokens, heads*headDim],
    /// head h at columns h*headDim..<(h+1)*headDim. `out` must not alias q, k or v.
    /// When given, lse[branches, tokens, heads] receives each branch's log-sum-exp at the
    /// (row, head) pairs it adds to the merge, -inf elsewhere: what `backward` needs.
    /// Segments, heads and query blocks of a branch run in parallel. With `bf16`, both
    /// products of each head run in bf16 (`Bf16Products`).
    public static func forward(out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>? = nil,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               tokens: Int, heads: Int, headDim: Int, branches: [Branch], bf16: Bool = false) {
        let dim = heads * headDim
        out.initialize(repeating: 0, count: tokens * dim)
        guard tokens > 0, heads > 0 else { return }
        let merge = Merge(tokens: tokens, heads: heads, headDim: headDim, out: out)
        defer { merge.deallocate() }
        for (b, branch) in branches.enumerated() {
            let g = Geometry(tokens: tokens, heads: heads, branch: branch)
            let items = g.segments * heads * g.queryBlocks
            let branchLSE = lse.map { $0 + b * tokens * heads }
            branchLSE?.initialize(repeating: -.infinity, count: tokens * heads)
            Parallel.chunks(items) { range in
                let scratch = Scratch(groupLength: g.groupLength, headDim: headDim)
                let products = bf16 ? Bf16Products(groupLength: g.groupLength, headDim: headDim) : nil
                defer { scratch.deallocate(); products?.free() }
                for item in range {
                    attend(item: item, geometry: g, q: q, k: k, v: v, headDim: headDim,
                           scratch: scratch, bf16: products, merge: merge, lse: branchLSE)
                }
            }
        }
        merge.normalise()
    }

    /// Gradients of `forward`, accumulated (+=) into dq, dk, dv [tokens, heads*headDim], given
    /// dout = d loss / d out and the lse [branches, tokens, heads] `forward` wrote for these
    /// q, k, v. The branch-merge weights w_b = softmax over branches of lse_b are constants here,
    /// as in the reference (it computes them under no_grad), so branch b receives
    /// d o_b = w_b ⊙ dout and backpropagates through its own softmax attention:
    ///
    ///     P = softmax(S) = exp(S - lse_b), S = scale q k^T (zero-padded keys: logit 0, value 0), o_b = P v
    ///     dP = d o_b v^T;  dS = P ⊙ (dP - rowsum(P ⊙ dP));  dq = scale dS k;  dk = scale dS^T q;  dv = P^T d o_b
    ///
    /// Score blocks are recomputed, so memory stays O(tokens * dim). Gradients reaching padded
    /// keys, values and queries are dropped; a padded (all-zero) query that lands on a real output
    /// row (the reference's shifted layout) averages the values, so only dv receives its gradient.
    ///
    /// dkSum[heads*headDim] += the sum of dk over the tokens (the key projection's bias gradient):
    /// softmax ignores a shift of all keys, so this sum is only what the zero-padded keys leave
    /// over. A row of dS sums to 0 over all keys, so over the real ones it is
    /// rowsum(P ⊙ dP) × (the padding keys' probability), taken in that closed form (in double)
    /// rather than from the float dk rows, whose sum would lose it to cancellation.
    public static func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, dkSum: UnsafeMutablePointer<Float>? = nil,
                                dout: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                                q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                tokens: Int, heads: Int, headDim: Int, branches: [Branch]) {
        guard tokens > 0, heads > 0, !branches.isEmpty else { return }
        let pairs = tokens * heads
        // The merge weights: softmax over the branches that add (row, head), an lse of exactly 0
        // counting as unseen (-1e8), as in the forward merge.
        let weights = UnsafeMutablePointer<Float>.allocate(capacity: branches.count * pairs)
        defer { weights.deallocate() }
        Parallel.chunks(pairs) { range in
            for pair in range {
                func seen(_ b: Int) -> Float? {
                    let value = lse[b * pairs + pair]
                    return value > -.infinity ? (value == 0 ? unseenLSE : value) : nil
                }
                let maxLSE = branches.indices.compactMap(seen).max() ?? 0
                var sum: Float = 0
                for b in branches.indices {
                    let w = seen(b).map { expf($0 - maxLSE) } ?? 0
                    weights[b * pairs + pair] = w
                    sum += w
                }
                if sum > 0 { for b in branches.indices { weights[b * pairs + pair] /= sum } }
            }
        }
        for (b, branch) in branches.enumerated() {
            let g = Geometry(tokens: tokens, heads: heads, branch: branch)
            // One (segment, head) per item: its query blocks share dk, dv rows, so they run in order.
            // Each item sums its dk columns into its own slice of keySums (in double).
            let items = g.segments * heads
            let keySums = UnsafeMutablePointer<Double>.allocate(capacity: items * headDim)
            defer { keySums.deallocate() }
            keySums.initialize(repeating: 0, count: items * headDim)
            Parallel.chunks(items) { range in
                let scratch = BackwardScratch(groupLength: g.groupLength, headDim: headDim)
                defer { scratch.deallocate() }
                for item in range {
                    let layout = Layout(g, segment: item / heads, head: item % heads, headDim: headDim)
                    branchBackward(layout, weights: weights + b * pairs, lse: lse + b * pairs, dq: dq, dk: dk, dv: dv,
                                   keySum: keySums + item * headDim, dout: dout, q: q, k: k, v: v, scratch: scratch)
                }
            }
            if let dkSum {
                for item in 0..<items {
                    let column = dkSum + (item % heads) * headDim, sum = keySums + item * headDim
                    for c in 0..<headDim { column[c] += Float(sum[c]) }
                }
            }
        }
    }

    /// Where one branch puts things.
    struct Geometry {
        let tokens: Int, heads: Int, ratio: Int
        /// sl' = min(sl, n): segment length before padding.
        let segmentLength: Int
        let segments: Int
        /// sl' rounded up to a multiple of r: the stride of the outputs.
        let paddedSegment: Int
        /// Positions of one head group in one segment (padding included).
        let groupLength: Int
        /// H'/r, with H' the head count padded to a multiple of r.
        let headsPerGroup: Int
        let queryBlocks: Int

        init(tokens: Int, heads: Int, branch: Branch) {
            self.tokens = tokens
            self.heads = heads
            ratio = max(1, branch.ratio)
            segmentLength = max(1, min(branch.segmentLength, tokens))
            segments = (tokens + segmentLength - 1) / segmentLength
            paddedSegment = (segmentLength + ratio - 1) / ratio * ratio
            groupLength = paddedSegment / ratio
            headsPerGroup = (heads + ratio - 1) / ratio
            queryBlocks = (groupLength + DilatedAttention.queryBlock - 1) / DilatedAttention.queryBlock
        }
    }

    /// Where the rows of one (segment, head) of one branch live: group row i is token
    /// segmentStart + group + r·i, and its output goes to row outStart + r·i (the
    /// reference's padded layout), for both `forward` and `backward`.
    struct Layout {
        let g: Geometry
        let head: Int, headDim: Int, dim: Int
        /// Real (non-padding) positions of this head's group in the segment: group rows 0..<keys.
        let keys: Int
        /// Group rows whose outputs land on real rows.
        let visibleRows: Int
        /// Input offset of group row 0 (its head's columns) and the output row of group row 0.
        let base: Int, outStart: Int

        init(_ g: Geometry, segment: Int, head: Int, headDim: Int) {
            self.g = g
            self.head = head
            self.headDim = headDim
            dim = g.heads * headDim
            let group = head / g.headsPerGroup
            let segmentStart = segment * g.segmentLength
            let limit = min(g.segmentLength, g.tokens - segmentStart)
            keys = limit > group ? (limit - 1 - group) / g.ratio + 1 : 0
            outStart = segment * g.paddedSegment + group
            visibleRows = outStart < g.tokens ? min(g.groupLength, (g.tokens - 1 - outStart) / g.ratio + 1) : 0
            base = (segmentStart + group) * dim + head * headDim
        }

        var rowStride: Int { g.ratio * dim }
        func outRow(_ i: Int) -> Int { outStart + g.ratio * i }
        var scale: Float { Float(1 / Double(headDim).squareRoot()) }

        /// scores[rows.count, keys] = scale * q[rows] k^T
        func scores(into scores: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, rows: Range<Int>) {
            GEMM.sgemm(transB: true, m: rows.count, n: keys, k: headDim, alpha: scale,
                       a: q + base + rows.lowerBound * rowStride, lda: rowStride, b: k + base, ldb: rowStride,
                       c: scores, ldc: keys)
        }
    }

    /// Per-worker buffers.
    struct Scratch {
        let scores: UnsafeMutablePointer<Float>   // [queryBlock, groupLength]
        let rowOut: UnsafeMutablePointer<Float>   // [queryBlock, headDim]
        let lse: UnsafeMutablePointer<Float>      // [queryBlock]
        let invSum: UnsafeMutablePointer<Float>   // [queryBlock]

        init(groupLength: Int, headDim: Int) {
            scores = .allocate(capacity: queryBlock * groupLength)
            rowOut = .allocate(capacity: queryBlock * headDim)
            lse = .allocate(capacity: queryBlock)
            invSum = .allocate(capacity: queryBlock)
        }

        func deallocate() {
            scores.deallocate(); rowOut.deallocate(); lse.deallocate(); invSum.deallocate()
        }
    }

    /// One block of query rows of one head in one segment of one branch.
    static func attend(item: Int, geometry g: Geometry, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                       v: UnsafePointer<Float>, headDim: Int, scratch: Scratch, bf16: Bf16Products?, merge: Merge,
                       lse branchLSE: UnsafeMutablePointer<Float>?) {
        // Head slowest: `Parallel.chunks` gives each worker a contiguous run of
        // items, and runs of whole heads cost the same (segments differ: the last
        // is usually short). Query blocks fastest: a worker's consecutive items share
        // their (segment, head), whose keys the bf16 products pack once. Each (row, head)
        // gets one item's output per branch, so the order does not change the result.
        let block = item % g.queryBlocks
        let segment = (item / g.queryBlocks) % g.segments
        let head = item / (g.segments * g.queryBlocks)
        let l = Layout(g, segment: segment, head: head, headDim: headDim)
        // Group rows below `keys` are real tokens; the rest are zero padding (keys: logit 0,
        // value 0). Rows past `visibleRows` land beyond the end and are dropped.
        let keys = l.keys
        let rowBegin = block * queryBlock, rowEnd = min(rowBegin + queryBlock, l.visibleRows)
        guard rowBegin < rowEnd else { return }

        let realEnd = min(rowEnd, keys)
        if rowBegin < realEnd {
            let rows = realEnd - rowBegin
            // scores[t, s] = scale * q[t] · k[s]
            if let bf16 {
                bf16.prepare(l, segment: segment, k: k, v: v)
                bf16.scores(into: scratch.scores, l, q: q, rows: rowBegin..<realEnd)
            } else {
                l.scores(into: scratch.scores, q: q, k: k, rows: rowBegin..<realEnd)
            }
            // rowOut[t] = sum_s exp(scores[t, s] - max) v[s]   (normalised in the merge)
            if let bf16 {
                bf16.exponentiate(scratch.scores, keys: keys, rows: rows, zeroLogits: g.groupLength - keys,
                                  lse: scratch.lse, invSum: scratch.invSum)
                bf16.weightedValues(l, rows: rows, into: scratch.rowOut)
            } else {
                for t in 0..<rows {
                    let (maxValue, sum) = exponentiate(scratch.scores + t * keys, count: keys, zeroLogits: g.groupLength - keys)
                    scratch.lse[t] = maxValue + logf(sum)
                    scratch.invSum[t] = 1 / sum
                }
                GEMM.sgemm(m: rows, n: headDim, k: keys, a: scratch.scores, lda: keys, b: v + l.base, ldb: l.rowStride,
                           c: scratch.rowOut, ldc: headDim)
            }
            for t in 0..<rows {
                let row = l.outRow(rowBegin + t)
                merge.add(row: row, head: head, output: scratch.rowOut + t * headDim, weight: scratch.invSum[t], lse: scratch.lse[t])
                branchLSE?[row * g.heads + head] = scratch.lse[t]
            }
        }
        // Padded (all-zero) queries that land on real output rows: every logit is 0,
        // so the output is the mean of the group's values (padding included).
        let zeroBegin = max(rowBegin, keys)
        if zeroBegin < rowEnd {
            let mean = scratch.rowOut
            mean.initialize(repeating: 0, count: headDim)
            for s in 0..<keys {
                let row = v + l.base + s * l.rowStride
                for c in 0..<headDim { mean[c] += row[c] }
            }
            let lse = logf(Float(g.groupLength))
            for i in zeroBegin..<rowEnd {
                merge.add(row: l.outRow(i), head: head, output: mean, weight: 1 / Float(g.groupLength), lse: lse)
                branchLSE?[l.outRow(i) * g.heads + head] = lse
            }
        }
    }

    /// x[count] = exp(x - m) in place (CTesseraKernels' `tk_exp`), with m = max(x, and 0 when
    /// zeroLogits > 0); returns m and the sum of exp(x - m) plus zeroLogits * exp(-m).
    @inline(__always)
    static func exponentiate(_ x: UnsafeMutablePointer<Float>, count: Int, zeroLogits: Int) -> (Float, Float) {
        var maxValue = VectorMath.maximum(x, count: count)
        if zeroLogits > 0 { maxValue = max(maxValue, 0) }
        let status = tk_exp(tk_best_path(), x, x, count, maxValue)
        guarantee(status == TK_OK, "tk_exp failed with status \(status.rawValue)")
        var sum = VectorMath.sum(x, count: count)
        if zeroLogits > 0 { sum += Float(zeroLogits) * expf(-maxValue) }
        return (maxValue, sum)
    }

    /// The running softmax-over-branches merge: per (row, head) the largest lse
    /// so far and the sum of exp(lse - that max); `out` holds the weighted sum
    /// of branch outputs relative to the same max.
    struct Merge {
        let heads: Int, headDim: Int, count: Int
        let out: UnsafeMutablePointer<Float>
        let maxLSE: UnsafeMutablePointer<Float>
        let weightSum: UnsafeMutablePointer<Float>

        init(tokens: Int, heads: Int, headDim: Int, out: UnsafeMutablePointer<Float>) {
            self.heads = heads
            self.headDim = headDim
            self.out = out
            count = tokens * heads
            maxLSE = .allocate(capacity: count)
            maxLSE.initialize(repeating: DilatedAttention.unseenLSE, count: count)
            weightSum = .allocate(capacity: count)
            weightSum.initialize(repeating: 0, count: count)
        }

        func deallocate() { maxLSE.deallocate(); weightSum.deallocate() }

        /// Adds branch output `weight * output[headDim]` with log-sum-exp `lse` at (row, head).
        /// Pairs a branch does not see are never added: their weight exp(-1e8 - max)
        /// is exactly 0 in float32 next to any real lse.
        @inline(__always)
        func add(row: Int, head: Int, output: UnsafePointer<Float>, weight: Float, lse: Float) {
            let lse = lse == 0 ? DilatedAttention.unseenLSE : lse
            let index = row * heads + head
            let newMax = max(maxLSE[index], lse)
            let keep = expf(maxLSE[index] - newMax), gain = expf(lse - newMax)
            maxLSE[index] = newMax
            weightSum[index] = weightSum[index] * keep + gain
            let o = out + index * headDim, scaled = gain * weight
            for c in 0..<headDim { o[c] = o[c] * keep + output[c] * scaled }
        }

        /// out /= the weight sums (pairs no branch saw stay 0).
        func normalise() {
            Parallel.chunks(count) { range in
                for index in range where weightSum[index] > 0 {
                    let inv = 1 / weightSum[index], o = out + index * headDim
                    for c in 0..<headDim { o[c] *= inv }
                }
            }
        }
    }
}

/// The backward pass of one branch (see `backward`).
extension DilatedAttention {
    struct BackwardScratch {
        let p: UnsafeMutablePointer<Float>      // [queryBlock, groupLength]
        let ds: UnsafeMutablePointer<Float>     // [queryBlock, groupLength]
        let dOut: UnsafeMutablePointer<Float>   // [queryBlock, headDim]

        init(groupLength: Int, headDim: Int) {
            p = .allocate(capacity: queryBlock * groupLength)
            ds = .allocate(capacity: queryBlock * groupLength)
            dOut = .allocate(capacity: queryBlock * headDim)
        }

        func deallocate() { p.deallocate(); ds.deallocate(); dOut.deallocate() }
    }

    /// The backward pass of one (segment, head) of one branch, query block by query block;
    /// weights and lse [tokens, heads] are the branch's.
    static func branchBackward(_ l: Layout, weights: UnsafePointer<Float>, lse: UnsafePointer<Float>,
                               dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                               keySum: UnsafeMutablePointer<Double>, dout: UnsafePointer<Float>,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               scratch s: BackwardScratch) {
        let keys = l.keys, hd = l.headDim, heads = l.g.heads, paddingKeys = Double(l.g.groupLength - keys)
        let path = tk_best_path()
        var rowBegin = 0
        while rowBegin < l.visibleRows {
            let rowEnd = min(rowBegin + queryBlock, l.visibleRows)
            defer { rowBegin = rowEnd }
            // d o_b of the block's rows: w_b ⊙ dout at their output rows.
            for i in rowBegin..<rowEnd {
                let row = l.outRow(i), w = weights[row * heads + l.head]
                let src = dout + row * l.dim + l.head * hd, dst = s.dOut + (i - rowBegin) * hd
                for c in 0..<hd { dst[c] = w * src[c] }
            }
            let realEnd = min(rowEnd, keys)
            if rowBegin < realEnd {
                let rows = realEnd - rowBegin
                // P = exp(S - lse) over the real keys (the zero-logit padding keys take the rest)
                l.scores(into: s.p, q: q, k: k, rows: rowBegin..<realEnd)
                // dP = d o_b v^T (padding keys have v = 0, so their dP is 0)
                GEMM.sgemm(transB: true, m: rows, n: keys, k: hd, a: s.dOut, lda: hd, b: v + l.base, ldb: l.rowStride,
                           c: s.ds, ldc: keys)
                for t in 0..<rows {
                    let pr = s.p + t * keys, dr = s.ds + t * keys
                    let rowLSE = lse[l.outRow(rowBegin + t) * heads + l.head]
                    let status = tk_exp(path, pr, pr, keys, rowLSE)
                    guarantee(status == TK_OK, "tk_exp failed with status \(status.rawValue)")
                    // dS = P ⊙ (dP - rowsum(P ⊙ dP))
                    let dot = VectorMath.dot(pr, dr, count: keys, lanes: VectorMath.Lanes.self)
                    for j in 0..<keys { dr[j] = pr[j] * (dr[j] - dot) }
                    // sum_s dk[s] += scale * q[t] * sum over real s of dS[t, s] (see `backward`)
                    guard paddingKeys > 0 else { continue }
                    let factor = Double(l.scale) * Double(dot) * paddingKeys * exp(-Double(rowLSE))
                    let qt = q + l.base + (rowBegin + t) * l.rowStride
                    for c in 0..<hd { keySum[c] += factor * Double(qt[c]) }
                }
                // dq[rows] += scale dS k;  dk += scale dS^T q[rows];  dv += P^T d o_b
                GEMM.sgemm(m: rows, n: hd, k: keys, alpha: l.scale, a: s.ds, lda: keys, b: k + l.base, ldb: l.rowStride,
                           beta: 1, c: dq + l.base + rowBegin * l.rowStride, ldc: l.rowStride)
                GEMM.sgemm(transA: true, m: keys, n: hd, k: rows, alpha: l.scale, a: s.ds, lda: keys,
                           b: q + l.base + rowBegin * l.rowStride, ldb: l.rowStride, beta: 1, c: dk + l.base, ldc: l.rowStride)
                GEMM.sgemm(transA: true, m: keys, n: hd, k: rows, a: s.p, lda: keys, b: s.dOut, ldb: hd,
                           beta: 1, c: dv + l.base, ldc: l.rowStride)
            }
            // Zero (padded) queries on real rows: o = mean of the group's values (padding included).
            let inv = 1 / Float(l.g.groupLength)
            for i in max(rowBegin, keys)..<max(rowEnd, keys) {
                let d = s.dOut + (i - rowBegin) * hd
                for j in 0..<keys {
                    let dst = dv + l.base + j * l.rowStride
                    for c in 0..<hd { dst[c] += d[c] * inv }
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DilatedAttention {
    /// Gradients of `forward`, accumulated (+=) into dq, dk, dv [tokens, heads*headDim], given
    /// dout = d loss / d out. The branch-merge weights w_b = softmax over branches of lse_b are
    /// constants here, as in the reference (it computes them under no_grad), so branch b
    /// receives d o_b = w_b ⊙ dout and backpropagates through its own softmax attention:
    ///
    ///     P = softmax(S), S = scale q k^T (zero-padded keys: logit 0, value 0), o_b = P v
    ///     dP = d o_b v^T;  dS = P ⊙ (dP - rowsum(P ⊙ dP));  dq = scale dS k;  dk = scale dS^T q;  dv = P^T d o_b
    ///
    /// Nothing is saved by the forward pass: the lse of every branch (for the weights) and each
    /// score block are recomputed, so memory stays O(tokens * dim). Gradients reaching padded
    /// keys, values and queries are dropped; a padded (all-zero) query that lands on a real output
    /// row (the reference's shifted layout) averages the values, so only dv receives its gradient.
    ///
    /// dkSum[heads*headDim] += the sum of dk over the tokens (the key projection's bias gradient),
    /// computed in double as scale * sum_t q[t] * rowsum(dS[t]): softmax ignores a shift of all
    /// keys, so this sum is only what the zero-padded keys leave over, and summing the float dk
    /// rows would lose it to cancellation.
    public static func backward(dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>,
                                dv: UnsafeMutablePointer<Float>, dkSum: UnsafeMutablePointer<Float>? = nil,
                                dout: UnsafePointer<Float>,
                                q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                tokens: Int, heads: Int, headDim: Int, branches: [Branch]) {
        guard tokens > 0, heads > 0, !branches.isEmpty else { return }
        let pairs = tokens * heads
        // lse[b][row * heads + head] of every (row, head) branch b adds to the merge; -inf where it adds nothing.
        let lse = UnsafeMutablePointer<Float>.allocate(capacity: branches.count * pairs)
        defer { lse.deallocate() }
        lse.initialize(repeating: -.infinity, count: branches.count * pairs)
        for (b, branch) in branches.enumerated() {
            let g = Geometry(tokens: tokens, heads: heads, branch: branch)
            Parallel.chunks(g.segments * heads * g.queryBlocks) { range in
                let scratch = Scratch(groupLength: g.groupLength, headDim: headDim)
                defer { scratch.deallocate() }
                for item in range {
                    let block = item % g.queryBlocks, head = (item / g.queryBlocks) % heads
                    let layout = Layout(g, segment: item / (g.queryBlocks * heads), head: head, headDim: headDim)
                    let rowBegin = block * queryBlock, rowEnd = min(rowBegin + queryBlock, layout.visibleRows)
                    guard rowBegin < rowEnd else { continue }
                    let realEnd = min(rowEnd, layout.keys)
                    if rowBegin < realEnd {
                        layout.scores(into: scratch.scores, q: q, k: k, rows: rowBegin..<realEnd)
                        for t in 0..<(realEnd - rowBegin) {
                            let (m, s) = exponentiate(scratch.scores + t * layout.keys, count: layout.keys,
                                                      zeroLogits: g.groupLength - layout.keys)
                            lse[b * pairs + layout.outRow(rowBegin + t) * heads + head] = m + logf(s)
                        }
                    }
                    for i in max(rowBegin, layout.keys)..<max(rowEnd, layout.keys) {
                        lse[b * pairs + layout.outRow(i) * heads + head] = logf(Float(g.groupLength))
                    }
                }
            }
        }
        // The merge weights, in place of the lse: softmax over the branches that add (row, head),
        // an lse of exactly 0 counting as unseen (-1e8), as in the forward merge.
        Parallel.chunks(pairs) { range in
            for pair in range {
                var maxLSE = -Float.infinity
                for b in branches.indices where lse[b * pairs + pair] > -.infinity {
                    if lse[b * pairs + pair] == 0 { lse[b * pairs + pair] = unseenLSE }
                    maxLSE = max(maxLSE, lse[b * pairs + pair])
                }
                var sum: Float = 0
                for b in branches.indices {
                    let w = lse[b * pairs + pair] > -.infinity ? expf(lse[b * pairs + pair] - maxLSE) : 0
                    lse[b * pairs + pair] = w
                    sum += w
                }
                if sum > 0 { for b in branches.indices { lse[b * pairs + pair] /= sum } }
            }
        }
        let weights = UnsafePointer(lse)
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
                    branchBackward(layout, weights: weights + b * pairs, dq: dq, dk: dk, dv: dv, keySum: keySums + item * headDim,
                                   dout: dout, q: q, k: k, v: v, scratch: scratch)
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

    /// The backward pass of one (segment, head) of one branch, query block by query block.
    static func branchBackward(_ l: Layout, weights: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                               dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
                               keySum: UnsafeMutablePointer<Double>, dout: UnsafePointer<Float>,
                               q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                               scratch s: BackwardScratch) {
        let keys = l.keys, hd = l.headDim, heads = l.g.heads
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
                // P = softmax(S) over the real keys and the zero-logit padding keys
                l.scores(into: s.p, q: q, k: k, rows: rowBegin..<realEnd)
                for t in 0..<rows {
                    let pr = s.p + t * keys
                    let (_, sum) = exponentiate(pr, count: keys, zeroLogits: l.g.groupLength - keys)
                    let inv = 1 / sum
                    for j in 0..<keys { pr[j] *= inv }
                }
                // dP = d o_b v^T (padding keys have v = 0, so their dP is 0)
                GEMM.sgemm(transB: true, m: rows, n: keys, k: hd, a: s.dOut, lda: hd, b: v + l.base, ldb: l.rowStride,
                           c: s.ds, ldc: keys)
                // dS = P ⊙ (dP - rowsum(P ⊙ dP))
                // (in double: dS sums to ~0 over a row, and the key bias's gradient is exactly that sum)
                for t in 0..<rows {
                    let pr = s.p + t * keys, dr = s.ds + t * keys
                    var dot: Double = 0, rowSum: Double = 0
                    for j in 0..<keys { dot += Double(pr[j]) * Double(dr[j]) }
                    for j in 0..<keys {
                        let ds = Double(pr[j]) * (Double(dr[j]) - dot)
                        rowSum += ds
                        dr[j] = Float(ds)
                    }
                    // sum_s dk[s] += scale * q[t] * sum_s dS[t, s]
                    let qt = q + l.base + (rowBegin + t) * l.rowStride, factor = Double(l.scale) * rowSum
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

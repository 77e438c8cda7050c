import CPosix
import CTesseraKernels

extension DilatedAttention {
    /// One worker's bf16 products for `forward` (docs/models.md §7): the keys and Vᵀ of one
    /// (segment, head) of a branch rounded to bf16 and packed once, as the weights of the two
    /// products, for all its query blocks; the queries and the rows of exp(S - max) rounded per
    /// block as their inputs. The scale multiplies the queries in f32 before they are rounded
    /// (a pass over [rows, headDim] rather than over the scores); the exponentials and their
    /// sums are f32, taken with their rounding in one pass (tk_exp_bf16_rows).
    final class Bf16Products {
        let queries: Bf16Rows, weights: Bf16Rows, keys: Bf16Rows, values: Bf16Rows
        /// Vᵀ [headDim, keys] in f32, gathered before rounding.
        let valuesT: UnsafeMutablePointer<Float>
        /// The block's queries times the scale [queryBlock, headDim], before rounding.
        let scaled: UnsafeMutablePointer<Float>
        /// Each row's largest score and sum of exponentials [queryBlock].
        let maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>
        let path = tk_best_path()
        private var packedKeys: OpaquePointer?, packedValues: OpaquePointer?
        /// The (segment, head) packed, as segment * heads + head.
        private var packedFor = -1

        init(groupLength: Int, headDim: Int) {
            queries = Bf16Rows(rows: queryBlock, cols: headDim)
            weights = Bf16Rows(rows: queryBlock, cols: groupLength)
            keys = Bf16Rows(rows: groupLength, cols: headDim)
            values = Bf16Rows(rows: headDim, cols: groupLength)
            valuesT = .allocate(capacity: headDim * groupLength)
            scaled = .allocate(capacity: queryBlock * headDim)
            maxima = .allocate(capacity: queryBlock)
            sums = .allocate(capacity: queryBlock)
        }

        func free() {
            release()
            for rows in [queries, weights, keys, values] { rows.free() }
            for buffer in [valuesT, scaled, maxima, sums] { buffer.deallocate() }
        }

        private func release() {
            tk_bf16_weights_free(packedKeys)
            tk_bf16_weights_free(packedValues)
            packedKeys = nil
            packedValues = nil
        }

        /// Packs the keys and Vᵀ of `l` (segment `segment`, l.keys >= 1 of them) unless they are
        /// the ones packed last.
        func prepare(_ l: Layout, segment: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>) {
            let id = segment * l.g.heads + l.head
            guard id != packedFor else { return }
            release()
            let n = l.keys, d = l.headDim
            keys.round(k + l.base, ldx: l.rowStride, rows: n, cols: d)
            packedKeys = keys.pack(path, rows: n, cols: d)
            VectorMath.transpose(v + l.base, ld: l.rowStride, rows: n, cols: d, into: valuesT)
            values.round(valuesT, ldx: n, rows: d, cols: n)
            packedValues = values.pack(path, rows: d, cols: n)
            packedFor = id
        }

        /// scores[rows.count, keys] = (scale * q[rows]) kᵀ, `Layout.scores` in bf16.
        func scores(into scores: UnsafeMutablePointer<Float>, _ l: Layout, q: UnsafePointer<Float>, rows: Range<Int>) {
            let d = l.headDim, scale = l.scale
            for (t, row) in rows.enumerated() {
                VectorMath.map(out: scaled + t * d, inp: q + l.base + row * l.rowStride, count: d) { $0 * scale }
            }
            queries.round(scaled, ldx: d, rows: rows.count, cols: d)
            queries.multiply(packedKeys!, rows: rows.count, columns: 0..<l.keys, y: scores, ldy: l.keys, add: false)
        }

        /// For each of `rows` rows of scores [rows, keys] (and `zeroLogits` padding keys of logit 0):
        /// m = its maximum (0 at least, with padding), e = exp(s - m) rounded into the weights,
        /// lse[t] = m + log(sum e), invSum[t] = 1 / sum e (the padding's exp(-m) included).
        func exponentiate(_ scores: UnsafePointer<Float>, keys: Int, rows: Int, zeroLogits: Int,
                          lse: UnsafeMutablePointer<Float>, invSum: UnsafeMutablePointer<Float>) {
            for t in 0..<rows {
                let m = VectorMath.maximum(scores + t * keys, count: keys)
                maxima[t] = zeroLogits > 0 ? max(m, 0) : m
            }
            let status = tk_exp_bf16_rows(path, scores, keys, rows, keys, maxima, weights.values, weights.ldx, sums)
            guarantee(status == TK_OK, "tk_exp_bf16_rows failed with status \(status.rawValue)")
            for t in 0..<rows {
                let sum = zeroLogits > 0 ? sums[t] + Float(zeroLogits) * expf(-maxima[t]) : sums[t]
                lse[t] = maxima[t] + logf(sum)
                invSum[t] = 1 / sum
            }
        }

        /// out[rows, headDim] = e[rows, keys] v, e as `exponentiate` left it.
        func weightedValues(_ l: Layout, rows: Int, into out: UnsafeMutablePointer<Float>) {
            weights.multiply(packedValues!, rows: rows, columns: 0..<l.headDim, y: out, ldy: l.headDim, add: false)
        }
    }
}

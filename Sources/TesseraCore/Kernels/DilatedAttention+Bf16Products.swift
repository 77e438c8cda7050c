import CPosix
import CTesseraKernels

extension DilatedAttention {
    /// One worker's bf16 products for `forward` (docs/models.md §7): the keys and Vᵀ of one
    /// (segment, head) of a branch rounded to bf16 and packed once, straight from k and v, as the
    /// weights of the two products, for all its query blocks; the queries and the rows of
    /// exp(S - max) rounded per block as their inputs. The scale multiplies the queries in f32
    /// before they are rounded (a pass over [rows, headDim] rather than over the scores); the
    /// exponentials and their sums are f32, taken with their rounding in one pass (tk_exp_bf16_rows).
    final class Bf16Products {
        let queries: Bf16Rows, weights: Bf16Rows
        /// The block's queries times the scale [queryBlock, headDim], before rounding.
        let scaled: UnsafeMutablePointer<Float>
        /// Each row's largest score and sum of exponentials [queryBlock].
        let maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>
        let path = tk_best_path()
        /// Room for the packed keys [keys, headDim] and Vᵀ [headDim, keys] of the largest group.
        private let keyBytes: Int, valueBytes: Int
        private let keyMemory: UnsafeMutableRawPointer, valueMemory: UnsafeMutableRawPointer
        private var packedKeys: OpaquePointer?, packedValues: OpaquePointer?
        /// The (segment, head) packed, as segment * heads + head.
        private var packedFor = -1

        init(groupLength: Int, headDim: Int) {
            queries = Bf16Rows(rows: queryBlock, cols: headDim)
            weights = Bf16Rows(rows: queryBlock, cols: groupLength)
            scaled = .allocate(capacity: queryBlock * headDim)
            maxima = .allocate(capacity: queryBlock)
            sums = .allocate(capacity: queryBlock)
            keyBytes = tk_bf16_weights_bytes(path, groupLength, headDim)
            valueBytes = tk_bf16_weights_bytes(path, headDim, groupLength)
            keyMemory = .allocate(byteCount: keyBytes, alignment: 64)
            valueMemory = .allocate(byteCount: valueBytes, alignment: 64)
        }

        func free() {
            for rows in [queries, weights] { rows.free() }
            for buffer in [scaled, maxima, sums] { buffer.deallocate() }
            for memory in [keyMemory, valueMemory] { memory.deallocate() }
        }

        /// Packs the keys and Vᵀ of `l` (segment `segment`, l.keys >= 1 of them) unless they are
        /// the ones packed last: keys [keys, headDim] as rows of k, Vᵀ read down v's columns.
        func prepare(_ l: Layout, segment: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>) {
            let id = segment * l.g.heads + l.head
            guard id != packedFor else { return }
            let n = l.keys, d = l.headDim
            packedKeys = pack(k + l.base, rs: l.rowStride, cs: 1, columns: n, k: d, into: keyMemory, bytes: keyBytes)
            packedValues = pack(v + l.base, rs: 1, cs: l.rowStride, columns: d, k: n, into: valueMemory, bytes: valueBytes)
            packedFor = id
        }

        /// `columns` columns of `k` values, element (c, i) at x[c*rs + i*cs], packed in `memory`.
        private func pack(_ x: UnsafePointer<Float>, rs: Int, cs: Int, columns: Int, k: Int, into memory: UnsafeMutableRawPointer,
                          bytes: Int) -> OpaquePointer {
            var placed: OpaquePointer?
            var status = tk_bf16_weights_place(path, columns, k, memory, bytes, &placed)
            guard status == TK_OK, let packed = placed else {
                guaranteeFailure("placing a bf16 operand [\(columns), \(k)] failed with status \(status.rawValue)")
            }
            status = tk_bf16_weights_fill_f32(packed, x, rs, cs, 0, columns)
            guarantee(status == TK_OK, "tk_bf16_weights_fill_f32 failed with status \(status.rawValue)")
            return packed
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

import CTesseraKernels
import TesseraCore

/// A Linear layer's weights rounded once to bf16 and packed for this CPU's fastest bf16
/// path, and their product with f32 activations rounded to bf16 row by row: products of
/// bf16 values accumulated in f32 in one fixed order (tessera_kernels.h), the bias added
/// in f32, so the result does not depend on the path or the threads.
final class Bf16Weights: RowProduct, @unchecked Sendable {  // immutable once packed
    private let packed: OpaquePointer
    let inFeatures: Int
    let outFeatures: Int
    /// The kernel path the weights are packed for ("avx512bf16", "neon", ...).
    let path: String

    /// Rounds weight [n, k] (f32) to bf16 and packs it with bias [n] (finite: the caller checked).
    init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, outFeatures n: Int, inFeatures k: Int) {
        outFeatures = n
        inFeatures = k
        let rounded = Bf16Rows(rows: n, cols: k)
        defer { rounded.free() }
        Parallel.chunks(n) { range in
            let status = tk_bf16_round_rows(weight + range.lowerBound * k, k, range.count, k,
                                            rounded.values + range.lowerBound * rounded.ldx, rounded.ldx)
            guarantee(status == TK_OK, "tk_bf16_round_rows failed with status \(status.rawValue)")
        }
        let best = tk_best_path()
        packed = rounded.pack(best, rows: n, cols: k, bias: bias)
        path = String(cString: tk_path_name(best))
    }

    deinit { tk_bf16_weights_free(packed) }

    var columnBlock: Int { tk_bf16_weights_column_block(packed) }

    var weightBytes: Int { 2 * outFeatures * inFeatures }

    func prepare(_ x: UnsafePointer<Float>, rows: Int, into s: Bf16Rows) {
        s.round(x, ldx: inFeatures, rows: rows, cols: inFeatures)
    }

    func multiply(_ s: Bf16Rows, rows: Int, columns: Range<Int>, out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        s.multiply(packed, rows: rows, columns: columns, y: out, ldy: outFeatures, add: accumulate)
    }
}

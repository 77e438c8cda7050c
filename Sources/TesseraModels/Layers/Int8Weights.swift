import CTesseraKernels
import TesseraCore

/// A Linear layer's int8 weights, packed once at load for this CPU's fastest kernel
/// path, and their product with f32 activations: each input row is quantised to
/// int8 with its own scale (tk_quantize_rows), the products are summed exactly in
/// int32, and y = ((acc * xscale) * wscale) + bias is rounded in f32 step by step
/// (tessera_kernels.h), so the result does not depend on the path or the threads.
final class Int8Weights: RowProduct, @unchecked Sendable {  // immutable once packed
    private let packed: OpaquePointer
    let inFeatures: Int
    let outFeatures: Int

    /// Packs values [n, k] (int8) with scales [n] (finite, >= 0) and bias [n] (finite),
    /// k <= TK_MAX_K: the caller has checked all three.
    init(values: Tensor, scales: Tensor, bias: Tensor?) {
        guarantee(values.dtype == .i8 && values.rank == 2 && scales.dtype == .f32 && scales.shape == [values.shape[0]]
                  && (bias.map { $0.dtype == .f32 && $0.count == values.shape[0] } ?? true),
                  "int8 weights [n, k] with f32 scales [n] and bias [n]")
        outFeatures = values.shape[0]
        inFeatures = values.shape[1]
        var out: OpaquePointer?
        let status = tk_weights_pack(tk_best_path(), values.bytes.baseAddress!.assumingMemoryBound(to: Int8.self),
                                     inFeatures, outFeatures, inFeatures, scales.floatPointer, bias?.floatPointer, &out)
        guard status == TK_OK, let out else {
            guaranteeFailure("packing int8 weights [\(outFeatures), \(inFeatures)] failed with status \(status.rawValue)")
        }
        packed = out
    }

    deinit { tk_weights_free(packed) }

    /// The kernel path the weights are packed for ("avx512vnni", "neon-dotprod", ...).
    var path: String { String(cString: tk_path_name(tk_weights_path(packed))) }

    var columnBlock: Int { tk_weights_column_block(packed) }

    var weightBytes: Int { outFeatures * inFeatures }

    /// Only a non-finite row is reported, and its outputs come out NaN, as they would in f32.
    func prepare(_ x: UnsafePointer<Float>, rows: Int, into s: QuantisedRows) {
        s.quantise(tk_weights_path(packed), x, ldx: inFeatures, rows: rows, cols: inFeatures)
    }

    func multiply(_ s: QuantisedRows, rows: Int, columns: Range<Int>, out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        s.multiply(packed, rows: rows, columns: columns, y: out, ldy: outFeatures, add: accumulate)
    }
}

import CTesseraKernels
import TesseraCore

/// A Linear layer's int8 weights, packed once at load for this CPU's fastest kernel
/// path, and their product with f32 activations: each input row is quantised to
/// int8 with its own scale (tk_quantize_rows), the products are summed exactly in
/// int32, and y = ((acc * xscale) * wscale) + bias is rounded in f32 step by step
/// (tessera_kernels.h), so the result does not depend on the path or the threads.
final class Int8Weights: @unchecked Sendable {  // immutable once packed
    private let packed: OpaquePointer
    let inFeatures: Int
    let outFeatures: Int

    /// Rows quantised and multiplied at a time by one thread, so that its scratch of int8
    /// rows stays small and in cache; 48 to 400 rows timed the same on an int8 ViT-S.
    static let blockRows = 96

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

    /// out[rows, n] = inp[rows, k] · W^T + b, or out += that when `accumulate` (added by the
    /// product's epilogue, the same bits as adding afterwards).
    /// Threads take blocks of rows (quantising their own), or, when there are too
    /// few rows to share, ranges of columns over rows quantised once.
    func apply(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, accumulate: Bool) {
        guard rows > 0 else { return }
        if rows >= 2 * Self.blockRows * Parallel.threadCount || Parallel.threadCount == 1 || Parallel.isInsideWorker {
            Parallel.chunks(rows) { range in
                let scratch = QuantisedRows(rows: min(Self.blockRows, range.count), cols: inFeatures)
                defer { scratch.free() }
                for start in stride(from: range.lowerBound, to: range.upperBound, by: Self.blockRows) {
                    let m = min(Self.blockRows, range.upperBound - start)
                    quantise(inp + start * inFeatures, rows: m, into: scratch)
                    multiply(scratch, rows: m, columns: 0..<outFeatures,
                             out: out + start * outFeatures, accumulate: accumulate)
                }
            }
            return
        }
        let scratch = QuantisedRows(rows: rows, cols: inFeatures)
        defer { scratch.free() }
        quantise(inp, rows: rows, into: scratch)
        let block = tk_weights_column_block(packed)
        Parallel.chunks((outFeatures + block - 1) / block) { blocks in
            multiply(scratch, rows: rows, columns: (blocks.lowerBound * block)..<min(outFeatures, blocks.upperBound * block),
                     out: out, accumulate: accumulate)
        }
    }

    private func quantise(_ x: UnsafePointer<Float>, rows: Int, into s: QuantisedRows) {
        // Only a non-finite row is reported, and its outputs come out NaN, as they would in f32.
        s.quantise(tk_weights_path(packed), x, ldx: inFeatures, rows: rows, cols: inFeatures)
    }

    /// Rows 0..<rows of `s` times the weights' `columns`, into (or added to) out [rows, n],
    /// row 0 of the block at `out`.
    private func multiply(_ s: QuantisedRows, rows: Int, columns: Range<Int>, out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        s.multiply(packed, rows: rows, columns: columns, y: out, ldy: outFeatures, add: accumulate)
    }
}

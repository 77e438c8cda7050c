import CTesseraKernels

/// f32 rows rounded to bf16 by `tk_bf16_round_rows` (row stride `ldx` values, the pad
/// zero): the activations side of `tk_bf16_gemm`. Owns its buffer until `free()`.
public struct Bf16Rows {
    public let ldx: Int
    public let values: UnsafeMutablePointer<UInt16>

    /// Room for `rows` rows of `cols` values.
    public init(rows: Int, cols: Int) {
        ldx = tk_bf16_padded_k(cols)
        values = .allocate(capacity: max(1, rows * ldx))
    }

    /// Rows of stride `ldx` (at least tk_bf16_padded_k of their width) in memory the caller owns
    /// (no `free()`).
    init(ldx: Int, values: UnsafeMutablePointer<UInt16>) {
        self.ldx = ldx
        self.values = values
    }

    public func free() { values.deallocate() }

    /// Rounds x[rows, cols] (row stride `ldx` floats) into rows 0..<rows.
    public func round(_ x: UnsafePointer<Float>, ldx xStride: Int, rows: Int, cols: Int) {
        let status = tk_bf16_round_rows(x, xStride, rows, cols, values, ldx)
        guarantee(status == TK_OK, "tk_bf16_round_rows failed with status \(status.rawValue)")
    }

    /// Rows 0..<rows (of cols values) packed as the weights of a product, for `path`, with
    /// `bias` [rows] (finite: the caller checked; nil: zero); free with tk_bf16_weights_free.
    public func pack(_ path: tk_path, rows: Int, cols: Int, bias: UnsafePointer<Float>? = nil) -> OpaquePointer {
        var packed: OpaquePointer?
        let status = tk_bf16_weights_pack(path, values, ldx, rows, cols, bias, &packed)
        guard status == TK_OK, let packed else {
            guaranteeFailure("packing bf16 weights [\(rows), \(cols)] failed with status \(status.rawValue)")
        }
        return packed
    }

    /// y rows [0, rows) x columns `columns` = these rows times `weights` (tk_bf16_gemm), or
    /// += them when `add`.
    public func multiply(_ weights: OpaquePointer, rows: Int, columns: Range<Int>, y: UnsafeMutablePointer<Float>, ldy: Int,
                  add: Bool) {
        multiply(weights, rows: 0..<rows, columns: columns, y: y, ldy: ldy, add: add)
    }

    /// The same for rows `rows` only.
    func multiply(_ weights: OpaquePointer, rows: Range<Int>, columns: Range<Int>, y: UnsafeMutablePointer<Float>, ldy: Int,
                  add: Bool) {
        let status = tk_bf16_gemm(weights, values, ldx, rows.lowerBound, rows.upperBound, columns.lowerBound, columns.upperBound,
                                  y, ldy, add ? 1 : 0)
        guarantee(status == TK_OK, "tk_bf16_gemm failed with status \(status.rawValue)")
    }
}

import CTesseraKernels
import TesseraCore

/// f32 rows quantised to int8 by `tk_quantize_rows`: the values (row stride `ldq` bytes), each
/// row's scale and the sum of its values; the activations side of `tk_gemm`, and the weights
/// side `tk_weights_pack` takes. Owns its buffers until `free()`.
struct QuantisedRows: PreparedRows {
    let ldq: Int
    let q: UnsafeMutablePointer<Int8>
    let scale: UnsafeMutablePointer<Float>
    let sum: UnsafeMutablePointer<Int32>

    /// Room for `rows` rows of `cols` values.
    init(rows: Int, cols: Int) {
        ldq = tk_padded_k(cols)
        q = .allocate(capacity: rows * ldq)
        scale = .allocate(capacity: rows)
        sum = .allocate(capacity: rows)
    }

    func free() {
        q.deallocate()
        scale.deallocate()
        sum.deallocate()
    }

    /// Quantises x[rows, cols] (row stride `ldx` floats) with `path`; whether every row was
    /// finite (a row that was not gets zeros and scale NaN, so its products come out NaN).
    @discardableResult
    func quantise(_ path: tk_path, _ x: UnsafePointer<Float>, ldx: Int, rows: Int, cols: Int) -> Bool {
        let status = tk_quantize_rows(path, x, ldx, rows, cols, q, ldq, scale, sum, nil)
        guarantee(status == TK_OK || status == TK_ERR_NONFINITE, "tk_quantize_rows failed with status \(status.rawValue)")
        return status == TK_OK
    }

    /// y rows [0, rows) x columns `columns` = these rows times `weights` (tk_gemm), or
    /// += them when `add` (tk_gemm_add: the residual add in the product's last step).
    func multiply(_ weights: OpaquePointer, rows: Int, columns: Range<Int>, y: UnsafeMutablePointer<Float>, ldy: Int,
                  add: Bool = false) {
        let product = add ? tk_gemm_add : tk_gemm
        let status = product(weights, q, ldq, scale, sum, 0, rows, columns.lowerBound, columns.upperBound, y, ldy)
        guarantee(status == TK_OK, "tk_gemm failed with status \(status.rawValue)")
    }
}

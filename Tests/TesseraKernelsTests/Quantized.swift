import CTesseraKernels

/// Activations quantised by one path, in the layout tk_gemm reads.
struct Quantized {
    let m: Int
    let k: Int
    let ldq: Int
    var q: [Int8]
    var scale: [Float]
    var sum: [Int32]
    var status: tk_status
    var firstBadRow = -1

    /// Quantises m rows of k floats (row stride ldx) with `path`, into rows of
    /// stride ldq whose bytes past the padding are left at a marker value.
    init(path: tk_path, x: [Float], m: Int, k: Int, ldx: Int, ldq: Int? = nil) {
        self.m = m
        self.k = k
        self.ldq = ldq ?? tk_padded_k(k)
        q = [Int8](repeating: 0x55, count: m * self.ldq)
        scale = [Float](repeating: -1, count: m)
        sum = [Int32](repeating: -1, count: m)
        var bad = 0
        status = tk_quantize_rows(path, x, ldx, m, k, &q, self.ldq, &scale, &sum, &bad)
        if status == TK_ERR_NONFINITE { firstBadRow = bad }
    }

    func row(_ r: Int) -> ArraySlice<Int8> { q[(r * ldq)..<(r * ldq + k)] }
}

/// Every matrix product of the kernels, routed through one `backend` and split
/// across `Parallel`'s threads.
public enum GEMM {
    /// Which implementation runs the products; replaceable at start-up.
    nonisolated(unsafe) public static var backend = GEMMBackend.preferred()

    /// Below this many multiply-adds a GEMM is not worth splitting across threads.
    static let splitThreshold = 1 << 18

    /// Row-major C[m,n] = alpha * op(A)[m,k] · op(B)[k,n] + beta * C, in `precision`, where
    /// op(A) = A (A is [m,k], row stride lda) or A^T (A is [k,m]); likewise B.
    /// Large products are split along the longer of m and n across `Parallel`.
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if precision == .bf16 && k > 0 {
            return bf16(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c, ldc: ldc)
        }
        let backend = self.backend
        if m * n * k < splitThreshold || Parallel.threadCount == 1 || Parallel.isInsideWorker {
            backend.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                          a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        if m >= n {
            Parallel.chunks(m) { rows in
                let aRows = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
                backend.sgemm(transA: transA, transB: transB, m: rows.count, n: n, k: k, alpha: alpha,
                              a: aRows, lda: lda, b: b, ldb: ldb, beta: beta,
                              c: c + rows.lowerBound * ldc, ldc: ldc)
            }
        } else {
            Parallel.chunks(n) { cols in
                let bCols = transB ? b + cols.lowerBound * ldb : b + cols.lowerBound
                backend.sgemm(transA: transA, transB: transB, m: m, n: cols.count, k: k, alpha: alpha,
                              a: a, lda: lda, b: bCols, ldb: ldb, beta: beta,
                              c: c + cols.lowerBound, ldc: ldc)
            }
        }
    }
}

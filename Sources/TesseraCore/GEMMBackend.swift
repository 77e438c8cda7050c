#if canImport(CBLAS)
import CBLAS
#endif

/// The single-precision matrix-multiply implementations Tessera can route every
/// GEMM through (`GEMM.backend`): a closed set, so a call is a switch, not a
/// dynamic dispatch through an existential (which Embedded Swift does not have).
public enum GEMMBackend: Sendable, Equatable {
    #if canImport(CBLAS)
    /// OpenBLAS through CBLAS, pinned to one thread (Tessera splits the work itself).
    case openBLAS
    #endif
    /// `PortableGEMM`, plain Swift: every build has it, the edge build has only it.
    case portable

    /// The fastest backend this build has: OpenBLAS when it was linked (pinned
    /// here to one thread, as `openBLAS` expects), else `portable`.
    public static func preferred() -> GEMMBackend {
        #if canImport(CBLAS)
        openblas_set_num_threads(1)
        return .openBLAS
        #else
        return .portable
        #endif
    }

    public var name: String {
        switch self {
        #if canImport(CBLAS)
        case .openBLAS: return "openblas (" + String(cString: openblas_get_corename()) + ")"
        #endif
        case .portable: return "portable (Swift, \(PortableGEMM.mr)x\(PortableGEMM.nr) SIMD tiles)"
        }
    }

    /// Row-major, single-threaded: C[m,n] = alpha * op(A)[m,k] · op(B)[k,n] + beta * C.
    @inline(__always)
    public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch self {
        #if canImport(CBLAS)
        case .openBLAS:
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        #endif
        case .portable:
            PortableGEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }
}

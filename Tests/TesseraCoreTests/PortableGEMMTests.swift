import TestSupport
import XCTest
import TesseraCore

/// The portable kernel against a double-precision product: shapes of one row, column
/// or depth, shapes that are not multiples of its register tile or blocks (6 x 8
/// tiles, depth 256, 96-row and 2048-column blocks), every transpose, padded leading
/// dimensions, and alpha/beta cases (beta = 0 must not read C, which holds NaN then).
final class PortableGEMMTests: XCTestCase {
    static let shapes = [(1, 1, 1), (1, 17, 5), (7, 1, 300), (13, 9, 0), (6, 8, 256), (100, 19, 300), (7, 2057, 9)]
    static let scalings: [(alpha: Float, beta: Float)] = [(1, 0), (-0.5, 2), (0, 3), (2, 1)]

    func testSingleCallMatchesDoublePrecision() {
        for (m, n, k) in Self.shapes {
            for (alpha, beta) in Self.scalings {
                for transA in [false, true] {
                    for transB in [false, true] {
                        check(m: m, n: n, k: k, alpha: alpha, beta: beta, transA: transA, transB: transB) {
                            GEMMBackend.portable.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                                       a: $0, lda: $1, b: $2, ldb: $3, beta: beta, c: $4, ldc: $5)
                        }
                    }
                }
            }
        }
    }

    /// GEMM.sgemm splits a product this large across threads (along m, then along n).
    func testSplitAcrossThreadsMatchesDoublePrecision() {
        let saved = (GEMM.backend, Parallel.threadCount)
        GEMM.backend = .portable
        Parallel.threadCount = 3
        defer { (GEMM.backend, Parallel.threadCount) = saved }
        for (m, n, k) in [(100, 19, 300), (19, 100, 300)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    check(m: m, n: n, k: k, alpha: 0.5, beta: 2, transA: transA, transB: transB) {
                        GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                                   a: $0, lda: $1, b: $2, ldb: $3, beta: 2, c: $4, ldc: $5)
                    }
                }
            }
        }
    }

    /// Runs `product(a, lda, b, ldb, c, ldc)` on seeded data with leading dimensions
    /// three wider than needed, and compares every element of C with the double
    /// product within the float rounding bound (k + 2) * 4 eps * sum |terms|; the
    /// padding columns of C must be left alone.
    private func check(m: Int, n: Int, k: Int, alpha: Float, beta: Float, transA: Bool, transB: Bool,
                       _ product: (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>, Int) -> Void) {
        var rng = Xorshift(seed: UInt64(m * 1_000_003 + n * 1_009 + k))
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(Int(rng.next() % 2001) - 1000) / 500 } }
        let (aRows, aCols) = transA ? (k, m) : (m, k), (bRows, bCols) = transB ? (n, k) : (k, n)
        let lda = aCols + 3, ldb = bCols + 3, ldc = n + 3
        let a = values(max(1, aRows * lda)), b = values(max(1, bRows * ldb))
        let c0 = beta == 0 ? [Float](repeating: .nan, count: m * ldc) : values(m * ldc)
        var c = c0
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in product(a.baseAddress!, lda, b.baseAddress!, ldb, c.baseAddress!, ldc) }
            }
        }
        let what = "m\(m) n\(n) k\(k) alpha \(alpha) beta \(beta) transA \(transA) transB \(transB)"
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<ldc {
                let index = i * ldc + j
                guard j < n else {
                    XCTAssertEqual(c[index].bitPattern, c0[index].bitPattern, "\(what): padding written at \(i),\(j)")
                    continue
                }
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let term = Double(transA ? a[p * lda + i] : a[i * lda + p]) * Double(transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += term
                    magnitude += abs(term)
                }
                let old = beta == 0 ? 0 : Double(c0[index])
                let expected = Double(alpha) * sum + Double(beta) * old
                let bound = Double(k + 2) * 4 * Double(Float.ulpOfOne) * (abs(Double(alpha)) * magnitude + abs(Double(beta) * old))
                let error = abs(Double(c[index]) - expected)
                XCTAssertFalse(c[index].isNaN, "\(what): NaN at \(i),\(j)")
                worst = max(worst, bound > 0 ? error / bound : error)
            }
        }
        XCTAssertLessThanOrEqual(worst, 1, "\(what): worst error / rounding bound")
    }
}

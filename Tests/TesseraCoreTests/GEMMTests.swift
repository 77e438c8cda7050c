import XCTest
import TesseraCore

final class GEMMTests: XCTestCase {
    /// Every transpose combination, split and unsplit, against a naive product.
    func testSgemmMatchesNaiveProduct() {
        for (m, n, k) in [(3, 5, 4), (130, 70, 90), (20, 300, 64)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = (0..<(m * k)).map { Float(($0 * 7) % 13) - 6 }
                    let b = (0..<(k * n)).map { Float(($0 * 5) % 11) - 5 }
                    var c = [Float](repeating: 1, count: m * n)
                    GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5,
                               a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n,
                               beta: 2, c: &c, ldc: n)
                    for i in 0..<m {
                        for j in 0..<n {
                            var s: Float = 0
                            for p in 0..<k {
                                s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j])
                            }
                            XCTAssertEqual(c[i * n + j], 0.5 * s + 2, accuracy: 1e-3, "m\(m) n\(n) k\(k) tA\(transA) tB\(transB)")
                        }
                    }
                }
            }
        }
    }
}

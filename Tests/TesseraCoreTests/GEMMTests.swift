import CTesseraKernels
import Foundation
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

    /// In bf16 (`GEMM.computing(in: .bf16)`), every transpose, alpha and beta, split across threads
    /// or not: each output is tessera_kernels.h's definition (tk_bf16_dot) of the rounded op(A)
    /// row and op(B) column, then alpha and beta in f32, bit for bit; f32 comes back afterwards.
    func testBf16ProductsAreTheDefinition() {
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        for (m, n, k) in [(3, 5, 7), (130, 70, 90), (20, 300, 65), (197, 64, 197)] {
            for transA in [false, true] {
                for transB in [false, true] {
                    let a = (0..<(m * k)).map { Float(sin(Double($0) * 0.37)) }
                    let b = (0..<(k * n)).map { Float(cos(Double($0) * 0.91)) * 0.1 }
                    let opA = { (i: Int, p: Int) in transA ? a[p * m + i] : a[i * k + p] }
                    let opB = { (p: Int, j: Int) in transB ? b[j * k + p] : b[p * n + j] }
                    let kp = tk_bf16_padded_k(k)
                    func rounded(_ rows: Int, _ value: (Int, Int) -> Float) -> [UInt16] {
                        let f = (0..<rows * k).map { value($0 / k, $0 % k) }
                        var out = [UInt16](repeating: 0, count: rows * kp)
                        XCTAssertEqual(tk_bf16_round_rows(f, k, rows, k, &out, kp), TK_OK)
                        return out
                    }
                    let ra = rounded(m, opA), rb = rounded(n) { j, p in opB(p, j) }
                    for (alpha, beta) in [(Float(1), Float(0)), (1, 1), (0.125, 0), (0.5, 2)] {
                        for threadCount in [1, 2] {
                            Parallel.threadCount = threadCount
                            let start = (0..<(m * n)).map { Float($0 % 5) - 2 }
                            var c = start
                            GEMM.computing(in: .bf16) {
                                GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                                           a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n, beta: beta, c: &c, ldc: n)
                            }
                            XCTAssertEqual(GEMM.precision, .f32)
                            var differences = 0
                            for i in 0..<m {
                                for j in 0..<n {
                                    let dot = tk_bf16_dot(Array(ra[i * kp..<(i + 1) * kp]), Array(rb[j * kp..<(j + 1) * kp]), kp)
                                    let o = start[i * n + j]
                                    let want = alpha == 1 && beta == 1 ? o + dot
                                        : alpha == 1 && beta == 0 ? dot
                                        : beta == 0 ? alpha * dot : alpha * dot + beta * o
                                    if want.bitPattern != c[i * n + j].bitPattern { differences += 1 }
                                }
                            }
                            XCTAssertEqual(differences, 0, "m\(m) n\(n) k\(k) tA\(transA) tB\(transB) alpha \(alpha) beta \(beta) threads \(threadCount)")
                        }
                    }
                }
            }
        }
    }
}

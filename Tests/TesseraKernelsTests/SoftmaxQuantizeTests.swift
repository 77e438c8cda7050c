import CTesseraKernels
import XCTest

/// tk_softmax_quantize_rows against its definition: the bytes and sums tk_quantize_rows gives
/// for E = tk_exp(s - max s), the scale 1/127 over the row's sum of E; every path gives the
/// scalar path's bits.
final class SoftmaxQuantizeTests: XCTestCase {
    struct Output: Equatable {
        var q: [Int8], scale: [UInt32], sum: [Int32], status: tk_status
    }

    static func run(_ path: tk_path, _ s: [Float], m: Int, n: Int, lds: Int) -> Output {
        let ldq = tk_padded_k(n) + 16
        var q = [Int8](repeating: 0x55, count: m * ldq), scale = [Float](repeating: 0, count: m)
        var sum = [Int32](repeating: 0, count: m)
        let status = tk_softmax_quantize_rows(path, s, lds, m, n, &q, ldq, &scale, &sum, nil)
        return Output(q: q, scale: scale.map(\.bitPattern), sum: sum, status: status)
    }

    static let shapes = [(3, 1), (4, 5), (3, 31), (2, 32), (5, 33), (4, 64), (7, 197), (2, 300)]

    static func scores(m: Int, n: Int, lds: Int) -> [Float] {
        var generator = SeededGenerator(seed: UInt64(n))
        return (0..<(m * lds)).map { _ in Float.random(in: -12...12, using: &generator) }
    }

    func testMatchesExpThenQuantise() {
        for (m, n) in Self.shapes {
            let lds = n + 3, s = Self.scores(m: m, n: n, lds: lds)
            let got = Self.run(tk_best_path(), s, m: m, n: n, lds: lds)
            XCTAssertEqual(got.status, TK_OK)
            let ldq = tk_padded_k(n) + 16
            for r in 0..<m {
                let row = Array(s[(r * lds)..<(r * lds + n)])
                var e = [Float](repeating: 0, count: n)
                XCTAssertEqual(tk_exp(TK_PATH_SCALAR, row, &e, n, row.max()!), TK_OK)
                var q = [Int8](repeating: 0, count: tk_padded_k(n)), scale: Float = 0, sum: Int32 = 0
                XCTAssertEqual(tk_quantize_rows(TK_PATH_SCALAR, e, n, 1, n, &q, q.count, &scale, &sum, nil), TK_OK)
                XCTAssertEqual(scale, 1 / 127, "E's largest value is exactly 1")
                let label = "m \(m) n \(n) row \(r)"
                XCTAssertEqual(Array(got.q[(r * ldq)..<(r * ldq + q.count)]), q, label)
                XCTAssert(got.q[(r * ldq + q.count)..<((r + 1) * ldq)].allSatisfy { $0 == 0x55 }, "nothing past the padding: " + label)
                XCTAssertEqual(got.sum[r], sum, label)
                let total = e.reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(Double(Float(bitPattern: got.scale[r])), 1 / 127 / total, accuracy: 1e-6 / 127 / total, label)
            }
        }
    }

    func testEveryPathGivesTheScalarBits() {
        for (m, n) in Self.shapes {
            var s = Self.scores(m: m, n: n, lds: n)
            if m > 2 { s[2 * n + n / 2] = .nan }
            let want = Self.run(TK_PATH_SCALAR, s, m: m, n: n, lds: n)
            for path in KernelPaths.supported {
                XCTAssertEqual(Self.run(path, s, m: m, n: n, lds: n), want, "\(KernelPaths.name(path)) m \(m) n \(n)")
            }
        }
    }

    /// A NaN or +infinity in a row makes it a bad row, as tk_quantize_rows's; -infinity is a
    /// probability of (almost) zero.
    func testNonFiniteScores() {
        let n = 37
        var s = [Float](repeating: 0.5, count: 4 * n)
        s[1 * n + 36] = .infinity
        s[2 * n + 3] = -.infinity
        s[3 * n + 5] = .nan
        for path in KernelPaths.supported {
            let ldq = tk_padded_k(n)
            var q = [Int8](repeating: 1, count: 4 * ldq), scale = [Float](repeating: 0, count: 4)
            var sum = [Int32](repeating: 1, count: 4), bad = 0
            XCTAssertEqual(tk_softmax_quantize_rows(path, s, n, 4, n, &q, ldq, &scale, &sum, &bad), TK_ERR_NONFINITE)
            XCTAssertEqual(bad, 1, KernelPaths.name(path))
            for r in [1, 3] {
                XCTAssert(scale[r].isNaN && sum[r] == 0 && q[(r * ldq)..<((r + 1) * ldq)].allSatisfy { $0 == 0 })
            }
            XCTAssertEqual(q[2 * ldq + 3], 0)
            XCTAssertEqual(q[2 * ldq + 4], 127)
            XCTAssertEqual(Double(scale[2]), 1 / 127 / 36, accuracy: 1e-9)
        }
    }

    func testRefusesWhatItCannotRun() {
        var q = [Int8](repeating: 0, count: 16), scale: Float = 0, sum: Int32 = 0
        XCTAssertEqual(tk_softmax_quantize_rows(tk_path(rawValue: 99), [1], 1, 1, 1, &q, 16, &scale, &sum, nil), TK_ERR_PATH)
        XCTAssertEqual(tk_softmax_quantize_rows(TK_PATH_SCALAR, [1], 1, 1, 1, &q, 8, &scale, &sum, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_softmax_quantize_rows(TK_PATH_SCALAR, [1, 2], 1, 1, 2, &q, 16, &scale, &sum, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_softmax_quantize_rows(TK_PATH_SCALAR, nil, 1, 1, 1, &q, 16, &scale, &sum, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_softmax_quantize_rows(TK_PATH_SCALAR, [1], 1, 0, 1, &q, 16, &scale, &sum, nil), TK_OK)
    }
}

import CTesseraKernels
import XCTest

/// tk_quantize_rows against a plain Swift definition, on every path.
final class QuantizeTests: XCTestCase {
    /// The definition: absmax/127 scales, round half to even, clamp to +-127.
    static func reference(_ row: ArraySlice<Float>) -> (q: [Int8], scale: Float, sum: Int32) {
        let absmax = row.reduce(Float(0)) { max($0, abs($1)) }
        guard absmax >= 0x1p-120 else { return ([Int8](repeating: 0, count: row.count), 0, 0) }
        let inverse = 127 / absmax
        let q = row.map { x -> Int8 in
            let v = (x * inverse).rounded(.toNearestOrEven)
            return Int8(min(max(v, -127), 127))
        }
        return (q, absmax / 127, q.reduce(0) { $0 + Int32($1) })
    }

    func testEveryPathMatchesTheDefinition() {
        var random = SeededGenerator(seed: 1)
        for k in [1, 3, 15, 16, 17, 31, 64, 100, 384, 1000] {
            let m = 7, ldx = k + 5
            var x = (0..<(m * ldx)).map { _ in Float.random(in: -1...1, using: &random) }
            for i in 0..<k {
                x[2 * ldx + i] = 0                          // an all-zero row
                x[3 * ldx + i] *= 1e-30                     // tiny but representable
                x[4 * ldx + i] = 1e-39 * Float(i % 3)       // below 2^-120: counts as zero
                x[5 * ldx + i] *= 3e4
            }
            for path in KernelPaths.supported {
                let got = Quantized(path: path, x: x, m: m, k: k, ldx: ldx, ldq: tk_padded_k(k) + 16)
                XCTAssertEqual(got.status, TK_OK)
                for r in 0..<m {
                    let want = Self.reference(x[(r * ldx)..<(r * ldx + k)])
                    let label = "\(KernelPaths.name(path)) k \(k) row \(r)"
                    XCTAssertEqual(Array(got.row(r)), want.q, label)
                    XCTAssertEqual(got.scale[r].bitPattern, want.scale.bitPattern, label)
                    XCTAssertEqual(got.sum[r], want.sum, label)
                    let padding = got.q[(r * got.ldq + k)..<(r * got.ldq + tk_padded_k(k))]
                    XCTAssert(padding.allSatisfy { $0 == 0 }, "padding zeroed: " + label)
                    let beyond = got.q[(r * got.ldq + tk_padded_k(k))..<((r + 1) * got.ldq)]
                    XCTAssert(beyond.allSatisfy { $0 == 0x55 }, "nothing written past the padding: " + label)
                }
            }
        }
    }

    /// With absmax 127 the values are their own quants: halves go to the even neighbour.
    func testHalvesRoundToEven() {
        let x: [Float] = [127, 2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.5, 126.5, -126.5, 0.49999997]
        let want: [Int8] = [127, 2, 4, -2, -4, 0, 0, 2, 126, -126, 0]
        for path in KernelPaths.supported {
            let got = Quantized(path: path, x: x, m: 1, k: x.count, ldx: x.count)
            XCTAssertEqual(Array(got.row(0)), want, KernelPaths.name(path))
            XCTAssertEqual(got.scale[0], 1, KernelPaths.name(path))
        }
    }

    func testNonFiniteRowsAreReportedAndGiveNaN() {
        let k = 37
        var x = [Float](repeating: 0.25, count: 4 * k)
        x[1 * k + 36] = .infinity
        x[3 * k + 5] = .nan
        for path in KernelPaths.supported {
            let got = Quantized(path: path, x: x, m: 4, k: k, ldx: k)
            XCTAssertEqual(got.status, TK_ERR_NONFINITE, KernelPaths.name(path))
            XCTAssertEqual(got.firstBadRow, 1, KernelPaths.name(path))
            for r in [1, 3] {
                XCTAssert(got.scale[r].isNaN, KernelPaths.name(path))
                XCTAssertEqual(got.sum[r], 0)
                XCTAssert(got.row(r).allSatisfy { $0 == 0 })
            }
            for r in [0, 2] {
                XCTAssertEqual(got.scale[r], 0.25 / 127, KernelPaths.name(path))
                XCTAssert(got.row(r).allSatisfy { $0 == 127 })
            }
        }
    }

    func testBadArgumentsAreRefused() {
        let x = [Float](repeating: 1, count: 32)
        var q = [Int8](repeating: 0, count: 64), scale: [Float] = [0, 0], sum: [Int32] = [0, 0]
        XCTAssertEqual(tk_quantize_rows(TK_PATH_SCALAR, x, 16, 2, 16, &q, 15, &scale, &sum, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_quantize_rows(TK_PATH_SCALAR, x, 15, 2, 16, &q, 16, &scale, &sum, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_quantize_rows(TK_PATH_SCALAR, x, 16, 2, 0, &q, 16, &scale, &sum, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_quantize_rows(TK_PATH_SCALAR, x, 16, 2, 16, &q, 16, &scale, &sum, nil), TK_OK)
    }
}

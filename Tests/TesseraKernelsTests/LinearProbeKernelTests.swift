import CTesseraKernels
import XCTest

/// tk_probe_logits and tk_probe_accumulate: every path gives the scalar path's bits, those are
/// the products computed in double precision to f32 rounding, the rows are read where the
/// indices point (repeats included), and bad arguments are refused before anything is written.
final class LinearProbeKernelTests: XCTestCase {
    /// (rows of x, D, batch, C): widths that fill no lane group, exactly one, several with a
    /// tail; class counts that fill no group of four, one, and one and a remainder.
    static let shapes = [(5, 7, 3, 1), (9, 16, 6, 2), (11, 33, 9, 3), (13, 64, 12, 4), (17, 100, 20, 5), (40, 768, 64, 6), (8, 31, 5, 9)]

    static func problem(_ n: Int, _ d: Int, _ batch: Int, _ c: Int) -> (x: [Float], rows: [Int], w: [Float], g: [Float]) {
        var generator = SeededGenerator(seed: UInt64(n * 1000 + d * 10 + c))
        let x = (0..<(n * d)).map { _ in Float.random(in: -2...2, using: &generator) }
        let rows = (0..<batch).map { i in i == 1 ? 0 : Int.random(in: 0..<n, using: &generator) }  // row 0 twice at least
        let w = (0..<(c * d)).map { _ in Float.random(in: -1...1, using: &generator) }
        let g = (0..<(batch * c)).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
        return (x, [0] + rows.dropFirst(), w, g)
    }

    func testEveryPathGivesTheScalarBitsAndTheDoubleProducts() {
        for (n, d, batch, c) in Self.shapes {
            let (x, rows, w, g) = Self.problem(n, d, batch, c)
            let start = (0..<(c * d)).map { Float($0 % 3) / 4 }  // accumulate adds to what is there
            var wantZ = [Float](repeating: 0, count: batch * c), wantW = start
            XCTAssertEqual(tk_probe_logits(TK_PATH_SCALAR, x, n, d, rows, batch, w, c, &wantZ), TK_OK)
            XCTAssertEqual(tk_probe_accumulate(TK_PATH_SCALAR, x, n, d, rows, batch, g, c, &wantW), TK_OK)
            let label = "n \(n) D \(d) batch \(batch) C \(c)"
            for path in KernelPaths.supported {
                var z = [Float](repeating: 0, count: batch * c), dw = start
                XCTAssertEqual(tk_probe_logits(path, x, n, d, rows, batch, w, c, &z), TK_OK)
                XCTAssertEqual(tk_probe_accumulate(path, x, n, d, rows, batch, g, c, &dw), TK_OK)
                XCTAssertEqual(z.map(\.bitPattern), wantZ.map(\.bitPattern), "\(KernelPaths.name(path)) \(label)")
                XCTAssertEqual(dw.map(\.bitPattern), wantW.map(\.bitPattern), "\(KernelPaths.name(path)) \(label)")
            }
            for i in 0..<batch {
                for k in 0..<c {
                    var want = 0.0, size = 0.0
                    for j in 0..<d {
                        want += Double(w[k * d + j]) * Double(x[rows[i] * d + j])
                        size += abs(Double(w[k * d + j]) * Double(x[rows[i] * d + j]))
                    }
                    XCTAssertEqual(Double(wantZ[i * c + k]), want, accuracy: 1e-6 * size + 1e-30, "\(label) z[\(i), \(k)]")
                }
            }
            for k in 0..<c {
                for j in 0..<d {
                    var want = Double(start[k * d + j]), size = abs(want)
                    for i in 0..<batch {
                        want += Double(g[i * c + k]) * Double(x[rows[i] * d + j])
                        size += abs(Double(g[i * c + k]) * Double(x[rows[i] * d + j]))
                    }
                    XCTAssertEqual(Double(wantW[k * d + j]), want, accuracy: 1e-6 * size + 1e-30, "\(label) dw[\(k), \(j)]")
                }
            }
        }
    }

    /// The header's order, written out in Swift (`addingProduct` is one fused multiply-add): the
    /// logits in 16 lanes added by the tree 8, 4, 2, 1; the accumulation row by row in batch
    /// order. Values over a wide range of magnitudes, so another order would show in the bits.
    func testSumsInTheDocumentedOrder() {
        let n = 6, d = 53, batch = 7, c = 5
        var generator = SeededGenerator(seed: 7)
        let x = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &generator) * Float(1 << Int.random(in: 0...20, using: &generator)) }
        let w = (0..<(c * d)).map { _ in Float.random(in: -1...1, using: &generator) }
        let g = (0..<(batch * c)).map { _ in Float.random(in: -1...1, using: &generator) }
        let rows = (0..<batch).map { _ in Int.random(in: 0..<n, using: &generator) }
        var z = [Float](repeating: 0, count: batch * c), dw = [Float](repeating: 0, count: c * d)
        XCTAssertEqual(tk_probe_logits(TK_PATH_SCALAR, x, n, d, rows, batch, w, c, &z), TK_OK)
        XCTAssertEqual(tk_probe_accumulate(TK_PATH_SCALAR, x, n, d, rows, batch, g, c, &dw), TK_OK)
        for i in 0..<batch {
            for k in 0..<c {
                var lanes = [Float](repeating: 0, count: 16)
                for j in 0..<d { lanes[j % 16].addProduct(w[k * d + j], x[rows[i] * d + j]) }
                var width = 8
                while width >= 1 {
                    for l in 0..<width { lanes[l] += lanes[l + width] }
                    width /= 2
                }
                XCTAssertEqual(z[i * c + k].bitPattern, lanes[0].bitPattern, "z[\(i), \(k)]")
            }
        }
        for k in 0..<c {
            for j in 0..<d {
                var sum: Float = 0
                for i in 0..<batch { sum.addProduct(g[i * c + k], x[rows[i] * d + j]) }
                XCTAssertEqual(dw[k * d + j].bitPattern, sum.bitPattern, "dw[\(k), \(j)]")
            }
        }
    }

    func testRefusesWhatItCannotRun() {
        let x: [Float] = [1, 2, 3, 4], w: [Float] = [1, 1]
        var z: [Float] = [7, 7]
        XCTAssertEqual(tk_probe_logits(tk_path(rawValue: 99), x, 2, 2, [0], 1, w, 1, &z), TK_ERR_PATH)
        XCTAssertEqual(tk_probe_logits(TK_PATH_SCALAR, x, 2, 2, [2], 1, w, 1, &z), TK_ERR_ARGUMENT)  // row past the end
        XCTAssertEqual(tk_probe_logits(TK_PATH_SCALAR, x, 2, 2, [0, -1], 2, w, 1, &z), TK_ERR_ARGUMENT)  // negative row
        XCTAssertEqual(z, [7, 7], "nothing written when refused")
        XCTAssertEqual(tk_probe_accumulate(TK_PATH_SCALAR, x, 2, 2, [5], 1, [1], 1, &z), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_probe_accumulate(TK_PATH_SCALAR, nil, 2, 2, [0], 1, [1], 1, &z), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_probe_logits(TK_PATH_SCALAR, x, 2, 0, [0], 1, w, 1, &z), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_probe_logits(TK_PATH_SCALAR, nil, 0, 0, nil, 0, nil, 0, nil), TK_OK)
        XCTAssertEqual(z, [7, 7])
    }
}

import CTesseraKernels
import Foundation
import TesseraCore
import XCTest

final class VectorMathTests: XCTestCase {
    /// Against libm over the ranges the kernels meet, relative to the value.
    func testExpAndErfcMatchLibm() {
        var worstExp: Double = 0, worstErfc: Double = 0
        for i in 0..<20000 {
            let x = Float(-87 + Double(i) * (87 + 88) / 20000)
            let got = VectorMath.exp(VectorMath.Lanes(repeating: x))[0]
            worstExp = max(worstExp, abs(Double(got) - Foundation.exp(Double(x))) / Foundation.exp(Double(x)))
            let z = Float(Double(i) * 5 / 20000)  // erfc(5) = 1.5e-12: GELU is 0 in f32 beyond
            let e = VectorMath.erfc(nonNegative: VectorMath.Lanes(repeating: z))[3]
            worstErfc = max(worstErfc, abs(Double(e) - Foundation.erfc(Double(z))) / Foundation.erfc(Double(z)))
        }
        XCTAssertLessThan(worstExp, 3e-7)
        XCTAssertLessThan(worstErfc, 3e-6)  // -z^2 rounded in f32 dominates near z = 5
    }

    /// GELU's and softmax's C kernels give the bits of these Swift lanes (so the models'
    /// results do not depend on which runs them): exp, and GELU as
    /// x/2 (2 - erfc(z)) for x >= 0, x/2 erfc(z) below, z = |x| / sqrt 2.
    func testCKernelsGiveTheSwiftLanesBits() {
        var x = (0..<200_000).map { Float(-100 + Double($0) / 1000) }
        x += [0, -0, .infinity, -.infinity, .leastNonzeroMagnitude, 1e30, -1e30]
        x += [Float](repeating: 0, count: (8 - x.count % 8) % 8)
        var gelu = [Float](repeating: 0, count: x.count), exp = gelu
        XCTAssertEqual(tk_gelu(tk_best_path(), x, &gelu, x.count), TK_OK)
        XCTAssertEqual(tk_exp(tk_best_path(), x, &exp, x.count, 0.75), TK_OK)
        var geluDiffering = 0, expDiffering = 0
        for i in stride(from: 0, to: x.count, by: 8) {
            let v = VectorMath.Lanes(x[i..<(i + 8)])
            let e = VectorMath.erfc(nonNegative: v.replacing(with: -v, where: v .< 0) * 0.70710678118654752)
            let half = 0.5 * v
            let g = (half * e).replacing(with: half * (2 - e), where: v .>= 0), ex = VectorMath.exp(v - 0.75)
            for j in 0..<8 {
                if g[j].bitPattern != gelu[i + j].bitPattern { geluDiffering += 1 }
                if ex[j].bitPattern != exp[i + j].bitPattern { expDiffering += 1 }
            }
        }
        XCTAssertEqual(geluDiffering, 0)
        XCTAssertEqual(expDiffering, 0)
    }

    /// GELU, SwiGLU and softmax over lengths that leave a tail, against the libm formulas.
    func testElementwiseKernelsMatchScalarFormulas() {
        let n = 1003
        let x = (0..<(2 * n)).map { Float(sin(Double($0) * 0.37) * 6) }
        var out = [Float](repeating: 0, count: 2 * n)
        GELU.forward(out: &out, inp: x, count: 2 * n)
        for i in 0..<(2 * n) {
            let want = 0.5 * Double(x[i]) * (1 + erf(Double(x[i]) / 2.0.squareRoot()))
            XCTAssertEqual(Double(out[i]), want, accuracy: 1e-6 * max(1, abs(want)), "gelu(\(x[i]))")
        }
        SwiGLU.forward(out: &out, inp: x, rows: 1, hidden: n)
        for j in 0..<n {
            let a = Double(x[j]), want = a / (1 + Foundation.exp(-a)) * Double(x[n + j])
            XCTAssertEqual(Double(out[j]), want, accuracy: 1e-6 * max(1, abs(want)))
        }
        var row = Array(x[0..<n])
        Softmax.forward(&row, rows: 1, cols: n)
        let m = x[0..<n].max()!, sum = x[0..<n].reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) }
        for j in 0..<n { XCTAssertEqual(Double(row[j]), Foundation.exp(Double(x[j] - m)) / sum, accuracy: 1e-8) }
    }
}

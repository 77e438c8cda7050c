import CTesseraKernels
import Foundation
import TesseraCore
import XCTest

final class VectorMathTests: XCTestCase {
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

import CTesseraKernels
import Foundation
import XCTest

/// tk_exp, tk_gelu, tk_gelu_derivative and tk_sigmoid: every path gives the scalar path's
/// bits, and those are exp, the exact GELU, its derivative and the sigmoid, against double
/// precision.
final class ElementwiseTests: XCTestCase {
    typealias Kernel = (tk_path, UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> tk_status

    static let kernels: [(String, Kernel)] = [
        ("exp", { tk_exp($0, $1, $2, $3, 1.5) }), ("gelu", { tk_gelu($0, $1, $2, $3) }),
        ("gelu_derivative", { tk_gelu_derivative($0, $1, $2, $3) }), ("sigmoid", { tk_sigmoid($0, $1, $2, $3) }),
    ]

    /// Random bit patterns (every exponent, NaNs and infinities included), a dense sweep
    /// of the range that matters, and the special values; lengths that leave tails.
    static let inputs: [Float] = {
        var generator = SeededGenerator(seed: 7)
        var x = (0..<100_000).map { _ in Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator)) }
        x += (0..<40_001).map { Float(-20 + Double($0) / 1000) }
        return x + [0, -0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, -.leastNonzeroMagnitude,
                    .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
    }()

    func testEveryPathGivesTheScalarBits() {
        let x = Self.inputs
        for (name, kernel) in Self.kernels {
            var reference = [Float](repeating: 0, count: x.count)
            XCTAssertEqual(kernel(TK_PATH_SCALAR, x, &reference, x.count), TK_OK)
            for path in KernelPaths.supported {
                for count in [x.count, x.count - 3, 13] {
                    var got = [Float](repeating: 7, count: x.count)
                    XCTAssertEqual(kernel(path, x, &got, count), TK_OK)
                    let differing = (0..<count).filter {
                        got[$0].bitPattern != reference[$0].bitPattern && !(got[$0].isNaN && reference[$0].isNaN)
                    }
                    XCTAssertEqual(differing.count, 0, "\(name) \(KernelPaths.name(path)): first at x = \(differing.first.map { x[$0] } ?? 0)")
                    XCTAssert(got[count...].allSatisfy { $0 == 7 }, "\(name): nothing written past n")
                }
            }
        }
    }

    /// exp within 2 ulp over the normal range, in place.
    func testExpMatchesLibmInPlace() {
        var x = (0..<17_501).map { Float(-87 + Double($0) / 100) }
        let want = x.map { Foundation.exp(Double($0 - 0.25)) }  // x - shift is rounded to f32 first
        XCTAssertEqual(tk_exp(tk_best_path(), x, &x, x.count, 0.25), TK_OK)
        for i in x.indices { XCTAssertEqual(Double(x[i]), want[i], accuracy: 3e-7 * want[i], "exp at \(i)") }
    }

    /// Beyond the clamps: never infinity, zero or a subnormal, and the NaN stays NaN.
    func testExpClampsTheExtremes() {
        let x: [Float] = [88.3, 88.37, 88.4, 88.7, 89, 1e30, .infinity, -87.3, -88, -1e30, -.infinity, .nan]
        var y = [Float](repeating: 0, count: x.count)
        XCTAssertEqual(tk_exp(TK_PATH_SCALAR, x, &y, x.count, 0), TK_OK)
        for (v, e) in zip(x, y) where !v.isNaN { XCTAssert(e.isNormal, "exp(\(v)) = \(e)") }
        XCTAssertEqual(Double(y[1]), Foundation.exp(Double(Float(88.37))), accuracy: 3e-7 * Foundation.exp(88.37))
        XCTAssert(y.last!.isNaN)
    }

    /// Against x/2 erfc(-x / sqrt 2) = x/2 (1 + erf(x / sqrt 2)) in double, in place, relative to the value: the
    /// tail down to x = -7 too (z = x / sqrt 2 rounded in f32 costs a few 1e-6 there, and more beyond,
    /// where GELU is below 1e-11).
    func testMatchesErfInPlace() {
        var x = (0..<19_001).map { Float(-7 + Double($0) / 1000) }
        let want = x.map { 0.5 * Double($0) * erfc(-Double($0) / 2.0.squareRoot()) }
        XCTAssertEqual(tk_gelu(tk_best_path(), x, &x, x.count), TK_OK)
        for i in x.indices {
            XCTAssertEqual(Double(x[i]), want[i], accuracy: 5e-6 * abs(want[i]), "gelu at \(i)")
        }
    }

    /// Against cdf(x) + x exp(-x^2 / 2) / sqrt(2 pi) in double, in place, over [-7, 7], relative to the
    /// larger term (the two cancel where GELU has its minimum, near x = -0.75).
    func testDerivativeMatchesDouble() {
        var x = (0..<14_001).map { Float(-7 + Double($0) / 1000) }
        let terms = x.map { v -> (Double, Double) in
            let a = Double(v)
            return (0.5 * erfc(-a / 2.0.squareRoot()), a * Foundation.exp(-0.5 * a * a) / (2 * Double.pi).squareRoot())
        }
        XCTAssertEqual(tk_gelu_derivative(tk_best_path(), x, &x, x.count), TK_OK)
        for i in x.indices {
            let (cdf, density) = terms[i]
            XCTAssertEqual(Double(x[i]), cdf + density, accuracy: 5e-6 * max(cdf, abs(density)), "gelu' at \(i)")
        }
    }

    /// Against 1 / (1 + exp(-x)) in double, in place, relative to the value, over [-87, 30] (e^-x in
    /// the normal range; above, the sigmoid is 1 in f32).
    func testSigmoidMatchesDouble() {
        var x = (0..<11_701).map { Float(-87 + Double($0) / 100) }
        let want = x.map { 1 / (1 + Foundation.exp(-Double($0))) }
        XCTAssertEqual(tk_sigmoid(tk_best_path(), x, &x, x.count), TK_OK)
        for i in x.indices { XCTAssertEqual(Double(x[i]), want[i], accuracy: 4e-7 * want[i], "sigmoid at \(i)") }
    }

    func testRefusesWhatItCannotRun() {
        for (name, kernel) in Self.kernels {
            var y: Float = 0
            XCTAssertEqual(kernel(tk_path(rawValue: 99), [1], &y, 1), TK_ERR_PATH, name)
            XCTAssertEqual(kernel(TK_PATH_SCALAR, nil, &y, 1), TK_ERR_ARGUMENT, name)
            XCTAssertEqual(kernel(TK_PATH_SCALAR, [1], nil, 1), TK_ERR_ARGUMENT, name)
            XCTAssertEqual(kernel(TK_PATH_SCALAR, nil, nil, 0), TK_OK, name)
        }
    }
}

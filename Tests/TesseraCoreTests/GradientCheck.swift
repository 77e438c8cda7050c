import XCTest
import Foundation

/// Finite-difference references for the backward kernels: every op has a small
/// double-precision forward here, the scalar loss is L = sum(w * f(inputs)) for fixed
/// random weights w (so dL/d out = w), and dL/d input is the central difference.
enum GradientCheck {
    /// Deterministic values in [-scale, scale) (SplitMix64), reproducible across runs.
    static func random(_ count: Int, seed: UInt64, scale: Double = 1) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return (Double(z >> 11) / Double(1 << 53) * 2 - 1) * scale
        }
    }

    /// Central differences of L(inputs) = sum(w * f(inputs)) with respect to every
    /// element of every input (step h, in double precision).
    static func numeric(_ inputs: [[Double]], w: [Double], h: Double = 1e-6,
                        _ f: ([[Double]]) -> [Double]) -> [[Double]] {
        func loss(_ x: [[Double]]) -> Double { zip(f(x), w).reduce(0) { $0 + $1.0 * $1.1 } }
        var x = inputs
        return inputs.indices.map { a in
            (0..<inputs[a].count).map { i in
                let saved = x[a][i]
                x[a][i] = saved + h
                let up = loss(x)
                x[a][i] = saved - h
                let down = loss(x)
                x[a][i] = saved
                return (up - down) / (2 * h)
            }
        }
    }

    /// Asserts max |analytic - numeric| / max |numeric| <= tolerance (and that the
    /// reference is not trivially zero).
    static func assertClose(_ analytic: [Float], _ numeric: [Double], _ what: String, tolerance: Double = 1e-4,
                            file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
        var maxErr = 0.0, maxRef = 0.0
        for (a, n) in zip(analytic, numeric) {
            maxErr = max(maxErr, abs(Double(a) - n))
            maxRef = max(maxRef, abs(n))
        }
        XCTAssertGreaterThan(maxRef, 1e-3, "\(what): reference gradient is ~0", file: file, line: line)
        XCTAssertLessThanOrEqual(maxErr / maxRef, tolerance, "\(what): relative error \(maxErr / maxRef)",
                                 file: file, line: line)
    }
}

extension Array where Element == Double {
    var floats: [Float] { map { Float($0) } }
}

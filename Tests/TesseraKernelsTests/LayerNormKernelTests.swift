import CTesseraKernels
import XCTest

/// tk_layer_norm: every path gives the scalar path's bits, and those are LayerNorm computed
/// in double precision, to f32 rounding.
final class LayerNormKernelTests: XCTestCase {
    /// Rows of lengths that fill no lane group, exactly one, and several with a tail; a row
    /// far from zero (the variance then comes from a small difference) and a constant one.
    static func rows(cols: Int, count: Int) -> [Float] {
        var generator = SeededGenerator(seed: UInt64(cols))
        var x = (0..<(cols * count)).map { _ in Float.random(in: -3...3, using: &generator) }
        for c in 0..<cols {
            x[c] = 1000 + x[c]
            if count > 1 { x[cols + c] = 0.5 }
        }
        return x
    }

    static let shapes = [(1, 5), (7, 1), (2, 16), (5, 31), (4, 32), (6, 33), (3, 384), (3, 1000)]

    func testEveryPathGivesTheScalarBits() {
        for (count, cols) in Self.shapes {
            let x = Self.rows(cols: cols, count: count)
            let weight = (0..<cols).map { 1 + Float($0 % 7) / 8 }, bias = (0..<cols).map { Float($0 % 5) / 4 - 0.5 }
            var want = [Float](repeating: 0, count: x.count), wantMean = [Float](repeating: 0, count: count)
            var wantRstd = wantMean
            XCTAssertEqual(tk_layer_norm(TK_PATH_SCALAR, x, &want, count, cols, weight, bias, 1e-6, &wantMean, &wantRstd), TK_OK)
            for path in KernelPaths.supported {
                var got = x, mean = [Float](repeating: 0, count: count), rstd = mean
                XCTAssertEqual(tk_layer_norm(path, got, &got, count, cols, weight, bias, 1e-6, &mean, &rstd), TK_OK)  // in place
                let label = "\(KernelPaths.name(path)) rows \(count) cols \(cols)"
                XCTAssertEqual(got.map(\.bitPattern), want.map(\.bitPattern), label)
                XCTAssertEqual(mean.map(\.bitPattern), wantMean.map(\.bitPattern), label)
                XCTAssertEqual(rstd.map(\.bitPattern), wantRstd.map(\.bitPattern), label)
            }
        }
    }

    func testMatchesDoublePrecision() {
        for (count, cols) in Self.shapes {
            let x = Self.rows(cols: cols, count: count)
            let weight = (0..<cols).map { 1 + Float($0 % 7) / 8 }, bias = (0..<cols).map { Float($0 % 5) / 4 - 0.5 }
            var y = [Float](repeating: 0, count: x.count)
            XCTAssertEqual(tk_layer_norm(tk_best_path(), x, &y, count, cols, weight, bias, 1e-6, nil, nil), TK_OK)
            for r in 0..<count {
                let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
                let mean = row.reduce(0, +) / Double(cols)
                let rstd = 1 / (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(cols) + 1e-6).squareRoot()
                for c in 0..<cols {
                    let want = (row[c] - mean) * rstd * Double(weight[c]) + Double(bias[c])
                    // The row far from zero loses the digits of 1000 when x - mean is rounded in f32.
                    let tolerance = (r == 0 ? 2e-4 : 2e-6) * (abs(want) + 1)
                    XCTAssertEqual(Double(y[r * cols + c]), want, accuracy: tolerance, "rows \(count) cols \(cols) [\(r), \(c)]")
                }
            }
        }
    }

    func testRefusesWhatItCannotRun() {
        var y: Float = 0
        XCTAssertEqual(tk_layer_norm(tk_path(rawValue: 99), [1], &y, 1, 1, [1], [0], 1e-5, nil, nil), TK_ERR_PATH)
        XCTAssertEqual(tk_layer_norm(TK_PATH_SCALAR, nil, &y, 1, 1, [1], [0], 1e-5, nil, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_layer_norm(TK_PATH_SCALAR, [1], &y, 1, 0, [1], [0], 1e-5, nil, nil), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_layer_norm(TK_PATH_SCALAR, nil, nil, 0, 0, nil, nil, 1e-5, nil, nil), TK_OK)
    }
}

import TesseraCore
import TestSupport
import XCTest

/// Int8Quantisation against a double-precision reference of the rule in formats/bundle.md.
final class Int8QuantisationTests: XCTestCase {
    func testMatchesTheDoubleReference() {
        var rng = Xorshift(seed: 7)
        let (rows, cols) = (9, 33)
        var values = (0..<(rows * cols)).map { _ in Float.random(in: -3...3, using: &rng) }
        for c in 0..<cols { values[2 * cols + c] = 0 }  // a zero row: scale 0, q 0
        values[5 * cols] = 1e-30  // a tiny row max
        for c in 1..<cols { values[5 * cols + c] = 0 }
        let (q, scales) = Int8Quantisation.quantise(Tensor(shape: [rows, cols], floats: values))
        let qs = q.bytes.assumingMemoryBound(to: Int8.self)
        let s = scales.floats()
        for r in 0..<rows {
            let row = values[(r * cols)..<((r + 1) * cols)]
            let scale = Float(row.map { abs($0) }.max()!) / 127
            XCTAssertEqual(s[r], scale, "row \(r)")
            for c in 0..<cols {
                let reference = scale == 0 ? 0 : (Double(values[r * cols + c]) / Double(scale)).rounded(.toNearestOrEven)
                XCTAssertEqual(Double(qs[r * cols + c]), max(-127, min(127, reference)), "row \(r) col \(c)")
            }
        }
        let back = Int8Quantisation.dequantise(q, scales: scales).floats()
        for i in values.indices { XCTAssertLessThanOrEqual(Double(abs(back[i] - values[i])), Double(s[i / cols]) / 2 * (1 + 1e-6)) }
    }
}

import TesseraCore
@testable import TesseraImage
import TestSupport
import XCTest

/// `PrincipalComponents` against scikit-learn in float64 (`fixtures/plot/make_plot.py`): the mean,
/// the loadings with their signs, the variances, the scores and the tiles' colours; the blocked
/// scatter kernel against its plain triple loop; the same bits on one thread as on several; the
/// degenerate cases (one tile, two tiles, fewer values per row than components).
final class PrincipalComponentsTests: XCTestCase {
    func testMatchesScikitLearn() throws {
        let expected = try Fixtures.load("plot/pca_expected.safetensors")
        for name in ["spectrum", "wide", "demo"] {
            let rows = expected["\(name).rows"]!
            let n = rows.shape[0], d = rows.shape[1]
            let pca = rows.withFloats { PrincipalComponents(rows: $0, count: n, width: d) }
            XCTAssertTrue(pca.converged, name)
            let mean = values(expected["\(name).mean"]!), loadings = values(expected["\(name).loadings"]!)
            let variances = values(expected["\(name).variances"]!), scores = values(expected["\(name).scores"]!)
            XCTAssertLessThan(maxDifference(pca.mean, mean), 1e-12 * mean.map(abs).max()!, name)
            XCTAssertLessThan(maxDifference(pca.loadings.flatMap { $0 }, loadings), 1e-9, "\(name): loadings (signs included)")
            XCTAssertLessThan(maxDifference(pca.variances, variances), 1e-10 * variances[0], name)
            XCTAssertLessThan(maxDifference(pca.scores, scores), 1e-9 * scores.map(abs).max()!, name)
            let colours = SlidePicture.colours(pca).flatMap { [$0.red, $0.green, $0.blue] }
            XCTAssertEqual(colours, expected["\(name).colours"]!.floats().map { UInt8($0) }, "\(name): colours")
        }
    }

    func testScatterMatchesPlainLoop() {
        // Widths not a multiple of 4 and row counts past one block, as the kernel pads and blocks them.
        var generator = Xorshift(seed: 7)
        for (n, d) in [(1, 1), (3, 5), (150, 37), (64, 8)] {
            let rows = (0..<n * d).map { _ in Float.random(in: -3...3, using: &generator) }
            let mean = (0..<d).map { i in (0..<n).reduce(0.0) { $0 + Double(rows[$1 * d + i]) } / Double(n) }
            let blocked = rows.withUnsafeBufferPointer { PrincipalComponents.scatter($0, count: n, width: d, mean: mean) }
            let plain = reference(rows, count: n, width: d, mean: mean)
            XCTAssertLessThan(maxDifference(blocked, plain), 1e-12 * max(plain.map(abs).max()!, 1), "\(n) x \(d)")
        }
    }

    func testThreadCountDoesNotChangeTheBits() {
        var generator = Xorshift(seed: 11)
        let n = 200, d = 48
        let rows = (0..<n * d).map { _ in Float.random(in: -1...1, using: &generator) }
        let saved = Parallel.threadCount
        defer { Parallel.threadCount = saved }
        Parallel.threadCount = 1
        let one = rows.withUnsafeBufferPointer { PrincipalComponents(rows: $0, count: n, width: d) }
        Parallel.threadCount = 3
        let three = rows.withUnsafeBufferPointer { PrincipalComponents(rows: $0, count: n, width: d) }
        XCTAssertEqual(one.scores, three.scores)
        XCTAssertEqual(one.loadings, three.loadings)
    }

    func testDegenerateInputs() {
        // One tile: no variance at all; every colour channel is the middle grey.
        let single = [Float](repeating: 0.5, count: 8).withUnsafeBufferPointer { PrincipalComponents(rows: $0, count: 1, width: 8) }
        XCTAssertEqual(single.variances, [0, 0, 0])
        XCTAssertEqual(single.scores, [0, 0, 0])
        XCTAssertEqual(SlidePicture.colours(single), [RGBImage.Colour(128, 128, 128)])

        // Two tiles: one component; PC1 spans 0...255, the others (rounding) stay grey.
        let two: [Float] = [1, 2, 3, 4, 5, 0, 0, 1, 1, 0]
        let pair = two.withUnsafeBufferPointer { PrincipalComponents(rows: $0, count: 2, width: 5) }
        XCTAssertEqual(pair.variances[0], 21.5, accuracy: 1e-12)  // |x1 - x2|^2 / 2
        XCTAssertEqual(Set(SlidePicture.colours(pair).map(\.red)), [0, 255])
        XCTAssertEqual(SlidePicture.colours(pair).map(\.green), [128, 128])

        // Two values per row: the third component is a zero vector with no variance.
        let narrow: [Float] = [0, 0, 1, 0, 0, 2, 3, 3]
        let flat = narrow.withUnsafeBufferPointer { PrincipalComponents(rows: $0, count: 4, width: 2) }
        XCTAssertEqual(flat.loadings[2], [0, 0])
        XCTAssertEqual(flat.variances[2], 0)
        XCTAssertEqual(flat.loadings[0].reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-12)
        XCTAssertEqual(flat.loadings[0][0] * flat.loadings[1][0] + flat.loadings[0][1] * flat.loadings[1][1], 0, accuracy: 1e-12)
    }

    func testSignsFollowTheLargestLoading() {
        XCTAssertEqual(PrincipalComponents.signed([0.1, -0.9, 0.4]), [-0.1, 0.9, -0.4])
        XCTAssertEqual(PrincipalComponents.signed([-0.5, 0.5]), [0.5, -0.5], "the first of equal magnitudes decides")
    }

    /// The scatter matrix by its definition: the double-precision reference of `PrincipalComponents.scatter`.
    private func reference(_ rows: [Float], count n: Int, width d: Int, mean: [Double]) -> [Double] {
        var s = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d {
                for r in 0..<n { s[i * d + j] += (Double(rows[r * d + i]) - mean[i]) * (Double(rows[r * d + j]) - mean[j]) }
            }
        }
        return s
    }

    private func values(_ tensor: Tensor) -> [Double] { (0..<tensor.count).map { tensor.scalar(at: $0) } }

    private func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}

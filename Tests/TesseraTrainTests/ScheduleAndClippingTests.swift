import XCTest
import TesseraCore
import TesseraTrain

final class ScheduleAndClippingTests: XCTestCase {
    func testWarmupThenCosine() {
        let s = LearningRateSchedule(baseLR: 1e-3, warmupSteps: 10, totalSteps: 110, warmupStartLR: 1e-6, minLR: 1e-5)
        XCTAssertEqual(s.lr(at: 0), 1e-6)
        XCTAssertEqual(s.lr(at: 5), 1e-6 + 5 * (1e-3 - 1e-6) / 10, accuracy: 1e-15)
        XCTAssertEqual(s.lr(at: 10), 1e-3, accuracy: 1e-15)                   // peak after warm-up
        XCTAssertEqual(s.lr(at: 60), (1e-3 + 1e-5) / 2, accuracy: 1e-15)      // half-way down the cosine
        XCTAssertEqual(s.lr(at: 110), 1e-5)
        XCTAssertEqual(s.lr(at: 500), 1e-5)
        for t in 10..<110 { XCTAssertGreaterThanOrEqual(s.lr(at: t), s.lr(at: t + 1)) }
        XCTAssertEqual(LearningRateSchedule.constant(0.1).lr(at: 7), 0.1)
    }

    func testGlobalNormClipping() {
        let parameters = ParameterSet()
        let a = parameters.add("a.weight", Tensor(zeros: [2, 2])), b = parameters.add("b.bias", Tensor(zeros: [3]))
        let frozen = parameters.add("c.weight", Tensor(zeros: [1]))
        a.grad!.update(repeating: 3, count: 4)   // norm 6
        b.grad!.update(repeating: 0, count: 3)
        b.grad![0] = 8                           // norm 8: global norm 10
        frozen.isTrainable = false
        let norm = GradientClipping.clipGlobalNorm(parameters, maxNorm: 5)
        XCTAssertEqual(norm, 10, accuracy: 1e-5)
        XCTAssertEqual(a.grad![0], 3 * 5 / (10 + 1e-6), accuracy: 1e-6)
        XCTAssertEqual(b.grad![0], 8 * 5 / (10 + 1e-6), accuracy: 1e-6)
        // Under the threshold nothing changes.
        XCTAssertEqual(GradientClipping.clipGlobalNorm(parameters, maxNorm: 100), 5, accuracy: 1e-5)
        XCTAssertEqual(a.grad![0], 3 * 5 / (10 + 1e-6), accuracy: 1e-6)
    }

    func testRandomGeneratorStateRoundTrips() {
        var r = RandomGenerator(seed: 42)
        for _ in 0..<10 { _ = r.next() }
        var copy = RandomGenerator(state: r.state)!
        XCTAssertEqual((0..<100).map { _ in r.next() }, (0..<100).map { _ in copy.next() })
        XCTAssertNil(RandomGenerator(state: [0, 0, 0, 0]))
        var n = RandomGenerator(seed: 1)
        let xs = (0..<20000).map { _ in n.truncatedNormal(std: 0.02) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let std = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 1e-3)
        XCTAssertEqual(std, 0.02, accuracy: 5e-4)
    }
}

import Foundation
import TesseraCore
import TesseraFormats
import TesseraIO
import TestSupport
import XCTest
@testable import TesseraFinetune

/// The probe's hand-written gradient against a double-precision reference, its determinism, and
/// its result on data a line separates; the feature files it reads, hostile ones included.
final class LinearProbeTests: XCTestCase {
    /// Reference loss in double precision: cross-entropy (mean over rows) or BCE with logits (mean over entries).
    func referenceLoss(weight: [Double], bias: [Double], x: [Float], y: [Float], rows: [Int], dim: Int, multiLabel: Bool) -> Double {
        let c = bias.count
        var total = 0.0
        for r in rows {
            let z = (0..<c).map { k in bias[k] + (0..<dim).reduce(0.0) { $0 + weight[k * dim + $1] * Double(x[r * dim + $1]) } }
            if multiLabel {
                for k in 0..<c {
                    let t = Double(y[r * c + k])
                    total += max(z[k], 0) - z[k] * t + log1p(exp(-abs(z[k])))
                }
            } else {
                let peak = z.max()!
                let logTotal = log(z.reduce(0) { $0 + exp($1 - peak) })
                for k in 0..<c { total -= Double(y[r * c + k]) * (z[k] - peak - logTotal) }
            }
        }
        return total / Double(multiLabel ? rows.count * c : rows.count)
    }

    /// The analytic gradient against central differences of the double-precision loss, for both
    /// losses, over a batch of 150 rows (3 chunks, the last partial) with repeated rows.
    func testGradientAgainstFiniteDifferences() {
        var random = Xorshift(seed: 11)
        let n = 40, dim = 19, c = 4
        let x = (0..<(n * dim)).map { _ in Float.random(in: -2...2, using: &random) }
        let rows = (0..<150).map { _ in Int.random(in: 0..<n, using: &random) }
        for multiLabel in [false, true] {
            let y: [Float] = (0..<n).flatMap { r -> [Float] in
                multiLabel ? (0..<c).map { _ in Float(Int.random(in: 0...1, using: &random)) } : (0..<c).map { $0 == r % c ? 1 : 0 }
            }
            let weight = (0..<(c * dim)).map { _ in Float.random(in: -0.5...0.5, using: &random) }
            let bias = (0..<c).map { _ in Float.random(in: -0.5...0.5, using: &random) }
            var gradient = LinearProbe.Gradient(classes: c, dim: dim, batch: rows.count)
            let loss = gradient.compute(weight: weight, bias: bias, x: x, y: y, rows: rows, setting: multiLabel ? .multiLabel : .multiClass)
            let w = weight.map(Double.init), b = bias.map(Double.init)
            let reference = referenceLoss(weight: w, bias: b, x: x, y: y, rows: rows, dim: dim, multiLabel: multiLabel)
            XCTAssertEqual(loss, reference, accuracy: 1e-5 * abs(reference))
            let h = 1e-5
            var worst = 0.0, largest = 0.0
            for i in 0..<(c * dim) {
                var plus = w, minus = w
                plus[i] += h
                minus[i] -= h
                let numeric = (referenceLoss(weight: plus, bias: b, x: x, y: y, rows: rows, dim: dim, multiLabel: multiLabel)
                    - referenceLoss(weight: minus, bias: b, x: x, y: y, rows: rows, dim: dim, multiLabel: multiLabel)) / (2 * h)
                worst = max(worst, abs(numeric - Double(gradient.weight[i])))
                largest = max(largest, abs(numeric))
            }
            for k in 0..<c {
                var plus = b, minus = b
                plus[k] += h
                minus[k] -= h
                let numeric = (referenceLoss(weight: w, bias: plus, x: x, y: y, rows: rows, dim: dim, multiLabel: multiLabel)
                    - referenceLoss(weight: w, bias: minus, x: x, y: y, rows: rows, dim: dim, multiLabel: multiLabel)) / (2 * h)
                worst = max(worst, abs(numeric - Double(gradient.bias[k])))
            }
            XCTAssertGreaterThan(largest, 1e-3)
            XCTAssertLessThan(worst / largest, 1e-5, "multiLabel \(multiLabel): max |analytic - numeric| \(worst) of \(largest)")
        }
    }

    /// Two classes a hyperplane separates (with an offset, so normalisation matters less than the
    /// signs): test AUROC 1, accuracy 1; the same run twice and on one thread gives the same bits.
    func testSeparableAndDeterministic() throws {
        var random = Xorshift(seed: 5)
        let dim = 16, n = 300
        var features: [Float] = [], targets: [[Float]] = []
        for i in 0..<n {
            let label = i % 2
            var row = (0..<dim).map { _ in Float.random(in: -1...1, using: &random) }
            row[3] = label == 1 ? Float.random(in: 0.5...2, using: &random) : Float.random(in: -2 ... -0.5, using: &random)
            features += row
            targets.append(label == 1 ? [0, 1] : [1, 0])
        }
        var options = LinearProbe.Options()
        options.iterations = 300
        options.batchSize = 100
        options.learningRate = 0.1
        options.momentum = 0.9
        options.weightDecay = 1e-4
        options.normalization = .train
        let trainRows = 200
        let probe = try LinearProbe.train(features: Array(features[..<(trainRows * dim)]), dim: dim, targets: Array(targets[..<trainRows]),
                                          setting: .binary, options: options)
        let task = TaskConfig(setting: .binary, classNames: ["neg", "pos"])
        let metrics = try TaskMetrics(probabilities: probe.probabilities(Array(features[(trainRows * dim)...])),
                                      labels: Array(targets[trainRows...]), task: task)
        XCTAssertEqual(metrics["macro_auroc"], 1)
        XCTAssertEqual(metrics["acc"], 1)
        XCTAssertEqual(metrics["pos_auprc"], 1)

        let again = try LinearProbe.train(features: Array(features[..<(trainRows * dim)]), dim: dim, targets: Array(targets[..<trainRows]),
                                          setting: .binary, options: options)
        XCTAssertEqual(again.weight, probe.weight)
        XCTAssertEqual(again.bias, probe.bias)
        let threads = Parallel.threadCount
        Parallel.threadCount = 1
        defer { Parallel.threadCount = threads }
        let serial = try LinearProbe.train(features: Array(features[..<(trainRows * dim)]), dim: dim, targets: Array(targets[..<trainRows]),
                                           setting: .binary, options: options)
        XCTAssertEqual(serial.weight, probe.weight, "the same bits on one thread")
        options.seed = 43
        let other = try LinearProbe.train(features: Array(features[..<(trainRows * dim)]), dim: dim, targets: Array(targets[..<trainRows]),
                                          setting: .binary, options: options)
        XCTAssertNotEqual(other.weight, probe.weight)
    }

    /// Upstream's per-embedding z-score (torch's unbiased std) and the training statistics.
    func testNormalization() {
        let slide = LinearProbe(setting: .multiClass, normalization: .slide, weight: [0, 0, 0, 0], bias: [0])
        let z = slide.normalized([1, 2, 3, 6, 5, 5, 5, 5])
        // mean 3, unbiased std sqrt((4 + 1 + 0 + 9) / 3).
        let s = Float((14.0 / 3.0).squareRoot())
        XCTAssertEqual(z[0], -2 / s, accuracy: 1e-6)
        XCTAssertEqual(z[3], 3 / s, accuracy: 1e-6)
        XCTAssertEqual(Array(z[4...]), [0, 0, 0, 0])  // a constant embedding: zeros
        let (mean, std) = LinearProbe.statistics([1, 5, 3, 5], dim: 2)
        XCTAssertEqual(mean, [2, 5])
        XCTAssertEqual(std, [1, 1])  // the second feature is constant: std 1
    }

    func testBadOptions() {
        var options = LinearProbe.Options()
        options.batchSize = 0
        XCTAssertThrowsError(try LinearProbe.train(features: [1, 2], dim: 2, targets: [[1, 0]], setting: .multiClass, options: options)) {
            XCTAssertEqual("\($0)", "linear probe: the batch size must be at least 1, got 0")
        }
        XCTAssertThrowsError(try LinearProbe.train(features: [1, 2, 3], dim: 2, targets: [[1, 0]], setting: .multiClass, options: LinearProbe.Options()))
    }

    /// A feature folder: files found under the stripped id or the CSV's id, missing ones listed,
    /// tile_embeds mean-pooled; a file of the wrong shape, width, dtype or without the tensor is an
    /// error naming it.
    func testFeatureFiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        func write(_ name: String, _ tensors: [(String, Tensor)]) throws {
            var dict = StateDict()
            for (key, tensor) in tensors { dict.set(key, tensor) }
            try SafeTensors.write(dict, to: folder.file(name))
        }
        try write("a.safetensors", [("slide_embed", Tensor(shape: [3], floats: [1, 2, 3])), ("tile_embeds", Tensor(shape: [2, 3], floats: [1, 2, 3, 3, 4, 5]))])
        try write("b.svs.safetensors", [("slide_embed", Tensor(shape: [1, 3], floats: [4, 5, 6])), ("tile_embeds", Tensor(shape: [1, 3], floats: [0, 0, 0]))])
        let task = TaskConfig(classNames: ["x", "y"])
        let labels = try SlideLabels(csv: "slide_id,label\na.svs,x\nb.svs,y\nc,x\n", file: "l.csv", task: task)
        let features = try SlideEmbeddingTable.load(folder: folder.path, labels: labels)
        XCTAssertEqual(features.dim, 3)
        XCTAssertEqual(features.rows, [0, 1])
        XCTAssertEqual(features.values, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(features.missing, ["c"])
        XCTAssertEqual(features.gather([1, 0, 1]), [4, 5, 6, 1, 2, 3, 4, 5, 6])
        let tiles = try SlideEmbeddingTable.load(folder: folder.path, labels: labels, embedding: "tile_embeds")
        XCTAssertEqual(tiles.values, [2, 3, 4, 0, 0, 0])

        let hostile: [([(String, Tensor)], String)] = [
            ([("other", Tensor(shape: [3], floats: [1, 2, 3]))], "no tensor 'slide_embed' (it holds other)"),
            ([("slide_embed", Tensor(shape: [1, 1, 3], floats: [1, 2, 3]))], "'slide_embed' has shape [1, 1, 3], expected [D] or [rows, D]"),
            ([("slide_embed", Tensor(shape: [4], floats: [1, 2, 3, 4]))], "'slide_embed' has shape [4], its width 4 differs from the other slides' 3"),
            ([("slide_embed", Tensor(zeros: [3], dtype: .i64))], "'slide_embed' is i64, expected floating point"),
            ([("slide_embed", Tensor(shape: [3], floats: [1, .nan, 3]))], "'slide_embed' holds values that are not finite"),
        ]
        for (tensors, message) in hostile {
            try write("c.safetensors", tensors)
            XCTAssertThrowsError(try SlideEmbeddingTable.load(folder: folder.path, labels: labels)) {
                XCTAssertEqual($0 as? FinetuneError, .badInput(file: folder.file("c.safetensors"), reason: message))
            }
        }
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: folder.file("c.safetensors")))
        XCTAssertThrowsError(try SlideEmbeddingTable.load(folder: folder.path, labels: labels)) {
            XCTAssertTrue("\($0)".hasPrefix(folder.file("c.safetensors") + ": "), "\($0)")
        }
        XCTAssertThrowsError(try SlideEmbeddingTable.load(folder: folder.file("none"), labels: labels)) {
            XCTAssertEqual("\($0)", folder.file("none") + ": not a folder of per-slide feature files")
        }
    }
}

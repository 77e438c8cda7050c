import Foundation
import TestSupport
import XCTest
@testable import TesseraFinetune

/// `TaskMetrics` against upstream's `calculate_metrics_with_task_cfg` run by scikit-learn 1.9.1
/// (fixtures/finetune/metrics_expected.json), and on edge cases worked by hand.
final class TaskMetricsTests: XCTestCase {
    /// One case of the fixture: its task config (as YAML would give it), inputs and expected metrics in order.
    struct Case {
        let task: TaskConfig
        let probabilities: [[Float]]
        let labels: [[Float]]
        let expected: [(String, Double)]
    }

    func fixtureCase(_ name: String) throws -> Case {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("finetune/metrics_expected.json")))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try XCTUnwrap(root[name] as? [String: Any])
        let config = try XCTUnwrap(entry["task_config"] as? [String: Any])
        // The task config through the YAML reader, as a user's file would come.
        let labelDict = try XCTUnwrap(config["label_dict"] as? [String: Int])
        var yaml = "name: \(config["name"]!)\nsetting: \(config["setting"]!)\nlabel_dict:\n"
        for (key, value) in labelDict.sorted(by: { $0.value > $1.value }) { yaml += "  \(key): \(value)\n" }
        if let added = config["add_metrics"] as? [String] { yaml += "add_metrics: [\(added.joined(separator: ", "))]\n" }
        let task = try TaskConfig(yaml: yaml, file: "\(name).yaml")
        let rows = { (key: String) throws -> [[Float]] in
            try XCTUnwrap(entry[key] as? [[Double]]).map { $0.map(Float.init) }
        }
        // The expected dict's key order is upstream's: JSONSerialization loses it, so read the keys from the text.
        let expected = try XCTUnwrap(entry["expected"] as? [String: Double])
        let text = String(decoding: data, as: UTF8.self)
        let caseStart = try XCTUnwrap(text.range(of: "\"\(name)\": {"))
        let expectedStart = try XCTUnwrap(text.range(of: "\"expected\": {", range: caseStart.upperBound..<text.endIndex))
        let rest = text[expectedStart.upperBound...]
        let body = rest[..<rest.firstIndex(of: "}")!]
        let order = body.components(separatedBy: "\"").enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        XCTAssertEqual(Set(order), Set(expected.keys))
        return Case(task: task, probabilities: try rows("probs"), labels: try rows("labels"),
                    expected: order.map { ($0, expected[$0]!) })
    }

    func checkFixture(_ name: String) throws {
        let c = try fixtureCase(name)
        let metrics = try TaskMetrics(probabilities: c.probabilities, labels: c.labels, task: c.task)
        XCTAssertEqual(metrics.values.map(\.name), c.expected.map(\.0), "\(name): key order")
        for ((key, expected), (_, actual)) in zip(c.expected, metrics.values) {
            XCTAssertEqual(actual, expected, accuracy: 1e-12, "\(name): \(key)")
        }
    }

    func testMultiClassFixture() throws {
        let c = try fixtureCase("multi_class")
        XCTAssertEqual(c.task.classNames, ["class0", "class1", "class2"])
        XCTAssertEqual(c.task.addMetrics, [.qwk])
        try checkFixture("multi_class")
    }

    func testMultiLabelFixture() throws {
        let c = try fixtureCase("multi_label")
        XCTAssertEqual(c.task.setting, .multiLabel)
        try checkFixture("multi_label")
    }

    // MARK: - Edge cases, worked by hand

    /// Tied scores are one threshold: the ROC curve goes diagonally across the tie.
    func testTiedScoresAUROC() {
        // Positives 0.8, 0.5; negatives 0.5, 0.2. Pairs: (0.8 > 0.5), (0.8 > 0.2), (0.5 = 0.5: half), (0.5 > 0.2) -> 3.5 / 4.
        XCTAssertEqual(TaskMetrics.auroc(scores: [0.8, 0.5, 0.5, 0.2], truths: [true, true, false, false]), 0.875)
        // Everything tied: the diagonal.
        XCTAssertEqual(TaskMetrics.auroc(scores: [0.3, 0.3, 0.3], truths: [true, false, false]), 0.5)
        // Perfect ranking and its reverse.
        XCTAssertEqual(TaskMetrics.auroc(scores: [0.9, 0.8, 0.1], truths: [true, true, false]), 1)
        XCTAssertEqual(TaskMetrics.auroc(scores: [0.1, 0.2, 0.9], truths: [true, true, false]), 0)
    }

    /// Average precision is a step sum over distinct thresholds, with ties counted together.
    func testTiedScoresAveragePrecision() {
        // Thresholds 0.8 (tp 1, fp 0: P 1, R 1/2), 0.5 (tp 2, fp 1: P 2/3, R 1), 0.2: R stays 1.
        XCTAssertEqual(TaskMetrics.averagePrecision(scores: [0.8, 0.5, 0.5, 0.2], truths: [true, true, false, false]),
                       0.5 * 1 + 0.5 * 2.0 / 3.0, accuracy: 1e-15)
        // All tied: one threshold, precision = the positive rate.
        XCTAssertEqual(TaskMetrics.averagePrecision(scores: [0.3, 0.3, 0.3, 0.3], truths: [true, false, false, false]), 0.25)
        // No interpolation: a positive ranked last lowers AP (1/2 + 1/2 * 2/3).
        XCTAssertEqual(TaskMetrics.averagePrecision(scores: [0.9, 0.5, 0.1], truths: [true, false, true]),
                       0.5 + 0.5 * 2.0 / 3.0, accuracy: 1e-15)
    }

    /// A column whose labels are all one value: AUROC NaN (so the macro AUROC is NaN), AP 0 or 1,
    /// and the other metrics as usual.
    func testSingleValueColumn() throws {
        let task = TaskConfig(setting: .multiLabel, classNames: ["a", "b", "c"])
        let probabilities: [[Float]] = [[0.9, 0.2, 0.5], [0.1, 0.7, 0.4], [0.6, 0.3, 0.2], [0.4, 0.8, 0.9]]
        let labels: [[Float]] = [[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 1]]  // b: never positive; c: always
        let metrics = try TaskMetrics(probabilities: probabilities, labels: labels, task: task)
        XCTAssertEqual(metrics["a_auroc"], 1)
        XCTAssertTrue(metrics["b_auroc"]!.isNaN)
        XCTAssertTrue(metrics["c_auroc"]!.isNaN)
        XCTAssertTrue(metrics["macro_auroc"]!.isNaN)
        XCTAssertEqual(metrics["a_auprc"], 1)
        XCTAssertEqual(metrics["b_auprc"], 0)
        XCTAssertEqual(metrics["c_auprc"], 1)
        XCTAssertEqual(metrics["macro_auprc"]!, 2.0 / 3.0, accuracy: 1e-15)
        XCTAssertFalse(metrics["micro_auroc"]!.isNaN)
        XCTAssertEqual(metrics.values.map(\.name), ["micro_auroc", "micro_auprc", "macro_auroc", "macro_auprc",
                                                    "a_auroc", "b_auroc", "c_auroc", "a_auprc", "b_auprc", "c_auprc"])
    }

    /// bacc averages recall over the true classes only; argmax ties go to the first index; qwk
    /// weights by position among the classes present.
    func testArgmaxMetrics() throws {
        let task = TaskConfig(classNames: ["0", "1", "2", "3"], addMetrics: [.qwk])
        // Truth 0, 0, 3, 3; predicted (argmax, tie -> first) 0, 1, 3, 0.
        let probabilities: [[Float]] = [[0.4, 0.4, 0.1, 0.1], [0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7], [0.5, 0.1, 0.1, 0.3]]
        let labels: [[Float]] = [[1, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 0, 1]]
        let metrics = try TaskMetrics(probabilities: probabilities, labels: labels, task: task)
        XCTAssertEqual(metrics["acc"], 0.5)
        XCTAssertEqual(metrics["bacc"], 0.5)  // recall 1/2 for class 0 and class 3; class 1 (only predicted) left out
        // Classes present: 0, 1, 3 at positions 0, 1, 2. O = [[1,1,0],[0,0,0],[1,0,1]] (rows truth).
        // Column sums [2,1,1], row sums [2,0,2], E = outer(col, row) / 4.
        // Σ w·O = 1·1 (0->1) + 4·1 (3->0) = 5; Σ w·E = Σ (j-i)² col_i row_j / 4
        // = (1·2·0 + 4·2·2 + 1·1·2 + 1·1·2 + 4·1·2 + 1·1·0) / 4 = 7 (sklearn: 0.2857142857142857).
        XCTAssertEqual(metrics["qwk"]!, 1 - 5.0 / 7.0, accuracy: 1e-15)
        XCTAssertEqual(metrics.values.map(\.name).prefix(5), ["bacc", "acc", "macro_auroc", "macro_auprc", "qwk"])
        // Class 1 and 2 never true: their AUROC is NaN.
        XCTAssertTrue(metrics["1_auroc"]!.isNaN && metrics["2_auroc"]!.isNaN)
        // Class 0: positives score 0.4, 0.1; negatives 0.1, 0.5: pairs won 1 + 0.5 (the tie) of 4.
        XCTAssertEqual(metrics["0_auroc"], 0.375)
    }

    /// qwk when every sample is one class on both sides: undefined, NaN (sklearn's replace_undefined_by).
    func testUndefinedKappa() {
        XCTAssertTrue(TaskMetrics.quadraticKappa(truth: [1, 1, 1], predicted: [1, 1, 1]).isNaN)
    }

    func testBadInputs() {
        let task = TaskConfig(classNames: ["a", "b"])
        XCTAssertThrowsError(try TaskMetrics(probabilities: [[0.5, 0.5]], labels: [[1, 0], [0, 1]], task: task)) {
            XCTAssertEqual("\($0)", "metrics: 1 probability rows but 2 label rows")
        }
        XCTAssertThrowsError(try TaskMetrics(probabilities: [[0.5, 0.5, 0]], labels: [[1, 0, 0]], task: task)) {
            XCTAssertEqual("\($0)", "metrics: sample 0 has 3 probabilities and 3 labels for 2 classes")
        }
        XCTAssertThrowsError(try TaskMetrics(probabilities: [[0.5, 0.5]], labels: [[0.5, 0.5]], task: task)) {
            XCTAssertEqual("\($0)", "metrics: sample 0 has a label other than 0 or 1")
        }
        XCTAssertThrowsError(try TaskMetrics(probabilities: [[.nan, 0.5]], labels: [[1, 0]], task: task))
    }

    /// numpy's pairwise order, checked on sums where it differs from left-to-right addition.
    func testNumPySumOrder() {
        // Left to right, 1e16 + 1 + 1 ... loses every one (the spacing of doubles there is 2).
        let values = [1e16] + [Double](repeating: 1, count: 15)
        // Pairwise (n = 16 ≤ 128): r0 = 1e16 + 1 = 1e16, r1...r7 = 2, ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))
        // = 1e16 + 14, what np.sum gives.
        XCTAssertEqual(NumPySum.sum(values), 1e16 + 14)
        XCTAssertEqual(values.reduce(0, +), 1e16)  // what a plain loop gives
        XCTAssertEqual(NumPySum.sum([1, 2, 3]), 6)
        XCTAssertTrue(NumPySum.mean([]).isNaN)
    }
}

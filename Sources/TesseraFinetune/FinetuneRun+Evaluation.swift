import TesseraCore
import TesseraFormats
import TesseraTrain

extension FinetuneRun {
    /// A split's predictions scored as upstream's `evaluate` scores them: the mean loss over its
    /// slides and `TaskMetrics` of the probabilities (softmax or sigmoid) against the targets.
    struct Evaluation {
        let loss: Double
        let metrics: [(name: String, value: Double)]
        /// Why the metrics could not be computed (a split with one class only), if so.
        let problem: String?

        /// The evaluation as metrics.jsonl members, each name after `prefix` (val_, test_).
        func members(prefix: String) -> [(String, JSONValue)] {
            [(prefix + "loss", .real(loss))] + metrics.map { (prefix + $0.name, .real($0.value)) }
                + (problem.map { [(prefix + "metrics_problem", .string($0))] } ?? [])
        }
    }

    /// `model` on the slides of `rows`, in order (no shuffling: upstream's SequentialSampler).
    func evaluate(_ model: ClassificationHead, rows: [Int]) throws -> Evaluation {
        var loss = 0.0, probabilities: [[Float]] = [], targets: [[Float]] = []
        for row in rows {
            let slide = try features(row: row, epoch: 0)
            let logits = try model.predict(tileEmbeds: slide.tileEmbeds, cells: slide.cells).logits
            loss += Double(ClassificationLoss.lossAndGradient(logits: logits, target: labels.targets[row],
                                                              setting: model.classifier.head.setting).loss)
            probabilities.append(model.classifier.probabilities(logits: logits))
            targets.append(labels.targets[row])
        }
        do {
            let metrics = try TaskMetrics(probabilities: probabilities, labels: targets, task: task)
            return Evaluation(loss: loss / Double(rows.count), metrics: metrics.values, problem: nil)
        } catch {
            return Evaluation(loss: loss / Double(rows.count), metrics: [], problem: "\(error)")
        }
    }
}

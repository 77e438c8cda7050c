import Foundation
import TesseraCore
import TesseraFormats
import TesseraIO

/// A linear probe over every fold of a split: train on the fold's training slides, score its
/// test (and validation) slides with `TaskMetrics`, and write what a run keeps into its output
/// folder (formats: README, "tessera probe"):
///
/// - `metrics.json`: the task, the options, and per fold the part sizes, the last batch's loss and
///   the test and validation metrics in upstream's key order (a metric that is NaN is `null`), then
///   each test metric's mean over the folds.
/// - `probe_{k}.safetensors`: fold k's `LinearProbe.stateDict`, with the classes, setting,
///   embedding and normalisation in its metadata.
/// - `splits/{train,val,test}_{k}.csv` when the folds were generated here (`FoldSplits.write`).
public struct ProbeRun: Sendable {
    /// One fold's result.
    public struct Fold: Sendable {
        public let index: Int
        /// Slides used from each part (those with a feature file).
        public let train: Int
        public let val: Int
        public let test: Int
        /// The loss of the last training batch.
        public let finalLoss: Double
        public let probe: LinearProbe
        public let testMetrics: TaskMetrics
        /// Absent when the fold has no validation slides.
        public let valMetrics: TaskMetrics?
    }

    public let task: TaskConfig
    public let options: LinearProbe.Options
    /// The tensor the embeddings came from (`SlideEmbeddingTable.load`'s `embedding`).
    public let embedding: String
    public let folds: [Fold]

    /// Trains and scores every fold of `splits`. `progress(fold, iteration, loss)` reports each
    /// training iteration. A fold with no training or no test slide (after leaving out slides
    /// without a feature file) is an error naming it.
    public static func run(task: TaskConfig, labels: SlideLabels, features: SlideEmbeddingTable, embedding: String, splits: FoldSplits,
                           options: LinearProbe.Options,
                           progress: ((_ fold: Int, _ iteration: Int, _ loss: Double) -> Void)? = nil) throws(FinetuneError) -> ProbeRun {
        let available = Set(features.rows)
        var folds: [Fold] = []
        for k in splits.folds.indices {
            let parts = try splits.rows(fold: k, labels: labels)
            let train = parts.train.filter(available.contains), val = parts.val.filter(available.contains)
            let test = parts.test.filter(available.contains)
            guard !train.isEmpty, !test.isEmpty else {
                throw .badArgument("fold \(k): \(train.count) training and \(test.count) test slides with feature files; both parts need some")
            }
            var lastLoss = Double.nan
            let probe = try LinearProbe.train(features: features.gather(train), dim: features.dim, targets: train.map { labels.targets[$0] },
                                              setting: task.setting, options: options) { iteration, loss in
                lastLoss = loss
                progress?(k, iteration, loss)
            }
            let score = { (rows: [Int]) throws(FinetuneError) -> TaskMetrics in
                try TaskMetrics(probabilities: probe.probabilities(features.gather(rows)), labels: rows.map { labels.targets[$0] }, task: task)
            }
            folds.append(Fold(index: k, train: train.count, val: val.count, test: test.count, finalLoss: lastLoss, probe: probe,
                              testMetrics: try score(test), valMetrics: val.isEmpty ? nil : try score(val)))
        }
        return ProbeRun(task: task, options: options, embedding: embedding, folds: folds)
    }

    /// Each test metric's mean over the folds, in the first fold's key order (NaN when any fold's is NaN).
    public var meanTestMetrics: [(name: String, value: Double)] {
        guard let first = folds.first else { return [] }
        return first.testMetrics.values.map { entry in
            (entry.name, folds.map { $0.testMetrics[entry.name] ?? .nan }.reduce(0, +) / Double(folds.count))
        }
    }

    /// `metrics.json`'s text.
    public var metricsJSON: String {
        func number(_ value: Double) -> JSONValue { value.isFinite ? .number("\(value)") : .null }
        func metrics(_ values: [(name: String, value: Double)]) -> JSONValue { .object(values.map { ($0.name, number($0.value)) }) }
        let foldValues: [JSONValue] = folds.map { fold in
            var members: [(key: String, value: JSONValue)] = [
                ("fold", .number("\(fold.index)")), ("train", .number("\(fold.train)")), ("val", .number("\(fold.val)")),
                ("test", .number("\(fold.test)")), ("final_loss", number(fold.finalLoss)), ("test_metrics", metrics(fold.testMetrics.values)),
            ]
            if let val = fold.valMetrics { members.append(("val_metrics", metrics(val.values))) }
            return .object(members)
        }
        let root: JSONValue = .object([
            ("task", task.name.map { .string($0) } ?? .null),
            ("setting", .string(task.setting.rawValue)),
            ("classes", .array(task.classNames.map { .string($0) })),
            ("embedding", .string(embedding)),
            ("options", .object([
                ("lr", number(options.learningRate)), ("min_lr", number(options.minLearningRate)),
                ("batch_size", .number("\(options.batchSize)")), ("iterations", .number("\(options.iterations)")),
                ("momentum", number(options.momentum)), ("weight_decay", number(options.weightDecay)),
                ("seed", .number("\(options.seed)")), ("z_score", .string(options.normalization.rawValue)),
            ])),
            ("folds", .array(foldValues)),
            ("mean_test_metrics", metrics(meanTestMetrics)),
        ])
        return root.serialized(pretty: true) + "\n"
    }

    /// The name of fold k's weights in the output folder.
    public static func weightsName(fold k: Int) -> String { "probe_\(k).safetensors" }
    public static let metricsName = "metrics.json"

    /// Writes `metrics.json` and every fold's weights into `folder` (which must exist), each file atomically.
    public func write(to folder: String) throws(FinetuneError) {
        for fold in folds {
            var dict = fold.probe.stateDict
            dict.metadata = [
                "classes": JSONValue.array(task.classNames.map { .string($0) }).serialized(),
                "setting": task.setting.rawValue, "embedding": embedding, "z_score": options.normalization.rawValue,
            ]
            let path = folder + "/" + Self.weightsName(fold: fold.index)
            do { try SafeTensors.write(dict, to: path) } catch { throw .badInput(file: path, reason: "cannot write: \(error)") }
        }
        let path = folder + "/" + Self.metricsName
        do {
            try AtomicOutput.write(to: path) { sink in try Array(metricsJSON.utf8).withUnsafeBytes { try sink($0) } }
        } catch {
            throw .badInput(file: path, reason: "cannot write: \(error)")
        }
    }
}

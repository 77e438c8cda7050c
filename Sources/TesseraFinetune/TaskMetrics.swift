import TesseraModels

/// prov-gigapath's `calculate_metrics_with_task_cfg(probs, labels, task_cfg)`
/// (finetune/metrics.py) with scikit-learn's definitions, in double precision and in numpy's
/// order of additions (`NumPySum`), so the values equal upstream's to the last bits
/// (docs/models.md §6.5).
///
/// Legend: S = samples (slides), C = classes (label_dict's size).
///
/// Keys, in upstream's order (a Python dict filled by `update`, so a later key that repeats an
/// earlier one keeps the earlier position and takes the later value):
/// - multi_class, binary: `bacc`, `acc`, `macro_auroc`, `macro_auprc`, the added metrics (`qwk`),
///   then `<name>_auroc` for every class, then `<name>_auprc` for every class (names in
///   label_dict order).
/// - multi_label: `micro_auroc`, `micro_auprc`, the added metrics, `macro_auroc`, `macro_auprc`,
///   then the per-label `_auroc` and `_auprc` keys.
///
/// - AUROC and AUPRC (`average_precision_score`) are one-vs-rest over the label columns, as
///   sklearn treats a 0/1 matrix (a "multilabel indicator"), even for one-hot multi_class labels;
///   macro is their unweighted mean over the columns, micro the same metric on all S·C entries
///   flattened row by row.
/// - bacc, acc and qwk compare `argmax` of each label row with `argmax` of each probability row
///   (the first index wins a tie).
/// - A column whose labels are all 0 or all 1 has AUROC NaN (scikit-learn 1.9 warns and returns
///   NaN; older versions raised), so the macro AUROC is NaN too; its average precision is 0 (no
///   positives) or 1 (no negatives), as sklearn's. qwk is NaN when sklearn's is undefined (the
///   true and predicted classes have at most one class in common).
public struct TaskMetrics: Sendable {
    /// (name, value) in upstream's key order.
    public let values: [(name: String, value: Double)]

    /// The metrics of probabilities [S][C] against labels [S][C] (0 or 1 each; one-hot for
    /// multi_class and binary) for `task`'s setting, classes and added metrics.
    public init(probabilities: [[Float]], labels: [[Float]], task: TaskConfig) throws(FinetuneError) {
        let c = task.classCount
        guard !probabilities.isEmpty else { throw .badArgument("metrics of no samples") }
        guard probabilities.count == labels.count else {
            throw .badArgument("metrics: \(probabilities.count) probability rows but \(labels.count) label rows")
        }
        for (row, (p, y)) in zip(probabilities, labels).enumerated() {
            guard p.count == c, y.count == c else {
                throw .badArgument("metrics: sample \(row) has \(p.count) probabilities and \(y.count) labels for \(c) classes")
            }
            guard p.allSatisfy({ $0.isFinite }) else { throw .badArgument("metrics: sample \(row) has a probability that is not finite") }
            guard y.allSatisfy({ $0 == 0 || $0 == 1 }) else { throw .badArgument("metrics: sample \(row) has a label other than 0 or 1") }
        }
        let scores = probabilities.map { $0.map(Double.init) }
        let truths = labels.map { $0.map { $0 == 1 } }
        let columns = (0..<c).map { k in BinaryCurve(scores: scores.map { $0[k] }, truths: truths.map { $0[k] }) }
        let perClassAUROC = columns.map(\.rocAUC), perClassAUPRC = columns.map(\.averagePrecision)

        var result = OrderedValues()
        let added = task.addMetrics
        func addExtras() {
            for metric in added {
                switch metric {
                case .qwk: result.update("qwk", Self.quadraticKappa(truth: labels.map(Self.argmax), predicted: probabilities.map(Self.argmax)))
                }
            }
        }
        func addPerClass() {
            for (name, value) in zip(task.classNames, perClassAUROC) { result.update(name + "_auroc", value) }
            for (name, value) in zip(task.classNames, perClassAUPRC) { result.update(name + "_auprc", value) }
        }
        switch task.setting {
        case .multiClass, .binary:
            let truth = labels.map(Self.argmax), predicted = probabilities.map(Self.argmax)
            result.update("bacc", Self.balancedAccuracy(truth: truth, predicted: predicted))
            result.update("acc", Self.accuracy(truth: truth, predicted: predicted))
            result.update("macro_auroc", NumPySum.mean(perClassAUROC))
            result.update("macro_auprc", NumPySum.mean(perClassAUPRC))
            addExtras()
            addPerClass()
        case .multiLabel:
            let micro = BinaryCurve(scores: scores.flatMap { $0 }, truths: truths.flatMap { $0 })
            result.update("micro_auroc", micro.rocAUC)
            result.update("micro_auprc", micro.averagePrecision)
            addExtras()
            result.update("macro_auroc", NumPySum.mean(perClassAUROC))
            result.update("macro_auprc", NumPySum.mean(perClassAUPRC))
            addPerClass()
        }
        values = result.entries
    }

    /// The value named `name`, if computed.
    public subscript(name: String) -> Double? { values.first { $0.name == name }?.value }

    /// `roc_auc_score` of one binary problem: scores [N], truths [N] (NaN when all truths agree).
    public static func auroc(scores: [Double], truths: [Bool]) -> Double {
        BinaryCurve(scores: scores, truths: truths).rocAUC
    }

    /// `average_precision_score` of one binary problem: scores [N], truths [N].
    public static func averagePrecision(scores: [Double], truths: [Bool]) -> Double {
        BinaryCurve(scores: scores, truths: truths).averagePrecision
    }

    /// numpy's `argmax` of one row: the first index of the largest value.
    static func argmax(_ row: [Float]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }

    /// `accuracy_score`: the fraction of equal classes.
    static func accuracy(truth: [Int], predicted: [Int]) -> Double {
        Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// `balanced_accuracy_score`: the mean recall over the classes that occur in `truth` (a class
    /// only predicted has no recall; sklearn drops it with a warning).
    static func balancedAccuracy(truth: [Int], predicted: [Int]) -> Double {
        let classes = Set(truth + predicted).sorted()
        let recalls = classes.compactMap { k -> Double? in
            let rows = truth.indices.filter { truth[$0] == k }
            guard !rows.isEmpty else { return nil }
            return Double(rows.filter { predicted[$0] == k }.count) / Double(rows.count)
        }
        return NumPySum.mean(recalls)
    }

    /// `cohen_kappa_score(truth, predicted, weights="quadratic")`: 1 − Σ w·O / Σ w·E over the
    /// confusion matrix O of the classes that occur in either (sorted), E = outer(column sums,
    /// row sums) / S, w_ij = (j − i)². The weights count positions in that sorted list, not class
    /// values: with classes {0, 2, 5} present, 0 and 5 are 2 apart. NaN where sklearn's is
    /// undefined (Σ w·E = 0).
    static func quadraticKappa(truth: [Int], predicted: [Int]) -> Double {
        let classes = Set(truth + predicted).sorted()
        let position = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element, $0.offset) })
        let n = classes.count
        var confusion = [Double](repeating: 0, count: n * n)
        for (t, p) in zip(truth, predicted) { confusion[position[t]! * n + position[p]!] += 1 }
        let columnSums = (0..<n).map { j in (0..<n).reduce(0.0) { $0 + confusion[$1 * n + j] } }
        let rowSums = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + confusion[i * n + $1] } }
        let total = NumPySum.sum(columnSums)
        var weightedObserved: [Double] = [], weightedExpected: [Double] = []
        for i in 0..<n {
            for j in 0..<n {
                let w = Double((j - i) * (j - i))
                weightedObserved.append(w * confusion[i * n + j])
                weightedExpected.append(w * (columnSums[i] * rowSums[j] / total))
            }
        }
        let denominator = NumPySum.sum(weightedExpected)
        guard denominator != 0 else { return .nan }
        return 1 - NumPySum.sum(weightedObserved) / denominator
    }
}

/// A Python dict's `update` order: a new key goes to the end, a repeated one keeps its place.
private struct OrderedValues {
    var entries: [(name: String, value: Double)] = []
    mutating func update(_ name: String, _ value: Double) {
        if let i = entries.firstIndex(where: { $0.name == name }) { entries[i].value = value } else { entries.append((name, value)) }
    }
}

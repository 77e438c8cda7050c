/// One binary ranking problem (scores and 0/1 truths) reduced to scikit-learn's
/// `confusion_matrix_at_thresholds`: the cumulative true and false positives at each distinct
/// score, from the highest score down. Both AUROC and average precision are read off it, in
/// scikit-learn's arithmetic order (docs/models.md §6.5).
///
/// Legend: N = the number of samples, T = the number of distinct scores (T ≤ N).
struct BinaryCurve {
    /// Cumulative true positives [T] and false positives [T] when every sample scoring at least the
    /// t-th highest distinct score is called positive. Whole numbers, held as doubles as sklearn does.
    let tps: [Double]
    let fps: [Double]
    /// Whether the truths hold both values (sklearn's `len(np.unique(y_true)) == 2`).
    let hasBothClasses: Bool

    /// scores [N], truths [N] (true = positive). Ties among scores are one threshold, so the
    /// order of tied samples does not matter.
    init(scores: [Double], truths: [Bool]) {
        precondition(scores.count == truths.count && !scores.isEmpty, "BinaryCurve: \(scores.count) scores, \(truths.count) truths")
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tps: [Double] = [], fps: [Double] = []
        var positives = 0.0
        for (rank, index) in order.enumerated() {
            if truths[index] { positives += 1 }
            // The last sample of a run of equal scores closes a threshold.
            if rank == order.count - 1 || scores[order[rank + 1]] != scores[index] {
                tps.append(positives)
                fps.append(Double(rank + 1) - positives)
            }
        }
        self.tps = tps
        self.fps = fps
        hasBothClasses = positives > 0 && positives < Double(scores.count)
    }

    /// `roc_auc_score` of one column: NaN when the truths are all one value (scikit-learn 1.9
    /// warns and returns NaN there; older versions raised), else the trapezoid area under `roc_curve` with its default
    /// `drop_intermediate=True` (points inside straight runs dropped), starting at (0, 0).
    var rocAUC: Double {
        guard hasBothClasses else { return .nan }
        var keptT: [Double] = [0], keptF: [Double] = [0]
        let n = tps.count
        for i in 0..<n {
            // np.diff(x, 2) is non-zero where the curve bends; the ends are always kept.
            if n <= 2 || i == 0 || i == n - 1 || bends(fps, at: i) || bends(tps, at: i) {
                keptT.append(tps[i])
                keptF.append(fps[i])
            }
        }
        let totalT = keptT[keptT.count - 1], totalF = keptF[keptF.count - 1]
        let tpr = keptT.map { $0 / totalT }, fpr = keptF.map { $0 / totalF }
        // np.trapezoid: sum of dx * (y[i+1] + y[i]) / 2.0.
        let areas = (0..<(fpr.count - 1)).map { i -> Double in
            let width: Double = fpr[i + 1] - fpr[i]
            let heights: Double = tpr[i + 1] + tpr[i]
            return width * heights / 2.0
        }
        return NumPySum.sum(areas)
    }

    /// Whether the second difference of `values` at `i` (numpy's `diff(values, 2)[i - 1]`) is non-zero.
    private func bends(_ values: [Double], at i: Int) -> Bool {
        let after: Double = values[i + 1] - values[i]
        let before: Double = values[i] - values[i - 1]
        return after - before != 0
    }

    /// `average_precision_score` of one column: Σ (R_t − R_{t−1}) · P_t over the distinct
    /// thresholds from the highest score down (R_{−1} = 0), no interpolation. sklearn computes it
    /// as `-sum(diff(recall) * precision[:-1])` on the reversed curve with (recall 0, precision 1)
    /// appended, clipped at 0: the same order here. With no positive truths sklearn sets recall
    /// to 1 everywhere (a warning), which makes the result 0; with no negatives it is 1.
    var averagePrecision: Double {
        let n = tps.count
        let total = tps[n - 1]
        let precision = (0..<n).map { tps[$0] / (tps[$0] + fps[$0]) }
        let recall = total == 0 ? [Double](repeating: 1, count: n) : tps.map { $0 / total }
        // Reversed, with the appended end point: R' = [r_{n-1} ... r_0, 0], P' = [p_{n-1} ... p_0, 1].
        let reversedRecall = Array(recall.reversed()) + [0]
        let reversedPrecision = Array(precision.reversed())
        let terms = (0..<n).map { i -> Double in
            let step: Double = reversedRecall[i + 1] - reversedRecall[i]
            return step * reversedPrecision[i]
        }
        let value = -NumPySum.sum(terms)
        return value > 0 ? value : 0
    }
}

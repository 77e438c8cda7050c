import Foundation
import TesseraModels

/// The losses of prov-gigapath's slide-level fine-tuning, for one slide (a batch of one, as
/// upstream trains): `CrossEntropyLoss` for `multi_class` and `binary`, `BCEWithLogitsLoss`
/// for `multi_label` (the mean over the K labels). Computed in double and rounded once, so
/// the value is the exact loss of the f32 logits to within one rounding.
public enum ClassificationLoss {
    /// The loss of `logits` [C] against `target` [C] (one-hot for a class, 0/1 per label) and
    /// d loss / d logits [C].
    public static func lossAndGradient(logits: [Float], target: [Float],
                                       setting: SlideClassifier.Setting) -> (loss: Float, gradient: [Float]) {
        precondition(logits.count == target.count && !logits.isEmpty, "classification loss: \(logits.count) logits, \(target.count) targets")
        let z = logits.map(Double.init), y = target.map(Double.init)
        switch setting {
        case .multiClass, .binary:
            // -log_softmax(z)[y] with a one-hot y; d/dz = softmax(z) - y
            let shift = z.max()!
            let e = z.map { exp($0 - shift) }
            let sum = e.reduce(0, +)
            let logSum = shift + log(sum)
            let loss = zip(z, y).reduce(0) { $0 + $1.1 * (logSum - $1.0) }
            return (Float(loss), zip(e, y).map { Float($0 / sum - $1) })
        case .multiLabel:
            // mean over k of max(z,0) - z·y + log(1 + exp(-|z|)); d/dz_k = (sigmoid(z_k) - y_k) / K
            let k = Double(z.count)
            let loss = zip(z, y).reduce(0) { $0 + max($1.0, 0) - $1.0 * $1.1 + log1p(exp(-abs($1.0))) } / k
            return (Float(loss), zip(z, y).map { Float((1 / (1 + exp(-$0)) - $1) / k) })
        }
    }
}

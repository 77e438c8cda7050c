import Foundation

/// Upstream's fine-tuning learning rate (`adjust_learning_rate`, after MAE): set at the start of
/// each accumulation window from the fractional epoch `epoch + batchIndex / batches`; linear
/// warm-up to `lr` over `warmupEpochs`, then a half cosine down to `minLR` at `epochs`.
/// `.fixed` never changes it (and, as upstream, leaves layer decay off: `LayerDecay`).
public struct FinetuneSchedule: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case cosine, fixed }

    public var kind: Kind
    public var lr: Double
    public var minLR: Double
    public var warmupEpochs: Double
    public var epochs: Double

    public init(kind: Kind = .cosine, lr: Double, minLR: Double = 1e-6, warmupEpochs: Double = 1, epochs: Double) {
        self.kind = kind
        self.lr = lr
        self.minLR = minLR
        self.warmupEpochs = warmupEpochs
        self.epochs = epochs
    }

    /// The learning rate at fractional epoch `epoch`, computed in double as Python does.
    public func lr(atEpoch epoch: Double) -> Double {
        guard kind == .cosine else { return lr }
        if epoch < warmupEpochs { return lr * epoch / warmupEpochs }
        return minLR + (lr - minLR) * 0.5 * (1 + cos(Double.pi * (epoch - warmupEpochs) / (epochs - warmupEpochs)))
    }
}

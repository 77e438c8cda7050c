import Foundation

/// Linear warm-up then cosine decay, per optimizer step, as timm's `CosineLRScheduler`
/// (one cycle, updates per step). For step index t (the number of steps already taken):
///
///     t <  warmup:  lr = warmupStart + t * (base - warmupStart) / warmup
///     t >= warmup:  lr = min + (base - min) * (1 + cos(pi * (t - warmup) / (total - warmup))) / 2
///
/// and lr = min once t reaches `total`.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var baseLR: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var warmupStartLR: Double
    public var minLR: Double

    public init(baseLR: Double, warmupSteps: Int, totalSteps: Int, warmupStartLR: Double = 0, minLR: Double = 0) {
        self.baseLR = baseLR
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.warmupStartLR = warmupStartLR
        self.minLR = minLR
    }

    /// A constant learning rate.
    public static func constant(_ lr: Double) -> LearningRateSchedule {
        LearningRateSchedule(baseLR: lr, warmupSteps: 0, totalSteps: 0, minLR: lr)
    }

    public func lr(at step: Int) -> Double {
        if step < warmupSteps {
            return warmupStartLR + Double(step) * (baseLR - warmupStartLR) / Double(warmupSteps)
        }
        let span = totalSteps - warmupSteps
        guard span > 0, step < totalSteps else { return span > 0 ? minLR : baseLR }
        let progress = Double(step - warmupSteps) / Double(span)
        return minLR + (baseLR - minLR) * (1 + cos(Double.pi * progress)) / 2
    }
}

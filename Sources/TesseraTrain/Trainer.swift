/// The optimisation loop's state: parameters, AdamW, schedule, clipping, RNG and the
/// step counter. Everything here is saved by `TrainingCheckpoint`.
public final class Trainer: @unchecked Sendable {
    public let parameters: ParameterSet
    public let optimizer: AdamW
    public var schedule: LearningRateSchedule
    /// Global-norm clipping threshold; nil: no clipping.
    public var maxGradNorm: Float?
    /// The stream for data order, augmentation and dropout: checkpointed so that resuming
    /// draws the same numbers.
    public var rng: RandomGenerator
    /// Optimizer steps taken.
    public internal(set) var step: Int = 0

    public struct StepReport: Sendable {
        public let loss: Float, gradNorm: Float, lr: Double
    }

    public init(parameters: ParameterSet, optimizer: AdamW = AdamW(), schedule: LearningRateSchedule,
                maxGradNorm: Float? = nil, seed: UInt64 = 0) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.schedule = schedule
        self.maxGradNorm = maxGradNorm
        self.rng = RandomGenerator(seed: seed)
    }

    /// One optimizer step over `microBatches` equal micro-batches (gradient accumulation):
    /// zero the gradients; `accumulate(i)` runs the forward and backward pass of micro-batch i,
    /// adding d(its mean loss) into the gradient buffers, and returns that loss; the sum is
    /// scaled by 1 / microBatches (the gradient of the mean over the whole batch), clipped,
    /// and AdamW steps at `schedule.lr(at: step)`.
    @discardableResult
    public func step(microBatches: Int = 1, _ accumulate: (Int) throws -> Float) rethrows -> StepReport {
        parameters.zeroGradients()
        var loss: Float = 0
        for i in 0..<microBatches { loss += try accumulate(i) }
        if microBatches > 1 { parameters.scaleGradients(by: 1 / Float(microBatches)) }
        let norm = GradientClipping.clipGlobalNorm(parameters, maxNorm: maxGradNorm ?? .infinity)
        let lr = schedule.lr(at: step)
        optimizer.step(parameters, lr: lr)
        step += 1
        return StepReport(loss: loss / Float(microBatches), gradNorm: norm, lr: lr)
    }
}

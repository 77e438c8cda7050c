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
        /// Every micro-batch's record, in order (the first value its loss).
        public let records: [[Double]]
        /// Among ranks (nil alone): this rank's wait for the others' micro-batches, the seconds
        /// of the gradient's exchange, and the gradient bytes it sent (`DataParallelSum`).
        public let waitSeconds, exchangeSeconds: Double?
        public let exchangeBytes: Int?
    }

    public init(parameters: ParameterSet, optimizer: AdamW = AdamW(), schedule: LearningRateSchedule,
                maxGradNorm: Float? = nil, seed: UInt64 = 0) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.schedule = schedule
        self.maxGradNorm = maxGradNorm
        self.rng = RandomGenerator(seed: seed)
    }

    /// One optimizer step over `microBatches` equal micro-batches (gradient accumulation), as
    /// `step(microBatches:recordWidth:group:_:)` with the loss as each micro-batch's record.
    @discardableResult
    public func step(microBatches: Int = 1, _ accumulate: (Int) throws -> Float) throws -> StepReport {
        try step(microBatches: microBatches, recordWidth: 1) { [Double(try accumulate($0))] }
    }

    /// One optimizer step at `lr` over the gradients the caller accumulated by its own rule
    /// (fine-tuning's: each slide's loss / accumulation count, backpropagated into the same
    /// buffers), clipped as `step(microBatches:)` clips them; returns the gradient norm.
    @discardableResult
    public func step(accumulatedAt lr: Double) -> Float {
        let norm = GradientClipping.clipGlobalNorm(parameters, maxNorm: maxGradNorm ?? .infinity)
        optimizer.step(parameters, lr: lr)
        step += 1
        return norm
    }

    /// One optimizer step over `microBatches` micro-batches, shared among the ranks of `group`
    /// (nil: this process alone). `accumulate(i)` runs the forward and backward pass of
    /// micro-batch i into the (zeroed) gradient buffers and returns its record, `recordWidth`
    /// values, the first its mean loss. The gradients are summed over the micro-batches in their
    /// order, one micro-batch's whole gradient after another's, whatever the ranks
    /// (`DataParallelSum`): the same bits with one rank or many. A non-finite loss stops the step
    /// before the optimizer on every rank (`TrainError.nonFinite`, the first in order). The sum
    /// is scaled by 1 / microBatches (the gradient of the mean over the whole batch), clipped,
    /// and AdamW steps at `schedule.lr(at: step)`, the same on every rank.
    @discardableResult
    public func step(microBatches n: Int, recordWidth: Int, group: (any ProcessGroup)? = nil,
                     _ accumulate: (Int) throws -> [Double]) throws -> StepReport {
        let records: [[Double]]
        var exchange: DataParallelSum.Exchange?
        if let group, group.size > 1 {
            var sum = DataParallelSum(parameters: parameters, group: group)
            records = try sum.accumulate(microBatches: n, recordWidth: recordWidth, accumulate)
            exchange = sum.exchange
        } else {
            records = try DataParallelSum.alone(parameters: parameters, microBatches: n, accumulate)
        }
        if n > 1 { parameters.scaleGradients(by: 1 / Float(n)) }
        let lr = schedule.lr(at: step)
        let norm = step(accumulatedAt: lr)
        let loss = records.reduce(Float(0)) { $0 + Float($1[0]) }
        return StepReport(loss: loss / Float(n), gradNorm: norm, lr: lr, records: records, waitSeconds: exchange?.waitSeconds,
                          exchangeSeconds: exchange?.seconds, exchangeBytes: exchange?.bytes)
    }
}

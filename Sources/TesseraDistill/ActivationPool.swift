import TesseraCore
import TesseraModels
import TesseraTrain

/// The buffers a run's distillation steps reuse across micro-batches and steps: the training
/// activations of the full micro-batch and of the latest smaller remainder (an older remainder's
/// are let go), the adaptor's output and the hidden-state gradient. Kept from step to step, they
/// are not allocated, zeroed and faulted in afresh every step (hundreds of MB for a ViT-S
/// student). One step at a time uses a pool.
final class ActivationPool: @unchecked Sendable {
    let config: VisionTransformer.Config
    private var trainingActivations: [Int: VisionTransformer.TrainingActivations] = [:]
    private var scratchTensor = Tensor(zeros: [0]), gradientTensor = Tensor(zeros: [0])

    init(config: VisionTransformer.Config) { self.config = config }

    func training(batch: Int) -> VisionTransformer.TrainingActivations {
        if let act = trainingActivations[batch] { return act }
        let full = trainingActivations.keys.max() ?? 0
        trainingActivations = full > batch ? trainingActivations.filter { $0.key == full } : [:]
        let act = VisionTransformer.TrainingActivations(config: config, batch: batch)
        trainingActivations[batch] = act
        return act
    }

    func scratch(_ count: Int) -> UnsafeMutablePointer<Float> { Self.grow(&scratchTensor, count) }
    func hiddenGradient(_ count: Int) -> UnsafeMutablePointer<Float> { Self.grow(&gradientTensor, count) }

    private static func grow(_ tensor: inout Tensor, _ count: Int) -> UnsafeMutablePointer<Float> {
        if tensor.count < count { tensor = Tensor(zeros: [count]) }
        return tensor.mutableFloatPointer
    }
}

import TesseraCore
import TesseraModels
import TesseraTrain

/// The buffers one slide's distillation reuses across its micro-batches: the training
/// activations of each micro-batch size (a slide has at most two: the full micro-batch and the
/// remainder), the adaptor's output and the hidden-state gradient.
struct ActivationPool {
    let config: VisionTransformer.Config
    private var trainingActivations: [Int: VisionTransformer.TrainingActivations] = [:]
    private var scratchTensor = Tensor(zeros: [0]), gradientTensor = Tensor(zeros: [0])

    init(config: VisionTransformer.Config) { self.config = config }

    mutating func training(batch: Int) -> VisionTransformer.TrainingActivations {
        if let act = trainingActivations[batch] { return act }
        let act = VisionTransformer.TrainingActivations(config: config, batch: batch)
        trainingActivations[batch] = act
        return act
    }

    mutating func scratch(_ count: Int) -> UnsafeMutablePointer<Float> { Self.grow(&scratchTensor, count) }
    mutating func hiddenGradient(_ count: Int) -> UnsafeMutablePointer<Float> { Self.grow(&gradientTensor, count) }

    private static func grow(_ tensor: inout Tensor, _ count: Int) -> UnsafeMutablePointer<Float> {
        if tensor.count < count { tensor = Tensor(zeros: [count]) }
        return tensor.mutableFloatPointer
    }
}

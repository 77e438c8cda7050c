import TesseraCore
import TesseraModels
import TesseraTrain

/// prov-gigapath's `ClassificationHead` as a trainable model: the slide encoder and its
/// `SlideClassifier`, one parameter set under upstream's names (`slide_encoder.*`,
/// `classifier.0.*`: the layout of upstream's `checkpoint.pt`, of `--init`-style files and of
/// a fine-tuning run's `model.safetensors`). The models are views of the live parameters.
///
/// Which parameters the optimizer sees follows upstream exactly (docs/models.md §6):
/// parameters the loss never reaches (`encoder.layer_norm`, layers above the highest feature
/// layer) have no gradient in torch and are skipped by AdamW, so they are frozen here;
/// `--freeze` freezes the whole slide encoder.
public struct ClassificationHead {
    public static let encoderPrefix = "slide_encoder", classifierPrefix = "classifier"

    public let parameters: ParameterSet
    public let slideEncoder: SlideEncoder
    public let classifier: SlideClassifier
    private let encoderGradients: Gradients<SlideEncoder>
    private let classifierGradients: Gradients<SlideClassifier>

    /// The models over `parameters`, which must hold every tensor of both (and nothing else;
    /// `slideEncoder` runs the layers up to the highest feature layer only);
    /// freezes what the optimizer must not step (`LayerDecay.freezeUnreached`).
    public init(parameters: ParameterSet, encoderConfig: SlideEncoder.Config, head: SlideClassifier.Head,
                freezeEncoder: Bool = false) throws {
        self.parameters = parameters
        LayerDecay.freezeUnreached(parameters, featLayers: head.featLayers, freezeEncoder: freezeEncoder)
        (slideEncoder, classifier) = try Self.models(parameters.stateDict(), encoderConfig: encoderConfig, head: head, name: "")
        let (encoderTree, classifierTree) = try Self.models(parameters.gradientDict(), encoderConfig: encoderConfig,
                                                            head: head, name: " gradients")
        encoderGradients = Gradients(tree: encoderTree, parameters: parameters)
        classifierGradients = Gradients(tree: classifierTree, parameters: parameters)
    }

    /// A head over a pretrained slide encoder (`encoderWeights`, prov-gigapath's names without a
    /// prefix) and a classifier from `classifierWeights` (`classifier.0.weight`/`.bias`), or
    /// initialised as torch's `nn.Linear` does (U(-1/√fan_in, 1/√fan_in) for weight and bias) from `seed`.
    public static func fresh(encoderWeights: StateDict, encoderConfig: SlideEncoder.Config, head: SlideClassifier.Head,
                             classifierWeights: StateDict? = nil, seed: UInt64 = 0,
                             freezeEncoder: Bool = false) throws -> ClassificationHead {
        let parameters = ParameterSet()
        let encoder = ParameterSet(zeros: encoderConfig.parameterShapes)
        try encoder.load(encoderWeights)
        for p in encoder.parameters { parameters.add(encoderPrefix + "." + p.name, p.value) }
        let inFeatures = head.featLayers.count * encoderConfig.embedDim, classes = head.classes.count
        let weightName = classifierPrefix + ".0.weight", biasName = classifierPrefix + ".0.bias"
        if let classifierWeights {
            let classifier = ParameterSet(zeros: [(weightName, [classes, inFeatures]), (biasName, [classes])])
            try classifier.load(classifierWeights)
            for p in classifier.parameters { parameters.add(p.name, p.value) }
        } else {
            var rng = RandomGenerator(seed: seed)
            let bound = 1 / Double(inFeatures).squareRoot()
            for (name, shape) in [(weightName, [classes, inFeatures]), (biasName, [classes])] {
                let values = (0..<shape.reduce(1, *)).map { _ in Float(bound * (2 * rng.uniform() - 1)) }
                parameters.add(name, Tensor(shape: shape, floats: values))
            }
        }
        return try ClassificationHead(parameters: parameters, encoderConfig: encoderConfig, head: head, freezeEncoder: freezeEncoder)
    }

    /// One slide's features [L·D] and logits [C] (the inference forward pass).
    ///
    /// tileEmbeds [N, in_chans], cells: N grid cells.
    public func predict(tileEmbeds: Tensor, cells: [SlideGrid.Cell]) throws -> (features: [Float], logits: [Float]) {
        let features = classifier.features(try slideEncoder.forward(tileEmbeds: tileEmbeds, cells: cells))
        return (features, classifier.logits(features: features))
    }

    /// One slide's forward and backward pass: its loss against `target` [C] and its logits [C];
    /// d (loss · scale) / d parameter is added to the gradient buffers (upstream divides each
    /// slide's loss by the accumulation count before `backward`). `activations` must be planned
    /// for this slide's tiles.
    public func accumulate(tileEmbeds: Tensor, cells: [SlideGrid.Cell], target: [Float], scale: Float,
                           activations: SlideEncoder.TrainingActivations) throws -> (loss: Float, logits: [Float]) {
        let embeddings = try slideEncoder.forward(training: tileEmbeds, cells: cells, activations: activations)
        let features = classifier.features(embeddings)
        let logits = classifier.logits(features: features)
        let (loss, gradient) = ClassificationLoss.lossAndGradient(logits: logits, target: target, setting: classifier.head.setting)
        guard loss.isFinite else { return (loss, logits) }
        let layers = classifier.backward(logitGradient: gradient.map { $0 * scale }, features: features,
                                         gradients: classifierGradients)
        if parameters.parameters.contains(where: { $0.isTrainable && $0.name.hasPrefix(Self.encoderPrefix + ".") }) {
            slideEncoder.backward(activations: activations,
                                  layerEmbedGradients: classifier.head.pooling == .cls ? layers : [:],
                                  layerMeanGradients: classifier.head.pooling == .mean ? layers : [:],
                                  gradients: encoderGradients, tileEmbeds: tileEmbeds)
        }
        return (loss, logits)
    }

    /// The slide encoder and classifier over `dict` (values or gradients).
    private static func models(_ dict: StateDict, encoderConfig: SlideEncoder.Config, head: SlideClassifier.Head,
                               name: String) throws -> (SlideEncoder, SlideClassifier) {
        // Layers above the highest feature layer reach no output the head reads: the model the
        // head runs stops below them, so neither pass spends time on them (torch runs their
        // forward and discards it). Their tensors stay in the parameter set, frozen.
        var reached = encoderConfig
        reached.depth = head.featLayers.max() ?? encoderConfig.depth
        let unreached = (reached.depth..<encoderConfig.depth).map { "encoder.layers.\($0)." }
        var encoderDict = StateDict()
        for (name, tensor) in dict.scoped(encoderPrefix).entries where !unreached.contains(where: name.hasPrefix) {
            encoderDict.set(name, tensor)
        }
        let encoder = try SlideEncoder(weights: encoderDict, config: reached, name: "slide encoder" + name)
        var classifierDict = StateDict()
        for (name, tensor) in dict.entries where name.hasPrefix(classifierPrefix + ".") { classifierDict.set(name, tensor) }
        let scope = WeightScope(classifierDict)
        let classifier = SlideClassifier(scope, head: head, embedDim: encoderConfig.embedDim)
        try scope.finish(model: "classifier" + name)
        if let stray = dict.names.first(where: { !$0.hasPrefix(encoderPrefix + ".") && !$0.hasPrefix(classifierPrefix + ".") }) {
            throw WeightMismatch(model: "classification head", missing: [], unexpected: [stray], misshaped: [])
        }
        return (encoder, classifier)
    }
}

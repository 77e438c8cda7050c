import TesseraCore
import TesseraModels
import TesseraTrain

/// The models a distillation trains, as one parameter set under three prefixes (the layout
/// of a distillation's `--init` file and of its checkpoints): `student.*` (a timm ViT tile
/// encoder, D_s wide), `adaptor.*` (Linear(D_s → D_t), mapping the student's hidden states
/// into the teacher's width) and `slide_student.*` (a LongNetViT slide encoder over the
/// student's tile embeddings). The models are views of the live parameters, so an optimizer
/// step is what the next forward pass computes with.
public struct Student {
    public let parameters: ParameterSet
    public let tileEncoder: VisionTransformer
    public let adaptor: LinearLayer
    public let slideEncoder: SlideEncoder

    public static let tilePrefix = "student", adaptorPrefix = "adaptor", slidePrefix = "slide_student"

    /// The models over `parameters`, which must hold every tensor of the three (and nothing else).
    public init(parameters: ParameterSet, tileConfig: VisionTransformer.Config, slideConfig: SlideEncoder.Config,
                teacherWidth: Int) throws {
        self.parameters = parameters
        let all = parameters.stateDict()
        tileEncoder = try VisionTransformer(weights: all.scoped(Self.tilePrefix), config: tileConfig)
        slideEncoder = try SlideEncoder(weights: all.scoped(Self.slidePrefix), config: slideConfig, name: "slide student")
        let adaptorScope = WeightScope(all.scoped(Self.adaptorPrefix))
        adaptor = LinearLayer(adaptorScope, inFeatures: tileConfig.embedDim, outFeatures: teacherWidth)
        try adaptorScope.finish(model: "adaptor")
        let known = Set([Self.tilePrefix, Self.adaptorPrefix, Self.slidePrefix])
        if let stray = all.names.first(where: { !known.contains(String($0.prefix { $0 != "." })) }) {
            throw WeightMismatch(model: "student", missing: [], unexpected: [stray], misshaped: [])
        }
    }

    /// A fresh student, seeded: the tile encoder as timm initialises it, the adaptor and the
    /// slide encoder's Linear weights trunc_normal(0.02) with zero biases, LayerNorms 1/0 and the
    /// slide CLS token normal(1e-6) (see `TimmInitialization`); `tileWeights`, when given, replaces
    /// the tile encoder's fresh weights (e.g. an ImageNet ViT-S in timm layout).
    public static func fresh(tileConfig: VisionTransformer.Config, slideConfig: SlideEncoder.Config, teacherWidth: Int,
                             seed: UInt64, tileWeights: StateDict? = nil) throws -> Student {
        let parameters = ParameterSet()
        let tile = ParameterSet(freshViT: tileConfig, seed: seed)
        if let tileWeights { try tile.load(tileWeights) }
        for p in tile.parameters { parameters.add(tilePrefix + "." + p.name, p.value) }
        let head = ParameterSet()
        head.add("weight", Tensor(zeros: [teacherWidth, tileConfig.embedDim]))
        head.add("bias", Tensor(zeros: [teacherWidth]))
        let slide = ParameterSet(zeros: slideConfig.parameterShapes)
        var rng = RandomGenerator(seed: seed &+ 1)
        TimmInitialization.vit(head, rng: &rng)
        TimmInitialization.vit(slide, rng: &rng)
        for p in head.parameters { parameters.add(adaptorPrefix + "." + p.name, p.value) }
        for p in slide.parameters { parameters.add(slidePrefix + "." + p.name, p.value) }
        return try Student(parameters: parameters, tileConfig: tileConfig, slideConfig: slideConfig, teacherWidth: teacherWidth)
    }

    /// The gradient buffers of the three models, arranged as the models.
    public func gradients() throws -> (tile: Gradients<VisionTransformer>, adaptor: Gradients<LinearLayer>,
                                       slide: Gradients<SlideEncoder>) {
        let all = parameters.gradientDict()
        let adaptorScope = WeightScope(all.scoped(Self.adaptorPrefix))
        let adaptorGradient = LinearLayer(adaptorScope, inFeatures: adaptor.inFeatures, outFeatures: adaptor.outFeatures)
        try adaptorScope.finish(model: "adaptor gradients")
        return (Gradients(tree: try VisionTransformer(weights: all.scoped(Self.tilePrefix), config: tileEncoder.config),
                          parameters: parameters),
                Gradients(tree: adaptorGradient, parameters: parameters),
                Gradients(tree: try SlideEncoder(weights: all.scoped(Self.slidePrefix), config: slideEncoder.config,
                                                 name: "slide student gradients"), parameters: parameters))
    }
}

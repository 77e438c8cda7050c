import TesseraModels

/// Everything a bundle says about itself: the models' configurations (the models' own
/// `Config` types), the tile transform, what the engine outputs, provenance, and every tensor.
public struct BundleManifest: Equatable, Sendable {
    /// Its `mlpRatio` is not stored: `mlpHidden` is exact.
    public var tileEncoder: VisionTransformer.Config
    public var tileTransform: BundleTileTransform
    public var slideEncoder: BundleSlideEncoder?
    public var teacherHead: BundleTeacherHead?
    /// The fine-tuned classifier after the slide encoder (format version 3).
    public var classifier: BundleClassifier?
    /// `tileEmbeds` always; `slideEmbed`, `teacherTileEmbeds`, `logits`, `probabilities` when the bundle has what they need.
    public var outputs: [BundleOutput]
    public var provenance: BundleProvenance
    /// Filled in by the writer (whatever a caller puts here is replaced).
    public var tensors: [BundleTensorInfo]

    public init(tileEncoder: VisionTransformer.Config, tileTransform: BundleTileTransform,
                slideEncoder: BundleSlideEncoder? = nil, teacherHead: BundleTeacherHead? = nil,
                classifier: BundleClassifier? = nil, outputs: [BundleOutput], provenance: BundleProvenance, tensors: [BundleTensorInfo] = []) {
        self.tileEncoder = tileEncoder
        self.tileTransform = tileTransform
        self.slideEncoder = slideEncoder
        self.teacherHead = teacherHead
        self.classifier = classifier
        self.outputs = outputs
        self.provenance = provenance
        self.tensors = tensors
    }

    /// The lowest format version that holds this manifest: what the writer writes.
    public var formatVersion: UInt32 {
        if classifier != nil { return BundleClassifier.formatVersion }
        return teacherHead?.formatVersion ?? 1
    }
}

/// What the engine writes for a bundle, beside the metadata: the manifest's `outputs` names.
public enum BundleOutput: String, Sendable, Equatable {
    /// [N, D] of the tile encoder: every bundle has it.
    case tileEmbeds = "tile_embeds"
    /// The slide encoder's outputs; needs a slide encoder.
    case slideEmbed = "slide_embed"
    /// The teacher-space head's [N, D_t]; needs a teacher head.
    case teacherTileEmbeds = "teacher_tile_embeds"
    /// The classifier's [C] logits and probabilities (softmax or sigmoid, as trained); need a classifier.
    case logits
    case probabilities

    static let all: [BundleOutput] = [.tileEmbeds, .slideEmbed, .teacherTileEmbeds, .logits, .probabilities]
}

/// A bundle's slide encoder: the model's own configuration (no mirrored copy: the manifest's
/// fields are read into it and written from it) and which embedding `slide_embed` is.
/// The manifest stores the grid's tile size as whole pixels.
public struct BundleSlideEncoder: Equatable, Sendable {
    public var config: SlideEncoder.Config
    public var pool: SlidePool

    public init(config: SlideEncoder.Config, pool: SlidePool) {
        self.config = config
        self.pool = pool
    }
}

import TesseraBundle
import TesseraCore
import TesseraImage
import TesseraFormats
import TesseraModels

/// A bundle made from loaded models (formats/bundle.md): the tile encoder with its tile
/// transform, optionally a slide encoder (with a fine-tuned run's classifier when it has one) and a
/// distillation run's teacher-space head, and the provenance. The manifest describes the
/// models completely, so the engine needs nothing else; the tensors are laid out in the
/// models' own parameter order, so the same model gives the same bundle whichever file it
/// was loaded from.
public struct BundleExport {
    public var tileEncoder: VisionTransformer.Loaded
    /// The tile transform the tile encoder expects.
    public var preprocessor: TilePreprocessor
    public var slideEncoder: SlideEncoder.Loaded?
    /// What `slide_embed` is.
    public var pool: SlidePool
    /// Makes `teacher_tile_embeds`.
    public var teacherHead: RunTeacherHead?
    public var provenance: BundleProvenance

    /// The version of Tessera that writes bundles (their `provenance.tessera_version`).
    public static let tesseraVersion = "0.1.0"

    public init(tileEncoder: VisionTransformer.Loaded, preprocessor: TilePreprocessor = .gigapath,
                slideEncoder: SlideEncoder.Loaded? = nil, pool: SlidePool = .mean, teacherHead: RunTeacherHead? = nil,
                provenance: BundleProvenance) {
        self.tileEncoder = tileEncoder
        self.preprocessor = preprocessor
        self.slideEncoder = slideEncoder
        self.pool = pool
        self.teacherHead = teacherHead
        self.provenance = provenance
    }

    /// The manifest's configurations, outputs and provenance (the writer adds the tensors).
    public func manifest() throws(ExportError) -> BundleManifest {
        let tile = tileEncoder.model.config
        var slide: BundleSlideEncoder?
        if let config = slideEncoder?.model.config {
            guard config.inChans == tile.embedDim else {
                throw .mismatch("the slide encoder takes tile embeddings of width \(config.inChans), "
                                + "the tile encoder makes \(tile.embedDim)")
            }
            // The manifest stores the grid's tile size as whole pixels.
            guard Int(exactly: config.tileSize) != nil else { throw .tileSize(config.tileSize) }
            slide = BundleSlideEncoder(config: config, pool: pool)
        }
        let head = teacherHead?.head
        if let head, head.inFeatures != tile.embedDim {
            throw .mismatch("the teacher head takes hidden states of width \(head.inFeatures), the tile encoder makes \(tile.embedDim)")
        }
        let classifier = slideEncoder?.classifier.map { BundleClassifier(head: $0.head) }
        return BundleManifest(tileEncoder: tile, tileTransform: BundleTileTransform(preprocessor),
                              slideEncoder: slide, teacherHead: head, classifier: classifier,
                              outputs: [.tileEmbeds] + (slide == nil ? [] : [.slideEmbed]) + (head == nil ? [] : [.teacherTileEmbeds])
                                  + (classifier == nil ? [] : [.logits, .probabilities]),
                              provenance: provenance)
    }

    /// Every tensor under its component prefix, in the models' parameter order.
    public func tensors() -> StateDict {
        var tensors = StateDict()
        func add(_ component: BundleComponent, _ names: [(name: String, shape: [Int])], _ weights: StateDict) {
            for (name, _) in names { tensors.set(component.prefix + name, weights[name]!) }
        }
        add(.tileEncoder, tileEncoder.model.config.parameterShapes, tileEncoder.weights)
        if let slideEncoder { add(.slideEncoder, slideEncoder.model.config.parameterShapes, slideEncoder.weights) }
        if let slideEncoder, let classifier = slideEncoder.classifier {
            // Upstream's names (classifier.0.weight), which the component's prefix begins.
            let names = WeightScope.parameterShapes {
                _ = SlideClassifier($0, head: classifier.head, embedDim: slideEncoder.model.config.embedDim)
            }
            for (name, _) in names { tensors.set(name, slideEncoder.classifierWeights[name]!) }
        }
        if let teacherHead {
            for (name, tensor) in teacherHead.weights.entries { tensors.set(BundleComponent.teacherHead.prefix + name, tensor) }
        }
        return tensors
    }

    /// The bundle with `weights`' matrix precision, compressed with zstd at `zstdLevel` where it
    /// pays (nil: nothing compressed), written atomically at `path`.
    public func write(to path: String, weights: BundleWeights, zstdLevel: Int32?) throws -> EncodedBundle {
        let writer = BundleWriter(weights: weights, zstdLevel: zstdLevel)
        let bundle: EncodedBundle
        do {
            bundle = try writer.encode(try manifest(), tensors: tensors(), path: path)
        } catch let error as BundleError {
            // A name inferred from shapes ("vit (inferred)") is no identifier: say what to do about it.
            if case .invalidText(field: "tile_encoder.architecture", _) = error.problem {
                throw ExportError.architectureName(tileEncoder.model.config.architecture)
            }
            throw error
        }
        try AtomicOutput.write(to: path) { sink in try bundle.write(sink) }
        return bundle
    }
}

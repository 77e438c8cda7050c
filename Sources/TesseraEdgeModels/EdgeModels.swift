import TesseraBundle
import TesseraCore
import TesseraModels

/// The models a bundle carries, built through the shared model code: the tile encoder, and
/// the slide encoder, the teacher-space head and the classifier when the bundle has them. Building reads every
/// tensor of every component, so each one's checksum has been verified once this exists.
public struct EdgeModels: Sendable {
    public let tileEncoder: VisionTransformer
    public let slideEncoder: SlideEncoder?
    /// `teacher_head`: Linear(tile encoder's D -> the teacher's D), with a LayerNorm when it has one,
    /// on what the manifest's `teacherHead.input` says.
    public let teacherHead: TeacherSpaceHead?
    /// The fine-tuned classifier after the slide encoder (`classifier.0` on the pooled layers).
    public let classifier: SlideClassifier?

    public init(_ reader: BundleReader) throws(EdgeError) {
        let m = reader.manifest
        tileEncoder = try Self.build(.tileEncoder, "tile encoder", of: reader) { (weights) throws(VisionTransformerError) in
            try VisionTransformer(weights: weights, config: m.tileEncoder, precision: Self.precision(weights))
        }
        // The loader takes fc1's width from the weights (timm's configs round mlp_ratio); a
        // bundle states it exactly, and one that says another width is not the model it holds.
        guard tileEncoder.config.mlpHidden == m.tileEncoder.mlpHidden else {
            throw .model(path: reader.path, model: "tile encoder", reason: "tile_encoder.mlp_hidden is \(m.tileEncoder.mlpHidden), "
                         + "but blocks.0.mlp.fc1.weight has \(tileEncoder.config.mlpHidden) rows")
        }
        slideEncoder = try m.slideEncoder.map { (slide) throws(EdgeError) in
            try Self.build(.slideEncoder, "slide encoder", of: reader) { (weights) throws(SlideEncoderError) in
                try SlideEncoder(weights: weights, config: slide.config, name: reader.path + " (slide encoder)",
                                 precision: Self.precision(weights))
            }
        }
        teacherHead = try m.teacherHead.map { (head) throws(EdgeError) in
            try Self.build(.teacherHead, "teacher head", of: reader) { (weights) throws(WeightMismatch) in
                let scope = WeightScope(weights)
                let built = TeacherSpaceHead(scope, inFeatures: head.inFeatures, outFeatures: head.outFeatures,
                                             normEps: head.layerNormEps)
                try scope.finish(model: reader.path + " (teacher head)")
                return built
            }
        }
        let embedDim = slideEncoder?.config.embedDim ?? 0
        classifier = try m.classifier.map { (bundled) throws(EdgeError) in
            try Self.build(.classifier, "classifier", of: reader) { (weights) throws(WeightMismatch) in
                // The component's tensors keep upstream's names: the prefix is the model's own first key.
                var named = StateDict()
                for (name, tensor) in weights.entries { named.set(BundleComponent.classifier.prefix + name, tensor) }
                let scope = WeightScope(named)
                let built = SlideClassifier(scope, head: bundled.head, embedDim: embedDim)
                try scope.finish(model: reader.path + " (classifier)")
                return built
            }
        }
    }

    /// What a component's Linear layers compute in: bf16 when the bundle stores its matrix
    /// weights as BF16 (`tessera export --weights bf16`), else f32 (docs/models.md §7).
    private static func precision(_ weights: StateDict) -> ComputePrecision {
        weights.entries.contains { $0.1.dtype == .bf16 } ? .bf16 : .f32
    }

    /// The model `name` made by `make` from the weights of `component`: the bundle's own errors
    /// as they are, the model's refusal of its weights or configuration named after the model.
    private static func build<Model, Failure: Error & CustomStringConvertible>(
        _ component: BundleComponent, _ name: String, of reader: BundleReader,
        _ make: (StateDict) throws(Failure) -> Model) throws(EdgeError) -> Model {
        let weights: StateDict
        do { weights = try Self.weights(component, of: reader) } catch { throw .bundle(error) }
        do { return try make(weights) } catch { throw .model(path: reader.path, model: name, reason: error.description) }
    }

    /// The one place where a bundle's stored tensors become model weights, named as the
    /// model's state dict names them: as stored, so that each Linear computes in its weight's
    /// precision (int8 on the CPU's int8 kernels, f16 widened per product, f32 in place).
    static func weights(_ component: BundleComponent, of reader: BundleReader) throws(BundleError) -> StateDict {
        try reader.weights(component)
    }

    /// The compute path of the tile encoder's Linear layers: "int8-" and the CPU's int8
    /// kernel path, "f16", or "f32-" and the GEMM backend's first word (lower case as
    /// GEMMBackend.name spells it: `lowercased()` would link Unicode's case tables into an edge binary).
    public var kernel: String {
        let linear = tileEncoder.linearKernel
        guard linear == "f32" else { return linear }
        let backend = GEMM.backend.name.split(separator: " ").first.map(String.init) ?? GEMM.backend.name
        return "f32-" + backend
    }
}

import TesseraBundle
import TesseraCore
import TesseraModels

/// The models a bundle carries, built through the shared model code: the tile encoder, and
/// the slide encoder and the teacher-space head when the bundle has them. Building reads every
/// tensor of every component, so each one's checksum has been verified once this exists.
public struct EdgeModels: Sendable {
    public let tileEncoder: VisionTransformer
    public let slideEncoder: SlideEncoder?
    /// `teacher_head`: Linear(tile encoder's D -> the teacher's D) on the tile embeddings.
    public let teacherHead: LinearLayer?

    public init(_ reader: BundleReader) throws(EdgeError) {
        let m = reader.manifest
        func build<Model>(_ name: String, _ make: () throws -> Model) throws(EdgeError) -> Model {
            do {
                return try make()
            } catch let error as BundleError {
                throw .bundle(error)
            } catch {
                throw .model(path: reader.path, model: name, reason: "\(error)")
            }
        }
        tileEncoder = try build("tile encoder") {
            try VisionTransformer(weights: try Self.weights(.tileEncoder, of: reader), config: m.tileEncoder.config)
        }
        slideEncoder = try m.slideEncoder.map { (slide) throws(EdgeError) in
            try build("slide encoder") {
                try SlideEncoder(weights: try Self.weights(.slideEncoder, of: reader), config: slide.config,
                                 name: reader.path + " (slide encoder)")
            }
        }
        teacherHead = try m.teacherHead.map { (head) throws(EdgeError) in
            try build("teacher head") {
                let scope = WeightScope(try Self.weights(.teacherHead, of: reader))
                let linear = LinearLayer(scope, inFeatures: head.inFeatures, outFeatures: head.outFeatures)
                try scope.finish(model: reader.path + " (teacher head)")
                return linear
            }
        }
    }

    /// The one place where a bundle's stored tensors become model weights, named as the
    /// model's state dict names them. For now every tensor is handed over as f32: f16 and
    /// int8 matrix weights are dequantised here, at load.
    static func weights(_ component: BundleComponent, of reader: BundleReader) throws(BundleError) -> StateDict {
        try reader.floatWeights(component)
    }

    /// The compute path of the matrix products: the weights' precision and the GEMM backend.
    public static var kernel: String {
        let backend = GEMM.backend.name.split(separator: " ").first.map(String.init) ?? GEMM.backend.name
        return "f32-" + backend.lowercased()
    }
}

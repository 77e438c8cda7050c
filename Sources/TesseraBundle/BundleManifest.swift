/// Everything a bundle says about itself: the models' configurations, the tile
/// transform, what the engine outputs, provenance, and every tensor.
public struct BundleManifest: Equatable, Sendable {
    public var tileEncoder: BundleTileEncoder
    public var tileTransform: BundleTileTransform
    public var slideEncoder: BundleSlideEncoder?
    public var teacherHead: BundleTeacherHead?
    /// From `tile_embeds` (always), `slide_embed`, `teacher_tile_embeds`.
    public var outputs: [String]
    public var provenance: BundleProvenance
    /// Filled in by the writer (whatever a caller puts here is replaced).
    public var tensors: [BundleTensorInfo]

    public init(tileEncoder: BundleTileEncoder, tileTransform: BundleTileTransform,
                slideEncoder: BundleSlideEncoder? = nil, teacherHead: BundleTeacherHead? = nil,
                outputs: [String], provenance: BundleProvenance, tensors: [BundleTensorInfo] = []) {
        self.tileEncoder = tileEncoder
        self.tileTransform = tileTransform
        self.slideEncoder = slideEncoder
        self.teacherHead = teacherHead
        self.outputs = outputs
        self.provenance = provenance
        self.tensors = tensors
    }

    /// The lowest format version that holds this manifest: what the writer writes.
    public var formatVersion: UInt32 { teacherHead?.formatVersion ?? 1 }

    /// The outputs a bundle may name, and what each needs.
    static let knownOutputs = ["tile_embeds", "slide_embed", "teacher_tile_embeds"]
}

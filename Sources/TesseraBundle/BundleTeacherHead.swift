/// A map from the student into the teacher's embedding space: a Linear
/// `teacher_head.weight` [outFeatures, inFeatures], `teacher_head.bias` [outFeatures] on
/// `input`, then, when `layerNormEps` is given, a LayerNorm over the outFeatures
/// (`teacher_head.norm.weight`, `teacher_head.norm.bias` [outFeatures]).
public struct BundleTeacherHead: Equatable, Sendable {
    public var inFeatures: Int
    public var outFeatures: Int
    public var input: BundleTeacherHeadInput
    /// The LayerNorm's eps; nil: no LayerNorm.
    public var layerNormEps: Float?

    public init(inFeatures: Int, outFeatures: Int, input: BundleTeacherHeadInput = .tileEmbedding, layerNormEps: Float? = nil) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.input = input
        self.layerNormEps = layerNormEps
    }

    /// The lowest format version that holds this head: version 1's head is a Linear on the tile embedding.
    var formatVersion: UInt32 { input == .tileEmbedding && layerNormEps == nil ? 1 : 2 }

    /// Each tensor the head needs, with its shape.
    var tensorShapes: [(name: String, shape: [Int])] {
        let prefix = BundleComponent.teacherHead.prefix
        var shapes: [(name: String, shape: [Int])] = [(prefix + "weight", [outFeatures, inFeatures]), (prefix + "bias", [outFeatures])]
        if layerNormEps != nil { shapes += [(prefix + "norm.weight", [outFeatures]), (prefix + "norm.bias", [outFeatures])] }
        return shapes
    }
}

/// What a teacher-space head reads. Raw values are the manifest's `TeacherHeadInput` numbers: append-only.
public enum BundleTeacherHeadInput: UInt32, Sendable {
    /// The tile encoder's output (`tile_embeds`), after its final norm.
    case tileEmbedding = 1
    /// The class token of the tile encoder's last block output, before its final norm
    /// (what a distillation's adaptor maps into the teacher's space).
    case lastHiddenCLS = 2
}

/// The models a bundle can carry. Each one's tensors are named by its prefix
/// followed by the model's own state-dict key (`tile_encoder.blocks.0.attn.qkv.weight`).
public enum BundleComponent: CaseIterable, Sendable {
    case tileEncoder, slideEncoder, teacherHead
    /// The fine-tuned classifier after the slide encoder: its tensors keep upstream's
    /// `ClassificationHead` names (`classifier.0.weight`), as the slide encoder's do (`slide_encoder.`).
    case classifier

    /// The name prefix of the component's tensors.
    public var prefix: String {
        switch self {
        case .tileEncoder: return "tile_encoder."
        case .slideEncoder: return "slide_encoder."
        case .teacherHead: return "teacher_head."
        case .classifier: return "classifier."
        }
    }

    /// The component's name in the manifest.
    public var name: String { String(prefix.dropLast()) }

    /// The component a tensor name belongs to, if any.
    static func of(_ tensorName: String) -> BundleComponent? {
        allCases.first { tensorName.hasPrefix($0.prefix) && tensorName.count > $0.prefix.count }
    }
}

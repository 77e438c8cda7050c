extension VisionTransformer {
    /// The feed-forward of a block: timm's `Mlp` (fc1 -> exact GELU -> fc2) or
    /// `SwiGLUPacked` (fc1 -> split in halves a, b -> silu(a) * b -> fc2).
    public enum MlpKind: String, Sendable {
        case gelu
        case swiGLUPacked
    }
}

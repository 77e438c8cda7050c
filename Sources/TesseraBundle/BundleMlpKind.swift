/// The feed-forward of a tile-encoder block. Raw values are the manifest's `MlpKind` numbers: append-only.
public enum BundleMlpKind: UInt32, Sendable {
    /// fc1 -> exact (erf) GELU -> fc2.
    case gelu = 1
    /// fc1 -> halves a, b -> silu(a) * b -> fc2 (GigaPath's).
    case swiGLUPacked = 2
}

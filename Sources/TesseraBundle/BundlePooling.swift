/// What the slide encoder's `slide_embed` is. Raw values are the manifest's `Pooling` numbers: append-only.
public enum BundlePooling: UInt32, Sendable {
    /// The final norm of the mean of the tile tokens.
    case mean = 1
    /// The class token after the final norms.
    case cls = 2
}

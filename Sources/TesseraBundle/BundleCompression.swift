/// How a tensor's bytes are stored. Raw values are the manifest's `Compression` numbers: append-only.
public enum BundleCompression: UInt32, Sendable {
    /// The stored bytes are the tensor: used in place from the mapping.
    case none = 1
    /// One zstd frame declaring its content size.
    case zstd = 2
}

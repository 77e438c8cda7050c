/// Bounds a reader puts on what a bundle may make it allocate, beyond the file's own size.
public struct BundleLimits: Sendable {
    /// The manifest's length field.
    public var maxManifestBytes = 16 << 20
    /// The sum of the raw lengths of all zstd-compressed tensors (what decompressing them all allocates).
    public var maxDecompressedBytes = 4 << 30

    public init() {}

    public static let standard = BundleLimits()
}

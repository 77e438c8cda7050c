/// A tensor as the manifest declares it: where its stored bytes are and what they hold.
public struct BundleTensorInfo: Equatable, Sendable {
    public var name: String
    public var dtype: BundleDType
    public var shape: [Int]
    /// Absolute file offset, a multiple of 64.
    public var offset: Int
    public var storedLength: Int
    public var compression: BundleCompression
    /// zstd: the frame's content size (= dtype size x elements); 0 when uncompressed.
    public var rawLength: Int
    /// Of the stored bytes.
    public var sha256: [UInt8]
    /// int8: the name of the F32 [rows] scale tensor.
    public var scales: String?

    public init(name: String, dtype: BundleDType, shape: [Int], offset: Int, storedLength: Int,
                compression: BundleCompression, rawLength: Int, sha256: [UInt8], scales: String?) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.offset = offset
        self.storedLength = storedLength
        self.compression = compression
        self.rawLength = rawLength
        self.sha256 = sha256
        self.scales = scales
    }

    /// Bytes of the tensor as used: dtype size x elements.
    public var byteCount: Int { shape.reduce(dtype.size, *) }
}

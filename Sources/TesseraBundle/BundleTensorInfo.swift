import TesseraCore

/// A tensor as the manifest declares it: where its stored bytes are and what they hold.
public struct BundleTensorInfo: Equatable, Sendable {
    public var name: String
    /// f32, f16, bf16 or i8 (symmetric per-output-channel int8; its f32 scales are a companion tensor).
    public var dtype: DType
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

    public init(name: String, dtype: DType, shape: [Int], offset: Int, storedLength: Int,
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

/// How a tensor's bytes are stored. Raw values are the manifest's `Compression` numbers: append-only.
public enum BundleCompression: UInt32, Sendable {
    /// The stored bytes are the tensor: used in place from the mapping.
    case none = 1
    /// One zstd frame declaring its content size.
    case zstd = 2
}

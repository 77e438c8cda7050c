import TesseraCore

/// Element type of a bundled tensor, as used (after decompression).
/// Raw values are the manifest's `DType` numbers: append-only.
public enum BundleDType: UInt32, Sendable {
    case f32 = 1, f16 = 2, bf16 = 3
    /// Symmetric per-output-channel int8; the F32 scales are a companion tensor.
    case int8 = 4

    /// The tensor dtype the bytes are handed out as.
    public var dtype: DType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        case .int8: return .i8
        }
    }

    public var size: Int { dtype.size }

    /// The manifest's name of the value (in messages).
    public var name: String { dtype.rawValue }
}

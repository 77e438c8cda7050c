/// Element types a checkpoint can hold. Raw values are the safetensors names.
public enum DType: String, CaseIterable, Sendable, CustomStringConvertible {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }

    /// The case name (what reflection prints on the host), spelled out so messages
    /// read the same in Embedded Swift, which has no reflection (and without
    /// `lowercased()`, which would link Unicode's case tables into an edge binary).
    public var description: String {
        switch self {
        case .f64: return "f64"
        case .f32: return "f32"
        case .f16: return "f16"
        case .bf16: return "bf16"
        case .i64: return "i64"
        case .i32: return "i32"
        case .i16: return "i16"
        case .i8: return "i8"
        case .u8: return "u8"
        case .bool: return "bool"
        }
    }
}

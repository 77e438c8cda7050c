/// Conversions between Float and the 16-bit float formats, bit-exact with
/// PyTorch's (round-to-nearest-even, NaN kept NaN).
public enum HalfPrecision {
    /// bf16 is the top half of an IEEE float32.
    @inline(__always)
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    @inline(__always)
    public static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        // Round to nearest, ties to even: add 0x7FFF plus the lowest kept bit.
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    @inline(__always)
    public static func float(fromF16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    @inline(__always)
    public static func f16(from value: Float) -> UInt16 {
        Float16(value).bitPattern  // Swift's conversion rounds to nearest even.
    }
}

/// e^x sixteen lanes at a time, for the softmax of long attention rows
/// (the scalar `expf` call dominates otherwise).
///
/// e^x = 2^k * e^f with k = round(x / ln 2) and f = x - k ln 2 in [-ln2/2, ln2/2];
/// e^f by a degree-6 polynomial (Cephes `expf` coefficients), 2^k by writing the
/// exponent bits. Relative error about 2 ulp; inputs are clamped to
/// [-87.3, 88.3], so results below ~1e-38 come out as ~1e-38 instead of 0.
public enum VectorExp {
    public typealias Lanes = SIMD16<Float>

    @inline(__always)
    public static func exp(_ x: Lanes) -> Lanes {
        // Masked replacement, not `clamped`: the latter compiles to a lane-by-lane loop.
        var x = x
        x.replace(with: -87.3, where: x .< Lanes(repeating: -87.3))
        x.replace(with: 88.3, where: x .> Lanes(repeating: 88.3))
        // Adding 1.5 * 2^23 rounds to an integer (held in the low mantissa bits).
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x * 1.442_695_040_888_963_4 + magic
        let k = shifted - magic
        // ln 2 split in two so that k * hi is exact.
        let f = x - k * 0.693_359_375 + k * 2.121_944_4e-4
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * f + 1.398_199_950_7e-3
        p = p * f + 8.333_451_907_3e-3
        p = p * f + 4.166_579_589_4e-2
        p = p * f + 1.666_666_545_9e-1
        p = p * f + 5.000_000_120_1e-1
        let ef = p * (f * f) + f + 1
        let kBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((kBits &+ 127) &<< 23, to: Lanes.self)
        return ef * scale
    }
}

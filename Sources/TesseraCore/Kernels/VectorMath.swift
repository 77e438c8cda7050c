/// exp and erfc over SIMD lanes, for the element-wise kernels' hot loops
/// (libm's scalar expf/erff cost more than the GEMMs around them would allow).
public enum VectorMath {
    public typealias Lanes = SIMD8<Float>

    /// e^x, within 2 ulp of `expf` over the normal range: x = n ln2 + r with
    /// |r| <= ln2 / 2 (ln2 split in two for an exact n ln2), e^r by its Taylor
    /// series to r^7 (truncation < 2^-27 relative), times 2^n built in the exponent
    /// bits. Inputs below -87.3 give ~1e-38 instead of a denormal or 0.
    /// (Only lane-wise arithmetic, compares and bit casts: Swift's generic SIMD
    /// rounding and float-to-int conversions run lane by lane through slow paths.)
    @inline(__always)
    public static func exp(_ v: Lanes) -> Lanes {
        let low = Lanes(repeating: -87.3), high = Lanes(repeating: 88.7)
        let x = v.replacing(with: low, where: v .< low).replacing(with: high, where: v .> high)
        // Adding 1.5 · 2^23 rounds x·log2(e) to the nearest integer n, which then
        // sits in the low mantissa bits of t.
        let magic: Float = 12_582_912
        let t = x * 1.44269504088896341 + magic
        let n = t - magic
        let r = x - n * 0.693145751953125 - n * 1.428606765330187e-6
        var p = Lanes(repeating: 1.0 / 5040)
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let exponent = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127
        return p * unsafeBitCast(exponent &<< 23, to: Lanes.self)
    }

    /// erfc(z) for z >= 0, relative error below 1.2e-7: the Chebyshev-fitted form
    /// erfc(z) = t exp(-z^2 + P(t)), t = 1 / (1 + z/2) (Press et al., Numerical Recipes, §6.2).
    @inline(__always)
    public static func erfc(nonNegative z: Lanes) -> Lanes {
        let t = 1 / (1 + 0.5 * z)
        var p = Lanes(repeating: 0.17087277)
        p = p * t - 0.82215223
        p = p * t + 1.48851587
        p = p * t - 1.13520398
        p = p * t + 0.27886807
        p = p * t - 0.18628806
        p = p * t + 0.09678418
        p = p * t + 0.37409196
        p = p * t + 1.00002368
        p = p * t - 1.26551223
        return t * exp(p - z * z)
    }

    /// Applies `body` to `count` floats in lanes of 8, the tail padded and cut.
    @inline(__always)
    public static func map(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int,
                           _ body: (Lanes) -> Lanes) {
        var i = 0
        while i + 8 <= count {
            UnsafeMutableRawPointer(out + i).storeBytes(of: body(UnsafeRawPointer(inp + i).loadUnaligned(as: Lanes.self)),
                                                        as: Lanes.self)
            i += 8
        }
        if i < count {
            var lanes = Lanes()
            for j in 0..<(count - i) { lanes[j] = inp[i + j] }
            let result = body(lanes)
            for j in 0..<(count - i) { out[i + j] = result[j] }
        }
    }
}

extension VectorMath {
    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }

    @inline(__always)
    static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self) }

    /// max of x[count] (count > 0), in lanes of 8.
    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var i = 0, result = -Float.infinity
        if count >= 8 {
            var m = load(x)
            i = 8
            while i + 8 <= count {
                let v = load(x + i)
                m = m.replacing(with: v, where: v .> m)
                i += 8
            }
            for j in 0..<8 { result = Swift.max(result, m[j]) }
        }
        while i < count { result = Swift.max(result, x[i]); i += 1 }
        return result
    }

    /// sum of (x[i] - shift)^power for power 1 or 2, over count floats, in lanes of 8.
    public static func sum(_ x: UnsafePointer<Float>, count: Int, minus shift: Float = 0, squared: Bool = false) -> Float {
        var acc = Lanes(), i = 0
        while i + 8 <= count {
            let d = load(x + i) - shift
            acc += squared ? d * d : d
            i += 8
        }
        var result = acc.sum()
        while i < count {
            let d = x[i] - shift
            result += squared ? d * d : d
            i += 1
        }
        return result
    }

    /// x[count] *= factor
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        map(out: x, inp: x, count: count) { $0 * factor }
    }
}

/// Reductions and maps over SIMD lanes of 8, for the kernels' row loops (exp, GELU
/// and the sigmoid are CTesseraKernels' element-wise kernels).
public enum VectorMath {
    public typealias Lanes = SIMD8<Float>

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

    /// sum of x[i] * y[i] over count values, in lanes of `V` (a fixed order: the same sum on every run).
    @inlinable @inline(__always)
    public static func dot<V: SIMD>(_ x: UnsafePointer<V.Scalar>, _ y: UnsafePointer<V.Scalar>, count: Int,
                                    lanes: V.Type) -> V.Scalar where V.Scalar: FloatingPoint {
        var acc = V(), i = 0
        while i + V.scalarCount <= count {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: V.self) * UnsafeRawPointer(y + i).loadUnaligned(as: V.self)
            i += V.scalarCount
        }
        var result = acc.sum()
        while i < count {
            result += x[i] * y[i]
            i += 1
        }
        return result
    }

    /// x[count] *= factor
    public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        map(out: x, inp: x, count: count) { $0 * factor }
    }

    /// out[cols, rows] = the transpose of x[rows, cols] (row stride ld): an attention head's
    /// values as the weights of P V. Column by column: the rows' lines stay in cache while the
    /// writes run contiguous.
    public static func transpose(_ x: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, into out: UnsafeMutablePointer<Float>) {
        for c in 0..<cols {
            let column = out + c * rows
            for r in 0..<rows { column[r] = x[r * ld + c] }
        }
    }
}

import CPosix
import CTesseraKernels

/// Exact GELU: gelu(x) = x * (1 + erf(x / sqrt 2)) / 2 (`nn.GELU()`, approximate='none').
public enum GELU {
    /// out[count] = gelu(inp[count]); `out` may alias `inp`. Computed as
    /// x/2 · (2 - erfc(z)) for x >= 0 and x/2 · erfc(z) below, z = |x|/sqrt 2, with
    /// `VectorMath.erfc`'s formula (relative error < 1.2e-7, so the negative tail stays
    /// accurate too) and `VectorMath.exp`'s, run by CTesseraKernels' `tk_gelu` at the
    /// CPU's full vector width: the same operations in the same order as those Swift
    /// lanes (so the same bits), several times faster.
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        let path = tk_best_path()
        Parallel.chunks((count + 1023) / 1024) { blocks in
            let start = blocks.lowerBound * 1024, end = min(count, blocks.upperBound * 1024)
            let status = tk_gelu(path, inp + start, out + start, end - start)
            precondition(status == TK_OK, "tk_gelu failed with status \(status.rawValue)")
        }
    }

    /// erfc(|x| / sqrt 2), from which `backward` takes erf(x / sqrt 2) (as `tk_gelu` does).
    @inline(__always)
    static func erfcOfHalfRootMagnitude(_ x: VectorMath.Lanes) -> VectorMath.Lanes {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        return VectorMath.erfc(nonNegative: magnitude * 0.70710678118654752)
    }

    /// dinp[count] += dout * gelu'(inp), from out = gelu(inp):
    /// gelu'(x) = (1 + erf(x / sqrt 2)) / 2 + x * exp(-x^2 / 2) / sqrt(2 pi).
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        Parallel.chunks((count + 1023) / 1024) { blocks in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024) { slope in
                for block in blocks {
                    let start = block * 1024, n = min(1024, count - start)
                    VectorMath.map(out: slope.baseAddress!, inp: inp + start, count: n) { x in
                        // gelu'(x) with erf from erfc as in `forward`
                        let e = erfcOfHalfRootMagnitude(x)
                        let cdf = (0.5 * e).replacing(with: 1 - 0.5 * e, where: x .>= 0)
                        return cdf + x * VectorMath.exp(-0.5 * x * x) * 0.39894228040143268
                    }
                    let dx = dinp + start, dy = dout + start
                    for i in 0..<n { dx[i] += dy[i] * slope[i] }
                }
            }
        }
    }
}

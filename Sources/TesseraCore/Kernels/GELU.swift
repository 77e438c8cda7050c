import CPosix
import CTesseraKernels

/// Exact GELU: gelu(x) = x * (1 + erf(x / sqrt 2)) / 2 (`nn.GELU()`, approximate='none').
public enum GELU {
    /// out[count] = gelu(inp[count]); `out` may alias `inp`. CTesseraKernels' `tk_gelu`
    /// at the CPU's full vector width: erf from a Chebyshev-fitted erfc (relative error
    /// < 1.2e-7, so the negative tail stays accurate too), the same bits on every path.
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        let path = tk_best_path()
        Parallel.chunks((count + 1023) / 1024) { blocks in
            let start = blocks.lowerBound * 1024, end = min(count, blocks.upperBound * 1024)
            let status = tk_gelu(path, inp + start, out + start, end - start)
            guarantee(status == TK_OK, "tk_gelu failed with status \(status.rawValue)")
        }
    }

    /// dinp[count] += dout * gelu'(inp), from out = gelu(inp):
    /// gelu'(x) = (1 + erf(x / sqrt 2)) / 2 + x * exp(-x^2 / 2) / sqrt(2 pi), by
    /// `tk_gelu_derivative` (erf as in `forward`).
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, count: Int) {
        let path = tk_best_path()
        Parallel.chunks((count + 1023) / 1024) { blocks in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024) { slope in
                for block in blocks {
                    let start = block * 1024, n = min(1024, count - start)
                    let status = tk_gelu_derivative(path, inp + start, slope.baseAddress!, n)
                    guarantee(status == TK_OK, "tk_gelu_derivative failed with status \(status.rawValue)")
                    let dx = dinp + start, dy = dout + start
                    for i in 0..<n { dx[i] += dy[i] * slope[i] }
                }
            }
        }
    }
}

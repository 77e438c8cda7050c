import CPosix
import CTesseraKernels

/// Row-wise softmax, stabilised by subtracting the row maximum.
public enum Softmax {
    /// x[rows, cols] = softmax(x[rows, cols]) in place, serially (callers
    /// parallelise over independent blocks). lse[rows] = log(sum(exp(x)))
    /// of the input rows is stored when given (natural log).
    public static func forward(_ x: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>? = nil,
                               rows: Int, cols: Int) {
        let path = tk_best_path()
        for r in 0..<rows {
            let row = x + r * cols
            let maxValue = VectorMath.maximum(row, count: cols)
            // CTesseraKernels' exp at the CPU's full vector width: the same bits on every path.
            let status = tk_exp(path, row, row, cols, maxValue)
            guarantee(status == TK_OK, "tk_exp failed with status \(status.rawValue)")
            let sum = VectorMath.sum(row, count: cols)
            VectorMath.scale(row, count: cols, by: 1 / sum)
            lse?[r] = maxValue + logf(sum)
        }
    }
}

extension Softmax {
    /// dx[rows, cols] = p * (dp - sum_c(dp * p)) for p = softmax(x) (the saved output of
    /// `forward`) and dp = d loss / d p. Overwrites `dx` (it may alias `dp`), serially.
    public static func backward(dx: UnsafeMutablePointer<Float>, dp: UnsafePointer<Float>,
                                p: UnsafePointer<Float>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let pr = p + r * cols, dpr = dp + r * cols, dxr = dx + r * cols
            var dot: Float = 0
            for c in 0..<cols { dot += dpr[c] * pr[c] }
            for c in 0..<cols { dxr[c] = pr[c] * (dpr[c] - dot) }
        }
    }
}

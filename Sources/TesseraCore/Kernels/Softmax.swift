#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Row-wise softmax, stabilised by subtracting the row maximum.
public enum Softmax {
    /// x[rows, cols] = softmax(x[rows, cols]) in place, serially (callers
    /// parallelise over independent blocks). lse[rows] = log(sum(exp(x)))
    /// of the input rows is stored when given (natural log).
    public static func forward(_ x: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>? = nil,
                               rows: Int, cols: Int) {
        for r in 0..<rows {
            let row = x + r * cols
            var maxValue = -Float.infinity
            for c in 0..<cols { maxValue = max(maxValue, row[c]) }
            var sum: Float = 0
            for c in 0..<cols {
                let e = expf(row[c] - maxValue)
                row[c] = e
                sum += e
            }
            let inv = 1 / sum
            for c in 0..<cols { row[c] *= inv }
            lse?[r] = maxValue + logf(sum)
        }
    }
}

/// Sums of doubles in numpy's order, so that metrics equal scikit-learn's to the last bit, not
/// just to rounding: `np.sum` (and `mean`, `trapezoid`, which call it) over a contiguous float64
/// array is numpy's pairwise summation. Below 8 values it adds left to right from 0; up to 128
/// it keeps 8 running sums (element i into sum i mod 8), combines them as
/// ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7)) and adds the remainder left to right; above 128 it splits
/// at half the length rounded down to a multiple of 8 and adds the two halves' sums.
enum NumPySum {
    static func sum(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { pairwise($0[...]) }
    }

    /// `np.mean`: the sum divided by the count (NaN for no values, as numpy's 0/0).
    static func mean(_ values: [Double]) -> Double {
        sum(values) / Double(values.count)
    }

    private static func pairwise(_ a: Slice<UnsafeBufferPointer<Double>>) -> Double {
        let n = a.count, start = a.startIndex
        if n < 8 {
            var result = 0.0
            for x in a { result += x }
            return result
        }
        if n <= 128 {
            var r = (0..<8).map { a[start + $0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[start + i + j] }
                i += 8
            }
            var result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n {
                result += a[start + i]
                i += 1
            }
            return result
        }
        var half = n / 2
        half -= half % 8
        return pairwise(a[start..<(start + half)]) + pairwise(a[(start + half)...])
    }
}

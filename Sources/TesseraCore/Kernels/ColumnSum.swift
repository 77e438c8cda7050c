/// Column sums of a row-major matrix, the backward of every broadcast over rows.
public enum ColumnSum {
    /// out[cols] += sum over r of x[r, cols]. Threads take disjoint column ranges
    /// (walking each row's slice in order), so the sums need no reduction step.
    public static func accumulate(into out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int) {
        let work = rows * cols
        let body = { (range: Range<Int>) in
            var sums = [Double](repeating: 0, count: range.count)  // many small terms: summed in double
            for r in 0..<rows {
                let row = x + r * cols
                for (j, c) in range.enumerated() { sums[j] += Double(row[c]) }
            }
            for (j, c) in range.enumerated() { out[c] += Float(sums[j]) }
        }
        if work < 1 << 16 { body(0..<cols) } else { Parallel.chunks(cols, body) }
    }
}

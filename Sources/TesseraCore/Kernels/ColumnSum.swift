/// Column sums of a row-major matrix, the backward of every broadcast over rows.
public enum ColumnSum {
    /// out[cols] += sum over r of x[r, cols]. Threads take disjoint column ranges
    /// (walking each row's slice in order), so the sums need no reduction step.
    public static func accumulate(into out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int) {
        let work = rows * cols
        let body = { (range: Range<Int>) in
            // Many small terms: summed in double. Plain index loops over raw memory, which the
            // compiler vectorises (the same additions in the same order per column).
            let sums = UnsafeMutablePointer<Double>.allocate(capacity: range.count)
            defer { sums.deallocate() }
            sums.initialize(repeating: 0, count: range.count)
            for r in 0..<rows {
                let row = x + r * cols + range.lowerBound
                for j in 0..<range.count { sums[j] += Double(row[j]) }
            }
            for j in 0..<range.count { out[range.lowerBound + j] += Float(sums[j]) }
        }
        if work < 1 << 16 { body(0..<cols) } else { Parallel.chunks(cols, body) }
    }
}

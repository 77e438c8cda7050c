import TesseraCore

extension PrincipalComponents {
    /// Rows centred and widened to double at a time: a block of 64 x 1536 doubles (768 KB) stays in
    /// a core's second-level cache while every tile of the scatter matrix reads it.
    static let blockRows = 64

    /// The scatter matrix S = sum over rows of (x - mean)(x - mean)^T, [width, width] row-major,
    /// in double: `reference(...)` in the tests is its plain triple loop.
    ///
    /// The rows go in blocks of `blockRows`, centred into doubles (the width padded with zeros to a
    /// multiple of 4); each block adds its products to S in tiles of 4 x 4 entries held in
    /// registers (`addBlock`), upper triangle only, mirrored at the end. Every entry is summed over
    /// the rows in their order, whatever the threads: the threads share out the tiles, not the rows.
    static func scatter(_ rows: UnsafeBufferPointer<Float>, count n: Int, width d: Int, mean: [Double]) -> [Double] {
        let padded = (d + 3) / 4 * 4, panels = padded / 4
        var block = [Double](repeating: 0, count: blockRows * padded)
        var sums = [Double](repeating: 0, count: padded * padded)
        sums.withUnsafeMutableBufferPointer { s in
            block.withUnsafeMutableBufferPointer { b in
                var start = 0
                while start < n {
                    let m = min(blockRows, n - start)
                    for r in 0..<m {
                        for i in 0..<d { b[r * padded + i] = Double(rows[(start + r) * d + i]) - mean[i] }
                    }
                    let base = UnsafePointer(b.baseAddress!), out = s.baseAddress!
                    // Panel p (4 rows of S) has panels - p tiles right of its diagonal: pairing it with
                    // panel panels - 1 - p gives every pair the same work.
                    Parallel.forEach((panels + 1) / 2) { pair in
                        addBlock(base, rows: m, width: padded, panel: pair, into: out)
                        if panels - 1 - pair != pair { addBlock(base, rows: m, width: padded, panel: panels - 1 - pair, into: out) }
                    }
                    start += m
                }
            }
        }
        var result = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in i..<d {
                result[i * d + j] = sums[i * padded + j]
                result[j * d + i] = sums[i * padded + j]
            }
        }
        return result
    }

    /// Adds the block's products to rows 4p..4p+3 of S, columns from 4p on: for each 4 x 4 tile,
    /// sum over the block's rows r of block[r][i] * block[r][j], in four vector accumulators.
    @inline(__always)
    static func addBlock(_ block: UnsafePointer<Double>, rows m: Int, width padded: Int, panel p: Int,
                         into sums: UnsafeMutablePointer<Double>) {
        let i = 4 * p
        var j = i
        while j < padded {
            var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
            for r in 0..<m {
                let row = block + r * padded
                let x = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self)
                s0 += row[i] * x
                s1 += row[i + 1] * x
                s2 += row[i + 2] * x
                s3 += row[i + 3] * x
            }
            add(s0, to: sums + i * padded + j)
            add(s1, to: sums + (i + 1) * padded + j)
            add(s2, to: sums + (i + 2) * padded + j)
            add(s3, to: sums + (i + 3) * padded + j)
            j += 4
        }
    }

    @inline(__always)
    private static func add(_ s: SIMD4<Double>, to target: UnsafeMutablePointer<Double>) {
        let raw = UnsafeMutableRawPointer(target)
        raw.storeBytes(of: raw.loadUnaligned(as: SIMD4<Double>.self) + s, as: SIMD4<Double>.self)
    }
}

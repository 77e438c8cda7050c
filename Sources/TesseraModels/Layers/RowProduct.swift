import TesseraCore

/// Activation rows prepared for a packed product (int8 quantised, bf16 rounded): scratch
/// for `rows` rows of `cols` values, owned until `free()`.
protocol PreparedRows {
    init(rows: Int, cols: Int)
    func free()
}

extension Bf16Rows: PreparedRows {}

/// Weights packed once at load for a kernel whose activations are prepared row by row
/// (`Int8Weights`, `Bf16Weights`), and the one way their product is split over threads.
protocol RowProduct: AnyObject {
    associatedtype Rows: PreparedRows
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// Column ranges starting at multiples of this split without repeated work.
    var columnBlock: Int { get }
    /// The packed weights' size in bytes.
    var weightBytes: Int { get }
    /// Prepares x[rows, inFeatures] into `into`'s rows 0..<rows.
    func prepare(_ x: UnsafePointer<Float>, rows: Int, into: Rows)
    /// Rows 0..<rows of `prepared` times the weights' `columns`, into (or added to) out [rows, outFeatures].
    func multiply(_ prepared: Rows, rows: Int, columns: Range<Int>, out: UnsafeMutablePointer<Float>, accumulate: Bool)
}

/// Rows prepared and multiplied at a time by one thread, so that its scratch stays small
/// and in cache; 48 to 400 rows timed the same on an int8 ViT-S.
let rowProductBlock = 96

/// Packed weights above this size are swept once per thread rather than once per block of rows.
let rowProductCachedWeights = 8 << 20

extension RowProduct {
    /// out[rows, n] = inp[rows, k] · W^T + b, or out += that when `accumulate` (added by the
    /// product's epilogue, the same bits as adding afterwards).
    /// Threads take ranges of rows, or, when there are too few rows to share, ranges of columns
    /// over rows prepared once. A thread prepares and multiplies its rows a block at a time (its
    /// scratch stays small while the weights stay in cache), unless the weights are too large to
    /// stay there and outnumber its rows: then it prepares them all and sweeps the weights once
    /// (a GigaPath's 14-25 MB bf16 layers, re-read for every block of rows, cost its forward 10%).
    /// The same bits in every order.
    func apply(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, accumulate: Bool) {
        guard rows > 0 else { return }
        let block = rowProductBlock
        if rows >= 2 * block * Parallel.threadCount || Parallel.threadCount == 1 || Parallel.isInsideWorker {
            Parallel.chunks(rows) { range in
                let sweepOnce = weightBytes > rowProductCachedWeights && range.count <= outFeatures
                let step = sweepOnce ? range.count : block
                let scratch = Rows(rows: min(step, range.count), cols: inFeatures)
                defer { scratch.free() }
                for start in stride(from: range.lowerBound, to: range.upperBound, by: step) {
                    let m = min(step, range.upperBound - start)
                    prepare(inp + start * inFeatures, rows: m, into: scratch)
                    multiply(scratch, rows: m, columns: 0..<outFeatures, out: out + start * outFeatures, accumulate: accumulate)
                }
            }
            return
        }
        let scratch = Rows(rows: rows, cols: inFeatures)
        defer { scratch.free() }
        prepare(inp, rows: rows, into: scratch)
        let columns = columnBlock
        Parallel.chunks((outFeatures + columns - 1) / columns) { blocks in
            multiply(scratch, rows: rows, columns: (blocks.lowerBound * columns)..<min(outFeatures, blocks.upperBound * columns),
                     out: out, accumulate: accumulate)
        }
    }
}

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
    /// Prepares x[rows, inFeatures] into `into`'s rows 0..<rows.
    func prepare(_ x: UnsafePointer<Float>, rows: Int, into: Rows)
    /// Rows 0..<rows of `prepared` times the weights' `columns`, into (or added to) out [rows, outFeatures].
    func multiply(_ prepared: Rows, rows: Int, columns: Range<Int>, out: UnsafeMutablePointer<Float>, accumulate: Bool)
}

/// Rows prepared and multiplied at a time by one thread, so that its scratch stays small
/// and in cache; 48 to 400 rows timed the same on an int8 ViT-S.
let rowProductBlock = 96

extension RowProduct {
    /// out[rows, n] = inp[rows, k] · W^T + b, or out += that when `accumulate` (added by the
    /// product's epilogue, the same bits as adding afterwards).
    /// Threads take blocks of rows (preparing their own), or, when there are too few rows
    /// to share, ranges of columns over rows prepared once: the same bits either way.
    func apply(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, accumulate: Bool) {
        guard rows > 0 else { return }
        let block = rowProductBlock
        if rows >= 2 * block * Parallel.threadCount || Parallel.threadCount == 1 || Parallel.isInsideWorker {
            Parallel.chunks(rows) { range in
                let scratch = Rows(rows: min(block, range.count), cols: inFeatures)
                defer { scratch.free() }
                for start in stride(from: range.lowerBound, to: range.upperBound, by: block) {
                    let m = min(block, range.upperBound - start)
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

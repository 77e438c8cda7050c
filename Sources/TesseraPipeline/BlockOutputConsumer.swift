/// A consumer of one block's output, given as a closure: `body(rows, x)` with x
/// [rows.count, tokens, D] for the kept tiles at output rows `rows`, valid only during the call.
public final class BlockOutputConsumer: TileBatchConsumer {
    public let block: Int
    private let body: (Range<Int>, UnsafePointer<Float>) -> Void

    public init(block: Int, _ body: @escaping (Range<Int>, UnsafePointer<Float>) -> Void) {
        self.block = block
        self.body = body
    }

    public func consume(block: Int, rows: Range<Int>, _ x: UnsafePointer<Float>) throws(PipelineError) {
        if block == self.block { body(rows, x) }
    }
}

import TesseraCore

/// What the tile-encoder run hands each batch to, beside the output rows: the hidden-state
/// spool of `tessera embed --hidden-states`, the edge engine's teacher-space head, the
/// distillation's teacher targets and its student's adaptor.
public protocol TileBatchConsumer: AnyObject {
    /// Block `block`'s output x [rows.count, tokens, D] for the kept tiles at output rows
    /// `rows` (every kept tile so far has one row, in tile order); x is valid only during the call.
    func consume(block: Int, rows: Range<Int>, _ x: UnsafePointer<Float>) throws(PipelineError)
}

/// A consumer that keeps every block's rows and gives them back as tensors for the output
/// (`tessera embed --hidden-states` spools them to files).
public protocol HiddenStateSink: TileBatchConsumer {
    /// Every block's rows so far, [rows, tokens, D] per block, in block order.
    func tensors(tokens: Int, dim: Int) throws(PipelineError) -> [Tensor]
}

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

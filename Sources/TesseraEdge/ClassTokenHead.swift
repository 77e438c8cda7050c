import TesseraCore
import TesseraModels
import TesseraPipeline

/// A teacher-space head on the class token of the tile encoder's last block output, run on each
/// batch as the pipeline passes it by: it keeps only the head's rows [tiles, D_t], never a
/// block's tokens, and gives the output no `blocks.{i}`.
final class ClassTokenHead: TileBatchConsumer {
    let head: TeacherSpaceHead
    private let lastBlock: Int
    private let tokens: Int
    private var rows: [Float] = []

    init(_ head: TeacherSpaceHead, tileEncoder config: VisionTransformer.Config) {
        self.head = head
        lastBlock = config.depth - 1
        tokens = config.tokens
    }

    func consume(block: Int, rows batch: Range<Int>, _ x: UnsafePointer<Float>) throws(PipelineError) {
        guard block == lastBlock else { return }
        let count = batch.count
        let start = rows.count
        rows.append(contentsOf: repeatElement(0, count: count * head.outFeatures))
        rows.withUnsafeMutableBufferPointer { head(out: $0.baseAddress! + start, classTokensOf: x, batch: count, tokens: tokens) }
    }

    /// `teacher_tile_embeds` [tiles so far, D_t], in tile order.
    var output: Tensor { Tensor(shape: [rows.count / head.outFeatures, head.outFeatures], floats: rows) }
}

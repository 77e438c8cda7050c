import TesseraCore
import TesseraImage
import TesseraModels

/// The one batched tile-encoder run: a tile source read by `TileBatches`, each batch through
/// the model's inference forward pass, every block's output handed to the consumers while it
/// is live, the class embeddings kept as rows in tile order. `tessera embed`, the edge engine
/// (slide folders and the C interface's RGB buffers) and the distillation's teacher and
/// student passes all run tiles through this.
///
/// A NaN or infinite embedding stops the run naming its tile (`PipelineError.nonFinite`).
///
/// Shapes: tile_embeds [kept, D]; a consumer sees x [rows, tokens, D] per block and batch.
public struct TileEmbedder {
    public let model: VisionTransformer
    public var batches: TileBatches

    public init(model: VisionTransformer, preprocessor: TilePreprocessor = .gigapath, batchSize: Int = 8, strict: Bool = false) {
        self.model = model
        batches = TileBatches(preprocessor: preprocessor, batchSize: batchSize, strict: strict)
    }

    /// The embedded tiles.
    public struct Result {
        /// [kept, D], rows in tile order.
        public var tileEmbeds: Tensor
        /// Which tiles have rows, and which were skipped.
        public var summary: TileBatches.Summary
    }

    public func embed(_ source: any TileSource, consumers: [any TileBatchConsumer] = [],
                      onEvent: (TileBatches.Event) -> Void = { _ in }) throws(PipelineError) -> Result {
        let c = model.config, crop = batches.preprocessor.crop
        guard crop == c.imageSize, c.inChans == 3 else {
            throw .configuration("the model takes \(c.inChans)x\(c.imageSize)x\(c.imageSize) images, "
                                 + "the preprocessing makes 3x\(crop)x\(crop)")
        }
        let d = c.embedDim, batchSize = min(batches.batchSize, max(1, source.count))
        let workspace = model.makeWorkspace(batch: batchSize)
        let batchEmbeds = Tensor(zeros: [batchSize, d])
        let output = batchEmbeds.mutableFloatPointer
        var embeds: [Float] = []
        embeds.reserveCapacity(source.count * d)
        let summary = try batches.forEach(source, onEvent: onEvent) { (batch) throws(PipelineError) in
            let rows = batch.tiles.count
            var consumerError: PipelineError?
            let hidden: ((Int, UnsafePointer<Float>) -> Void)? = consumers.isEmpty ? nil : { block, x in
                guard consumerError == nil else { return }
                do throws(PipelineError) {
                    for consumer in consumers { try consumer.consume(block: block, rows: batch.rows, x) }
                } catch {
                    consumerError = error
                }
            }
            model.forward(images: batch.images, batch: rows, workspace: workspace, embedding: output, hiddenStates: hidden)
            if let consumerError { throw consumerError }
            let batchEmbeds = UnsafeBufferPointer(start: output, count: rows * d)
            // The last line of defence: a model that overflows (weights no check caught) stops the
            // run naming the tile; a NaN row is never written as an embedding.
            if let i = batchEmbeds.firstIndex(where: { !$0.isFinite }) {
                throw .nonFinite(tile: source.location(of: batch.tiles[i / d]), row: batch.rows.lowerBound + i / d,
                                 column: i % d, value: batchEmbeds[i])
            }
            embeds.append(contentsOf: batchEmbeds)
        }
        return Result(tileEmbeds: Tensor(shape: [summary.kept.count, d], floats: embeds), summary: summary)
    }
}

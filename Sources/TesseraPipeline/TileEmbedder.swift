import TesseraCore
import TesseraImage
import TesseraModels

/// Embeds a list of tiles with a tile encoder, streaming them through in
/// batches: only one batch of images is ever in memory. Each tile is decoded
/// and preprocessed (`TilePreprocessor`, in parallel across the batch), the
/// batch runs through the model, and the embeddings are kept in tile order.
/// A tile that cannot be decoded is skipped and reported, or stops the run
/// when `strict`.
public struct TileEmbedder {
    public let model: VisionTransformer
    public var preprocessor: TilePreprocessor
    public var decoder: PNGDecoder
    public var batchSize: Int
    public var strict: Bool

    public init(model: VisionTransformer, preprocessor: TilePreprocessor = .gigapath, decoder: PNGDecoder = PNGDecoder(),
                batchSize: Int = 8, strict: Bool = false) {
        self.model = model
        self.preprocessor = preprocessor
        self.decoder = decoder
        self.batchSize = max(1, batchSize)
        self.strict = strict
    }

    public enum Event {
        /// `done` of `total` tiles handled (embedded or skipped).
        case progress(done: Int, total: Int)
        /// A tile that could not be read; it has no row in the result.
        case skipped(path: String, error: ImageDecodingError)
    }

    /// The embedded tiles, rows in tile order.
    public struct Result {
        /// [kept, D]
        public var tileEmbeds: Tensor
        /// The kept tiles' paths, in row order.
        public var paths: [String]
        /// The skipped tiles and why.
        public var skipped: [(path: String, error: ImageDecodingError)]
    }

    /// Runs every tile. `hiddenStates` receives each block's output for the batch's
    /// kept tiles, x [rows, tokens, D], in tile order.
    public func embed(_ tiles: [String], hiddenStates: (any HiddenStateSink)? = nil,
                      onEvent: (Event) -> Void = { _ in }) throws(PipelineError) -> Result {
        let c = model.config
        guard preprocessor.crop == c.imageSize, c.inChans == 3 else {
            throw .configuration("the model takes \(c.inChans)x\(c.imageSize)x\(c.imageSize) images, "
                                 + "the preprocessing makes 3x\(preprocessor.crop)x\(preprocessor.crop)")
        }
        let d = c.embedDim, imageCount = 3 * c.imageSize * c.imageSize
        // A batch never plans for more images than there are tiles (a huge batch option on a small
        // slide would otherwise allocate for images that do not exist).
        let batchSize = min(self.batchSize, max(1, tiles.count))
        let workspace = model.makeWorkspace(batch: batchSize)
        let images = Tensor(zeros: [batchSize, 3, c.imageSize, c.imageSize])
        let batchEmbeds = Tensor(zeros: [batchSize, d])
        var embeds: [Float] = []
        embeds.reserveCapacity(tiles.count * d)
        var kept: [String] = [], skipped: [(path: String, error: ImageDecodingError)] = []
        let input = images.mutableFloatPointer
        let output = batchEmbeds.mutableFloatPointer

        for start in stride(from: 0, to: tiles.count, by: batchSize) {
            let batch = Array(tiles[start..<min(start + batchSize, tiles.count)])
            var failures = [ImageDecodingError?](repeating: nil, count: batch.count)
            failures.withUnsafeMutableBufferPointer { failed in
                Parallel.forEach(batch.count) { i in
                    do throws(ImageDecodingError) {
                        let tile = preprocessor.cropped(try decoder.decode(path: batch[i]))
                        preprocessor.normalize(tile, into: input + i * imageCount)
                    } catch {
                        failed[i] = error
                    }
                }
            }
            // Close the gaps left by bad tiles so the good ones run as one batch.
            var rows = 0
            for (i, path) in batch.enumerated() {
                if let error = failures[i] {
                    if strict { throw .tile(error) }
                    skipped.append((path, error))
                    onEvent(.skipped(path: path, error: error))
                    continue
                }
                if rows != i { (input + rows * imageCount).update(from: input + i * imageCount, count: imageCount) }
                kept.append(path)
                rows += 1
            }
            if rows > 0 {
                var spoolError: PipelineError?
                model.forward(images: input, batch: rows, workspace: workspace, embedding: output,
                              hiddenStates: hiddenStates.map { sink in { block, x in
                                  guard spoolError == nil else { return }
                                  do throws(PipelineError) { try sink.append(block: block, count: rows, x) } catch { spoolError = error }
                              } })
                if let spoolError { throw spoolError }
                embeds.append(contentsOf: UnsafeBufferPointer(start: output, count: rows * d))
            }
            onEvent(.progress(done: start + batch.count, total: tiles.count))
        }
        return Result(tileEmbeds: Tensor(shape: [kept.count, d], floats: embeds), paths: kept, skipped: skipped)
    }
}

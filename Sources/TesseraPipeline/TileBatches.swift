import TesseraCore
import TesseraImage

/// The reading half of the one tile-encoder run: a tile source's tiles, `batchSize` at a time,
/// decoded, resized, cropped and normalised in parallel into one image buffer; an unreadable
/// tile is reported and skipped (or stops the run when `strict`), and the readable ones close
/// up so that each batch runs as one. Only one batch of images is ever in memory.
///
/// Shapes: images [rows, 3, crop, crop] f32 per batch, rows <= batchSize.
public struct TileBatches {
    public var preprocessor: TilePreprocessor
    public var batchSize: Int
    public var strict: Bool

    public init(preprocessor: TilePreprocessor = .gigapath, batchSize: Int = 8, strict: Bool = false) {
        self.preprocessor = preprocessor
        self.batchSize = max(1, batchSize)
        self.strict = strict
    }

    public enum Event {
        /// `done` of `total` tiles handled (embedded or skipped).
        case progress(done: Int, total: Int)
        /// A tile that could not be read (at `location`); it has no row in the result.
        case skipped(location: String, error: ImageDecodingError)
    }

    /// One batch of readable tiles.
    public struct Batch {
        /// The source's indices of the batch's tiles, in order.
        public let tiles: [Int]
        /// Their rows among every kept tile so far.
        public let rows: Range<Int>
        /// Their normalised images [tiles.count, 3, crop, crop], valid only during the call.
        public let images: UnsafePointer<Float>
    }

    /// Which tiles were kept (source indices, in row order) and which were skipped and why.
    public struct Summary {
        public var kept: [Int] = []
        public var skipped: [(tile: Int, error: ImageDecodingError)] = []
    }

    /// Reads every tile of `source` and hands each batch of readable ones to `body`.
    public func forEach(_ source: any TileSource, onEvent: (Event) -> Void = { _ in },
                        _ body: (Batch) throws(PipelineError) -> Void) throws(PipelineError) -> Summary {
        let n = source.count, crop = preprocessor.crop, imageFloats = 3 * crop * crop
        // Never plan for more images than there are tiles (a huge batch option on a small slide).
        let batchSize = min(self.batchSize, max(1, n))
        let images = Tensor(zeros: [batchSize, 3, crop, crop])
        let input = images.mutableFloatPointer
        var summary = Summary()
        for start in stride(from: 0, to: n, by: batchSize) {
            let count = min(batchSize, n - start)
            var failures = [ImageDecodingError?](repeating: nil, count: count)
            failures.withUnsafeMutableBufferPointer { failed in
                Parallel.forEach(count) { i in
                    do throws(ImageDecodingError) {
                        let image = try source.image(of: start + i)
                        let tile = source.yieldsCrops ? image : preprocessor.cropped(image)
                        guard tile.width == crop, tile.height == crop else {
                            throw ImageDecodingError(path: source.location(of: start + i), reason: .unreadable(
                                "a \(tile.width)x\(tile.height) crop where the tile transform makes \(crop)x\(crop)"))
                        }
                        preprocessor.normalize(tile, into: input + i * imageFloats)
                    } catch {
                        failed[i] = error
                    }
                }
            }
            var tiles: [Int] = []
            for i in 0..<count {
                if let error = failures[i] {
                    if strict { throw .tile(error) }
                    summary.skipped.append((start + i, error))
                    onEvent(.skipped(location: source.location(of: start + i), error: error))
                    continue
                }
                if tiles.count != i { (input + tiles.count * imageFloats).update(from: input + i * imageFloats, count: imageFloats) }
                tiles.append(start + i)
            }
            if !tiles.isEmpty {
                let first = summary.kept.count
                summary.kept += tiles
                try body(Batch(tiles: tiles, rows: first..<summary.kept.count, images: input))
            }
            onEvent(.progress(done: start + count, total: n))
        }
        withExtendedLifetime(images) {}
        return summary
    }
}

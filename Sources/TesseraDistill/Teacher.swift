import TesseraCore
import TesseraImage
import TesseraModels

/// The frozen teacher: a tile encoder (GigaPath, or any timm ViT) and a slide encoder.
/// `targets` runs it once over a slide's tiles (docs/models.md §5.1).
public struct Teacher: Sendable {
    public let tileEncoder: VisionTransformer
    public let slideEncoder: SlideEncoder
    public var batchSize: Int
    public var preprocessor: TilePreprocessor

    public init(tileEncoder: VisionTransformer, slideEncoder: SlideEncoder, batchSize: Int = 8,
                preprocessor: TilePreprocessor = .gigapath) {
        self.tileEncoder = tileEncoder
        self.slideEncoder = slideEncoder
        self.batchSize = max(1, batchSize)
        self.preprocessor = preprocessor
    }

    /// h_t [N, T, D_t] (in `hiddenType`: f16 halves the cache), e_t [N, D_t] and every slide
    /// output of the slide's tiles; `progress(done)` after each batch of tiles.
    public func targets(_ slide: SlideTiles, hiddenType: DType = .f16,
                        progress: (Int) -> Void = { _ in }) throws -> (targets: TeacherTargets, slide: SlideEmbeddings) {
        let c = tileEncoder.config, n = slide.count, tokens = c.tokens, d = c.embedDim
        let hidden = Tensor(zeros: [n, tokens, d], dtype: hiddenType)
        let tileEmbeds = Tensor(zeros: [n, d])
        let workspace = tileEncoder.makeWorkspace(batch: min(batchSize, n))
        let images = Tensor(zeros: [min(batchSize, n), 3, c.imageSize, c.imageSize])
        let imageCount = 3 * c.imageSize * c.imageSize, input = images.mutableFloatPointer
        for start in stride(from: 0, to: n, by: batchSize) {
            let rows = min(batchSize, n - start)
            Parallel.forEach(rows) { i in preprocessor.normalize(slide.crops[start + i], into: input + i * imageCount) }
            tileEncoder.forward(images: input, batch: rows, workspace: workspace,
                                embedding: tileEmbeds.mutableFloatPointer + start * d) { block, x in
                guard block == c.depth - 1 else { return }
                Self.store(x, count: rows * tokens * d, into: hidden, at: start * tokens * d)
            }
            progress(start + rows)
        }
        let cells = try slideEncoder.grid().place(coords: slide.coords, names: slide.names).cells
        let outputs = try slideEncoder.forward(tileEmbeds: tileEmbeds, cells: cells)
        return (TeacherTargets(hidden: hidden, tileEmbeds: tileEmbeds, slideEmbed: outputs.globalPoolEmbed), outputs)
    }

    /// s_t of a subset of tiles (their e_t rows and coordinates): the slide encoder alone.
    public func slideEmbed(tileEmbeds: Tensor, coords: Tensor, names: [String]) throws -> [Float] {
        let cells = try slideEncoder.grid().place(coords: coords, names: names).cells
        return try slideEncoder.forward(tileEmbeds: tileEmbeds, cells: cells).globalPoolEmbed
    }

    private static func store(_ x: UnsafePointer<Float>, count: Int, into tensor: Tensor, at offset: Int) {
        let raw = tensor.storage.mutableBytes.baseAddress!
        switch tensor.dtype {
        case .f16:
            let out = raw.assumingMemoryBound(to: UInt16.self) + offset
            for i in 0..<count { out[i] = HalfPrecision.f16(from: x[i]) }
        default:
            (raw.assumingMemoryBound(to: Float.self) + offset).update(from: x, count: count)
        }
    }
}

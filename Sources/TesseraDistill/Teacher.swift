import TesseraCore
import TesseraImage
import TesseraModels
import TesseraPipeline

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
    /// output of the slide's tiles, through the pipeline's tile-encoder run and the slide
    /// embedder's placement policy; `progress(done)` after each batch of tiles.
    public func targets(_ slide: SlideTiles, hiddenType: DType = .f16, progress: (Int) -> Void = { _ in },
                        onWarning: (String) -> Void = { _ in }) throws -> (targets: TeacherTargets, slide: SlideEmbeddings) {
        let c = tileEncoder.config, rowValues = c.tokens * c.embedDim
        let hidden = Tensor(zeros: [slide.count, c.tokens, c.embedDim], dtype: hiddenType)
        let lastBlock = BlockOutputConsumer(block: c.depth - 1) { rows, x in
            Self.store(x, count: rows.count * rowValues, into: hidden, at: rows.lowerBound * rowValues)
        }
        let run = TileEmbedder(model: tileEncoder, preprocessor: preprocessor, batchSize: batchSize, strict: true)
        let tileEmbeds = try run.embed(slide, consumers: [lastBlock]) {
            if case .progress(let done, _) = $0 { progress(done) }
        }.tileEmbeds
        let outputs = try SlideEmbedder(model: slideEncoder).placing(slide.geometry)
            .embed(tileEmbeds: tileEmbeds, coords: slide.coords, names: slide.names) {
            if case .warning(let text) = $0 { onWarning(text) }
        }
        return (TeacherTargets(hidden: hidden, tileEmbeds: tileEmbeds, slideEmbed: outputs.globalPoolEmbed), outputs)
    }

    /// s_t of a subset of tiles from their e_t rows [N, D_t]: the slide encoder alone.
    public func slideEmbed(of tiles: SlideTiles, tileEmbeds: Tensor) throws -> [Float] {
        try SlideEmbedder(model: slideEncoder).placing(tiles.geometry)
            .embed(tileEmbeds: tileEmbeds, coords: tiles.coords, names: tiles.names).globalPoolEmbed
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

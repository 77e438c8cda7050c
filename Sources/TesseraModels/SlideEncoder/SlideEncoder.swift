import TesseraCore

/// Prov-GigaPath's slide encoder (`gigapath_slide_enc12l768d`, a LongNetViT):
/// tile embeddings and their grid cells in, slide embeddings out (docs/models.md §3).
///
/// Structure mirrors the checkpoint keys: `patch_embed.proj`, `cls_token`,
/// `encoder.layers.i.*`, `encoder.layer_norm`, `norm`.
public struct SlideEncoder: Sendable {
    public let config: Config
    public let patchEmbed: PatchEmbed
    public let clsToken: Tensor  // [1, 1, D]
    public let encoder: Encoder
    public let norm: LayerNormLayer
    let positions: PositionEncoding

    /// LayerNorm eps inside the encoder (torchscale) and of the final `norm` (timm-style head).
    public static let encoderEps: Float = 1e-5
    public static let normEps: Float = 1e-6

    /// `patch_embed.proj`: Linear(in_chans, D).
    public struct PatchEmbed: Sendable {
        public let proj: LinearLayer
    }

    /// torchscale `Encoder`: `layers`, then `layer_norm` on the default path only.
    public struct Encoder: Sendable {
        public let layers: [EncoderLayer]
        public let layerNorm: LayerNormLayer
    }

    /// Builds the model from weights with prov-gigapath's key names and a resolved `config`
    /// (`Config.inferred` reads one from a checkpoint's shapes). Missing, unexpected and
    /// mis-shaped tensors are reported together in one `WeightMismatch`. The Linear layers
    /// compute in `precision`.
    public init(weights: StateDict, config: Config, name: String = "slide encoder",
                precision: ComputePrecision = .f32) throws(SlideEncoderError) {
        let root = WeightScope(weights, precision: precision)
        self.init(root, config: config)
        do { try root.finish(model: name) } catch { throw .weights(error) }
    }

    /// The model tree over `root`.
    init(_ root: WeightScope, config: Config) {
        self.config = config
        let d = config.embedDim
        patchEmbed = PatchEmbed(proj: LinearLayer(root.scope("patch_embed").scope("proj"), inFeatures: config.inChans, outFeatures: d))
        clsToken = root.tensor("cls_token", shape: [1, 1, d])
        let layers = root.scope("encoder").scope("layers")
        encoder = Encoder(layers: (0..<config.depth).map { EncoderLayer(layers.scope($0), config: config) },
                          layerNorm: LayerNormLayer(root.scope("encoder").scope("layer_norm"), dim: d, eps: Self.encoderEps))
        norm = LayerNormLayer(root.scope("norm"), dim: d, eps: Self.normEps)
        positions = PositionEncoding(dim: d)
    }

    /// The grid the model's positions live on, with `tileSize` / `coordScale` overrides.
    public func grid(tileSize: Double? = nil, coordScale: Double = 1) -> SlideGrid {
        SlideGrid(size: config.gridSize, tileSize: tileSize ?? config.tileSize, coordScale: coordScale)
    }

    /// Every slide-level output in one pass over the layers (the inference forward pass, or,
    /// with `saved` planned for these tiles, the training forward pass: the same arithmetic,
    /// with every value the backward pass needs kept in `saved`).
    ///
    /// tileEmbeds [N, in_chans] (any float dtype), cells: N grid cells (from `SlideGrid`).
    /// `progress(layersDone, depth)` is called after each layer. `lastLayerInput`, when given
    /// ([N + 1, D]), receives the residual stream the last layer reads (`classTokenAttention`).
    public func forward(tileEmbeds: Tensor, cells: [SlideGrid.Cell], saving saved: Activations? = nil,
                        lastLayerInput: UnsafeMutablePointer<Float>? = nil,
                        progress: ((Int, Int) -> Void)? = nil) throws(SlideEncoderError) -> SlideEmbeddings {
        let dim = config.embedDim
        guard tileEmbeds.rank == 2, tileEmbeds.shape[1] == config.inChans else {
            throw SlideEncoderError.badInput("tile_embeds must have shape [N, \(config.inChans)] for this slide encoder, got \(Tensor.describe(tileEmbeds.shape))")
        }
        guard tileEmbeds.dtype.isFloatingPoint else {
            throw SlideEncoderError.badInput("tile_embeds must be floating point, got \(tileEmbeds.dtype)")
        }
        let count = tileEmbeds.shape[0]
        guard count > 0 else { throw SlideEncoderError.badInput("no tiles: tile_embeds is empty") }
        guard cells.count == count else {
            throw SlideEncoderError.badInput("\(cells.count) coordinates for \(count) tile embeddings")
        }
        if let saved, saved.tiles != count {
            throw SlideEncoderError.badInput("activations planned for \(saved.tiles) tiles, given \(count)")
        }
        for (i, cell) in cells.enumerated() where !(0..<config.gridSize).contains(cell.column) || !(0..<config.gridSize).contains(cell.row) {
            throw SlideEncoderError.badInput("tile \(i): grid cell (\(cell.column), \(cell.row)) outside the \(config.gridSize) x \(config.gridSize) grid")
        }
        let tokens = count + 1
        let workspace = saved == nil ? Workspace(config: config, tokens: tokens) : nil
        var x = saved?.states[0] ?? workspace!.x
        /// norm(row) into a new [D] array, its statistics kept in `slot` when saving.
        func normed(_ row: UnsafePointer<Float>, slot: Int) -> [Float] {
            [Float](unsafeUninitializedCapacity: dim) { buffer, initialized in
                norm(out: buffer.baseAddress!, mean: saved.map { $0.normMean + slot }, rstd: saved.map { $0.normRstd + slot },
                     inp: row, rows: 1)
                initialized = dim
            }
        }

        // tokens = [cls_token] + (proj(tile) + pos(cell)); the CLS position is zero.
        x.update(from: clsToken.floatPointer, count: dim)
        let tiles = tileEmbeds.float32()
        patchEmbed.proj(out: x + dim, inp: tiles.floatPointer, rows: count)
        withExtendedLifetime(tiles) {}
        let stream = x
        Parallel.forEach(count) { i in
            positions.add(column: cells[i].column, row: cells[i].row, to: stream + (i + 1) * dim)
        }

        /// norm(mean of state i's tile tokens), the mean kept in `saved` when saving.
        func meanNormed(_ state: UnsafePointer<Float>, _ i: Int) -> [Float] {
            var mean = [Float](repeating: 0, count: dim)
            TokenPool.forward(out: &mean, inp: state, mode: .mean, batch: 1, tokens: tokens, dim: dim)
            saved?.layerMeans.advanced(by: i * dim).update(from: mean, count: dim)
            return normed(mean, slot: Activations.layerMeanSlot(i, depth: config.depth))
        }

        var layerEmbeds = [normed(x, slot: 0)]
        var layerMeanEmbeds = [meanNormed(x, 0)]
        for (l, layer) in encoder.layers.enumerated() {
            if let saved {
                saved.states[l + 1].update(from: x, count: tokens * dim)
                x = saved.states[l + 1]
            }
            if l == config.depth - 1 { lastLayerInput?.update(from: x, count: tokens * dim) }
            layer.forward(x, tokens: tokens, buffers: saved?.layer(l).buffers ?? workspace!.layerBuffers)
            layerEmbeds.append(normed(x, slot: l + 1))
            layerMeanEmbeds.append(meanNormed(x, l + 1))
            progress?(l + 1, config.depth)
        }
        let encoded = saved?.encoded ?? x
        encoder.layerNorm(out: encoded, mean: saved?.encodedMean, rstd: saved?.encodedRstd, inp: x, rows: tokens)
        let encoderOut = normed(encoded, slot: config.depth + 1)
        var pooled = [Float](repeating: 0, count: dim)
        TokenPool.forward(out: &pooled, inp: encoded, mode: .mean, batch: 1, tokens: tokens, dim: dim)
        saved?.pooled.update(from: pooled, count: dim)
        let globalPool = normed(pooled, slot: config.depth + 2)
        return SlideEmbeddings(layerEmbeds: layerEmbeds, layerMeanEmbeds: layerMeanEmbeds, encoderOutEmbed: encoderOut, globalPoolEmbed: globalPool)
    }
}

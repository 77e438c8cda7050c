import TesseraCore
import TesseraFormats

/// Prov-GigaPath's slide encoder (`gigapath_slide_enc12l768d`, a LongNetViT):
/// tile embeddings and their grid cells in, slide embeddings out (MODELS.md §3).
///
/// Structure mirrors the checkpoint keys: `patch_embed.proj`, `cls_token`,
/// `encoder.layers.i.*`, `encoder.layer_norm`, `norm`.
public final class SlideEncoder: @unchecked Sendable {
    public let config: SlideEncoderConfig
    let patchEmbed: PatchEmbed
    let clsToken: Tensor  // [1, 1, D]
    let encoder: Encoder
    let norm: LayerNormLayer
    let positions: PositionEncoding

    /// LayerNorm eps inside the encoder (torchscale) and of the final `norm` (timm-style head).
    public static let encoderEps: Float = 1e-5
    public static let normEps: Float = 1e-6

    /// `patch_embed.proj`: Linear(in_chans, D).
    struct PatchEmbed {
        let proj: LinearLayer
    }

    /// torchscale `Encoder`: `layers`, then `layer_norm` on the default path only.
    struct Encoder {
        let layers: [EncoderLayer]
        let layerNorm: LayerNormLayer
    }

    /// Builds the model from `stateDict` (read from `file`, named in errors).
    /// Widths, FFN size and depth come from the shapes; heads from `heads`,
    /// else the config file, else 16; branches, grid and tile size from the
    /// config file. Missing, unexpected and mis-shaped tensors are reported
    /// together in one `WeightMismatch`.
    public init(stateDict: StateDict, file: String = "state dict",
                configFile: SlideEncoderConfig.File = .init(), configPath: String = "config.json",
                heads: Int? = nil) throws {
        guard let projShape = stateDict["patch_embed.proj.weight"]?.shape else {
            throw SlideEncoderError.missingTensor(name: "patch_embed.proj.weight", file: file)
        }
        guard projShape.count == 2, projShape.allSatisfy({ $0 > 0 }) else {
            throw SlideEncoderError.notASlideEncoder(
                file: file, reason: "patch_embed.proj.weight has shape \(projShape), not [D, in_chans] (a tile encoder?)")
        }
        let dim = projShape[0], inChans = projShape[1]
        var depth = 0
        while stateDict["encoder.layers.\(depth).self_attn.q_proj.weight"] != nil { depth += 1 }
        guard depth > 0, let fc1Shape = stateDict["encoder.layers.0.ffn.fc1.weight"]?.shape else {
            throw SlideEncoderError.notASlideEncoder(file: file, reason: "no encoder.layers.0 (self_attn.q_proj, ffn.fc1)")
        }
        guard fc1Shape.count == 2, fc1Shape[0] > 0 else {
            throw SlideEncoderError.notASlideEncoder(
                file: file, reason: "encoder.layers.0.ffn.fc1.weight has shape \(fc1Shape), not [FFN, \(dim)]")
        }
        for (key, value, actual) in [("in_chans", configFile.inChans, inChans), ("embed_dim", configFile.embedDim, dim),
                                     ("depth", configFile.depth, depth)] {
            if let value, value != actual {
                throw SlideEncoderError.badConfig(path: configPath, reason: "'\(key)' is \(value) but the checkpoint has \(actual)")
            }
        }
        let headCount = heads ?? configFile.heads ?? SlideEncoderConfig.defaultHeads
        guard headCount > 0, dim % headCount == 0 else {
            throw SlideEncoderError.badConfig(path: configPath, reason: "\(headCount) heads do not divide the width \(dim)")
        }
        guard dim % 4 == 0 else {
            throw SlideEncoderError.badConfig(path: file, reason: "width \(dim) is not a multiple of 4 (2-D sine-cosine positions)")
        }
        let config = SlideEncoderConfig(
            inChans: inChans, embedDim: dim, depth: depth, ffnDim: fc1Shape[0], heads: headCount,
            branches: configFile.branches ?? SlideEncoderConfig.defaultBranches,
            gridSize: configFile.gridSize ?? SlideEncoderConfig.defaultGridSize,
            tileSize: configFile.tileSize ?? SlideEncoderConfig.defaultTileSize)
        self.config = config
        let root = WeightScope(stateDict)
        patchEmbed = PatchEmbed(proj: LinearLayer(root.scope("patch_embed").scope("proj"), inFeatures: inChans, outFeatures: dim))
        clsToken = root.tensor("cls_token", shape: [1, 1, dim])
        let layers = root.scope("encoder").scope("layers")
        encoder = Encoder(layers: (0..<depth).map { EncoderLayer(layers.scope($0), config: config) },
                          layerNorm: LayerNormLayer(root.scope("encoder").scope("layer_norm"), dim: dim, eps: Self.encoderEps))
        norm = LayerNormLayer(root.scope("norm"), dim: dim, eps: Self.normEps)
        positions = PositionEncoding(dim: dim)
        try root.finish(model: "\(file) (slide encoder)")
    }

    /// The grid the model's positions live on, with `tileSize` / `coordScale` overrides.
    public func grid(tileSize: Double? = nil, coordScale: Double = 1) -> SlideGrid {
        SlideGrid(size: config.gridSize, tileSize: tileSize ?? config.tileSize, coordScale: coordScale)
    }

    /// Every slide-level output in one pass over the layers.
    ///
    /// tileEmbeds [N, in_chans] (any float dtype), cells: N grid cells (from `SlideGrid`).
    /// `progress(layersDone, depth)` is called after each layer.
    public func forward(tileEmbeds: Tensor, cells: [SlideGrid.Cell],
                        progress: ((Int, Int) -> Void)? = nil) throws -> SlideEmbeddings {
        let dim = config.embedDim
        guard tileEmbeds.rank == 2, tileEmbeds.shape[1] == config.inChans else {
            throw SlideEncoderError.badInput("tile_embeds must have shape [N, \(config.inChans)] for this slide encoder, got \(tileEmbeds.shape)")
        }
        guard tileEmbeds.dtype.isFloatingPoint else {
            throw SlideEncoderError.badInput("tile_embeds must be floating point, got \(tileEmbeds.dtype)")
        }
        let count = tileEmbeds.shape[0]
        guard count > 0 else { throw SlideEncoderError.badInput("no tiles: tile_embeds is empty") }
        guard cells.count == count else {
            throw SlideEncoderError.badInput("\(cells.count) coordinates for \(count) tile embeddings")
        }
        for (i, cell) in cells.enumerated() where !(0..<config.gridSize).contains(cell.column) || !(0..<config.gridSize).contains(cell.row) {
            throw SlideEncoderError.badInput("tile \(i): grid cell (\(cell.column), \(cell.row)) outside the \(config.gridSize) x \(config.gridSize) grid")
        }
        let tokens = count + 1
        let workspace = Workspace(tokens: tokens, dim: dim, hidden: config.ffnDim)
        let x = workspace.x

        // tokens = [cls_token] + (proj(tile) + pos(cell)); the CLS position is zero.
        x.update(from: clsToken.floatPointer, count: dim)
        tileEmbeds.withFloats { tiles in
            patchEmbed.proj(out: x + dim, inp: tiles.baseAddress!, rows: count)
        }
        Parallel.forEach(count) { i in
            positions.add(column: cells[i].column, row: cells[i].row, to: x + (i + 1) * dim)
        }

        var layerEmbeds = [normedRow(x)]
        for (i, layer) in encoder.layers.enumerated() {
            layer.forward(x, tokens: tokens, workspace: workspace)
            layerEmbeds.append(normedRow(x))
            progress?(i + 1, config.depth)
        }
        encoder.layerNorm(out: x, inp: x, rows: tokens)
        let encoderOut = normedRow(x)
        var sums = [Double](repeating: 0, count: dim)
        for t in 1..<tokens {
            let row = x + t * dim
            for c in 0..<dim { sums[c] += Double(row[c]) }
        }
        let mean = sums.map { Float($0 / Double(count)) }
        let globalPool = mean.withUnsafeBufferPointer { normedRow($0.baseAddress!) }
        return SlideEmbeddings(layerEmbeds: layerEmbeds, encoderOutEmbed: encoderOut, globalPoolEmbed: globalPool)
    }

    /// `norm` (eps 1e-6) of one [D] row, as a new array.
    func normedRow(_ row: UnsafePointer<Float>) -> [Float] {
        [Float](unsafeUninitializedCapacity: config.embedDim) { buffer, count in
            norm(out: buffer.baseAddress!, inp: row, rows: 1)
            count = config.embedDim
        }
    }
}

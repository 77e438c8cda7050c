import TesseraCore

/// timm's `VisionTransformer` as Prov-GigaPath and its students use it:
///   x = [cls | patch_embed(image)] + pos_embed             [tokens, D]
///   x = blocks[i](x)                 for i in 0..<depth     (hidden state i)
///   features = norm(x),  embedding = features[0]  (the class token; no head)
/// Weights stay where the state dict has them (views of a mapped file when f32).
public struct VisionTransformer: Sendable {
    public let config: Config
    public let patchEmbed: PatchEmbed
    /// [1, 1, D]
    public let clsToken: Tensor
    /// [1, tokens, D], the class slot included.
    public let posEmbed: Tensor
    public let blocks: [Block]
    public let norm: LayerNormLayer

    /// Builds the model from timm-named weights. The MLP width comes from
    /// `blocks.0.mlp.fc1.weight` when present (timm configs carry a rounded
    /// `mlp_ratio`); every other shape must match `config`. Missing, unexpected
    /// and mis-shaped tensors are all reported in one `WeightMismatch`. The Linear layers, the
    /// patch embedding and the attention's products compute in `precision`.
    public init(weights: StateDict, config: Config, precision: ComputePrecision = .f32) throws(VisionTransformerError) {
        var config = config
        if let fc1 = weights["blocks.0.mlp.fc1.weight"]?.shape, fc1.count == 2, fc1[1] == config.embedDim {
            config.mlpHidden = fc1[0]
        }
        // Sizes come from user files (config.json, --arch, shapes): all positive before any division.
        guard [config.embedDim, config.heads, config.imageSize, config.patchSize, config.inChans,
               config.mlpHidden].allSatisfy({ $0 > 0 }), config.depth >= 0,
              config.embedDim % config.heads == 0, config.imageSize % config.patchSize == 0,
              config.mlp == .gelu || config.mlpHidden % 2 == 0 else {
            throw VisionTransformerError.invalid("D \(config.embedDim), \(config.heads) heads, image \(config.imageSize), "
                                      + "patch \(config.patchSize), MLP \(config.mlp.rawValue) width \(config.mlpHidden)")
        }
        guard config.sizesFit else {
            throw VisionTransformerError.invalid("D \(config.embedDim), image \(config.imageSize), patch \(config.patchSize), "
                                      + "\(config.inChans) channels, MLP width \(config.mlpHidden): the model's sizes overflow")
        }
        // Every block holds tensors: a depth beyond the weights' count (a config.json asking for
        // 1,000,000,000 blocks) is refused before a single block is built.
        guard config.depth <= weights.count else {
            throw VisionTransformerError.invalid("depth \(config.depth), but the weights hold only \(weights.count) tensors")
        }
        let root = WeightScope(weights, precision: precision)
        self.init(root, validated: config)
        do { try root.finish(model: config.architecture) } catch { throw .weights(error) }
    }

    /// The model tree over `root` (keys in timm's order: the parameter listing follows it).
    init(_ root: WeightScope, validated config: Config) {
        self.config = config
        let d = config.embedDim
        clsToken = root.tensor("cls_token", shape: [1, 1, d])
        posEmbed = root.tensor("pos_embed", shape: [1, config.tokens, d])
        let embed = PatchEmbed(root.scope("patch_embed"), config: config)
        let blockScope = root.scope("blocks")
        blocks = (0..<config.depth).map { Block(blockScope.scope($0), config: config) }
        // An int8 tile encoder (every block's Linear layers int8) runs its patch embedding int8 too.
        let int8 = !blocks.isEmpty && blocks.allSatisfy { [$0.attn.qkv, $0.attn.proj, $0.mlp.fc1, $0.mlp.fc2].allSatisfy { $0.isInt8 } }
        patchEmbed = int8 ? embed.quantised() : embed
        norm = LayerNormLayer(root.scope("norm"), dim: d, eps: config.layerNormEps)
    }

    /// What a forward pass returns.
    public struct Output: Sendable {
        /// [batch, D]: `norm(x)[:, 0]`, the class token after the final norm.
        public var embedding: Tensor
        /// [batch, tokens, D] after the final norm, when asked for.
        public var features: Tensor?
        /// depth × [batch, tokens, D]: each block's output (before the final norm), when asked for.
        public var hiddenStates: [Tensor]
    }

    /// Runs images [batch, C, H, W] (normalised, f32) through the encoder.
    /// `workspace` (from `makeWorkspace`) is reused across calls when given.
    public func forward(_ images: Tensor, hiddenStates: Bool = false, features: Bool = false,
                               workspace: Workspace? = nil) throws(VisionTransformerError) -> Output {
        let c = config
        guard images.rank == 4, images.dtype == .f32, images.shape[0] > 0,
              Array(images.shape.dropFirst()) == [c.inChans, c.imageSize, c.imageSize] else {
            throw VisionTransformerError.badInput("images of shape \(Tensor.describe(images.shape)), expected [\(images.shape.first ?? 1), \(c.inChans), \(c.imageSize), \(c.imageSize)] (f32)")
        }
        let batch = images.shape[0]
        let ws = workspace ?? makeWorkspace(batch: batch)
        guard batch <= ws.capacity else { throw VisionTransformerError.badInput("a batch of \(batch) images in a workspace planned for \(ws.capacity)") }
        let tokens = c.tokens, d = c.embedDim
        let states = hiddenStates ? (0..<c.depth).map { _ in Tensor(zeros: [batch, tokens, d]) } : []
        let embedding = Tensor(zeros: [batch, d])
        let normed = features ? Tensor(zeros: [batch, tokens, d]) : nil
        let pixels = images.float32()
        forward(images: pixels.floatPointer, batch: batch, workspace: ws, embedding: embedding.mutableFloatPointer,
                features: normed.map { $0.mutableFloatPointer },
                hiddenStates: hiddenStates ? { i, x in states[i].mutableFloatPointer.update(from: x, count: batch * tokens * d) } : nil)
        withExtendedLifetime(pixels) {}
        return Output(embedding: embedding, features: normed, hiddenStates: states)
    }

    /// The inference forward pass over raw buffers: images [batch, C, H, W] -> embedding [batch, D],
    /// and features [batch, tokens, D] when given. `hiddenStates(i, x)` sees block i's
    /// output x [batch, tokens, D] (valid only during the call). batch <= workspace.capacity.
    public func forward(images: UnsafePointer<Float>, batch: Int, workspace: Workspace,
                        embedding: UnsafeMutablePointer<Float>, features: UnsafeMutablePointer<Float>? = nil,
                        hiddenStates: ((Int, UnsafePointer<Float>) -> Void)? = nil) {
        guarantee(batch <= workspace.capacity, "batch \(batch) in a workspace for \(workspace.capacity)")
        let rows = batch * config.tokens, x = workspace.stream
        embed(images, batch: batch, into: x, patches: workspace.wide)
        for (i, block) in blocks.enumerated() {
            block.forward(x, batch: batch, tokens: config.tokens, buffers: workspace.blockBuffers(rows: rows))
            hiddenStates?(i, x)
        }
        if let features { norm(out: features, inp: x, rows: rows) }
        classEmbedding(of: x, batch: batch, into: embedding, mean: nil, rstd: nil)
    }

    /// The training forward pass: the same computation as `forward(images:...)`, every value
    /// the backward pass needs saved in `saved` (planned for exactly this batch). Returns the
    /// last block's output [batch, tokens, D] (the distillation hidden state) and the class
    /// embedding [batch, D], both views into `saved`.
    @discardableResult
    public func forward(_ images: Tensor, saving saved: Activations)
        throws(VisionTransformerError) -> (lastHidden: UnsafePointer<Float>, embedding: UnsafePointer<Float>) {
        let c = config
        guard images.dtype == .f32, images.shape == [saved.batch, c.inChans, c.imageSize, c.imageSize] else {
            throw VisionTransformerError.badInput("images of shape \(Tensor.describe(images.shape)), expected [\(saved.batch), \(c.inChans), \(c.imageSize), \(c.imageSize)] (f32)")
        }
        return forward(images: images.floatPointer, saving: saved)
    }

    /// The training forward pass over raw images [saved.batch, C, H, W].
    @discardableResult
    public func forward(images: UnsafePointer<Float>, saving saved: Activations)
        -> (lastHidden: UnsafePointer<Float>, embedding: UnsafePointer<Float>) {
        let c = config
        embed(images, batch: saved.batch, into: saved.states[0], patches: saved.cols)
        for i in 0..<c.depth { forward(block: i, saving: saved) }
        let last = saved.states[c.depth]
        classEmbedding(of: last, batch: saved.batch, into: saved.embedding, mean: saved.clsMean, rstd: saved.clsRstd)
        return (UnsafePointer(last), UnsafePointer(saved.embedding))
    }

    /// Block i from saved.states[i] to saved.states[i + 1], filling its saved activations
    /// (also how the backward pass recomputes a block).
    public func forward(block i: Int, saving saved: Activations) {
        let count = saved.batch * config.tokens * config.embedDim
        saved.states[i + 1].update(from: saved.states[i], count: count)
        blocks[i].forward(saved.states[i + 1], batch: saved.batch, tokens: config.tokens, buffers: saved.block(i).buffers)
    }

    /// x[b] = [cls | patch_embed(images[b])] + pos_embed for every image b; the im2col
    /// patches [batch · patches, C·p·p] go to `patches`.
    private func embed(_ images: UnsafePointer<Float>, batch: Int, into x: UnsafeMutablePointer<Float>,
                       patches: UnsafeMutablePointer<Float>) {
        let tokens = config.tokens, d = config.embedDim, pos = posEmbed.floatPointer
        for b in 0..<batch {
            let xb = x + b * tokens * d
            xb.update(from: pos, count: tokens * d)
            Residual.forward(x: xb, row: clsToken.floatPointer, rows: 1, cols: d)
        }
        patchEmbed(accumulateInto: x, images: images, batch: batch, patches: patches)
    }

    /// embedding[b] = norm(x[b, 0]): the class token after the final norm, with the row
    /// statistics kept when given.
    private func classEmbedding(of x: UnsafePointer<Float>, batch: Int, into embedding: UnsafeMutablePointer<Float>,
                                mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?) {
        let tokens = config.tokens, d = config.embedDim
        for b in 0..<batch {
            norm(out: embedding + b * d, mean: mean.map { $0 + b }, rstd: rstd.map { $0 + b },
                 inp: x + b * tokens * d, rows: 1)
        }
    }

    /// Scratch for batches of up to `batch` images, planned once and reused by every block.
    public func makeWorkspace(batch: Int) -> Workspace { Workspace(config: config, capacity: batch) }
}

extension VisionTransformer {
    /// The kernel the blocks' Linear layers run on ("f32", "f16" or "int8-" and the CPU's
    /// int8 path): every block's layers come in the precision of one bundle or state dict,
    /// so the first MLP's tells them all (the patch embedding always stays f32).
    public var linearKernel: String { blocks.first?.mlp.fc1.kernel ?? "f32" }
}

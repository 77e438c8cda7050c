import TesseraCore
import TesseraFormats

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
    /// and mis-shaped tensors are all reported in one `WeightMismatch`.
    public init(weights: StateDict, config: Config) throws {
        var config = config
        if let fc1 = weights["blocks.0.mlp.fc1.weight"]?.shape, fc1.count == 2, fc1[1] == config.embedDim {
            config.mlpHidden = fc1[0]
        }
        // Sizes come from user files (config.json, --arch, shapes): all positive before any division.
        guard [config.embedDim, config.numHeads, config.imageSize, config.patchSize, config.inChannels,
               config.mlpHidden].allSatisfy({ $0 > 0 }), config.depth >= 0,
              config.embedDim % config.numHeads == 0, config.imageSize % config.patchSize == 0,
              config.mlp == .gelu || config.mlpHidden % 2 == 0 else {
            throw ConfigError.invalid("D \(config.embedDim), \(config.numHeads) heads, image \(config.imageSize), "
                                      + "patch \(config.patchSize), MLP \(config.mlp) width \(config.mlpHidden)")
        }
        self.config = config
        let root = WeightScope(weights)
        let d = config.embedDim
        patchEmbed = PatchEmbed(root.scope("patch_embed"), config: config)
        clsToken = root.tensor("cls_token", shape: [1, 1, d])
        posEmbed = root.tensor("pos_embed", shape: [1, config.tokens, d])
        let blockScope = root.scope("blocks")
        blocks = (0..<config.depth).map { Block(blockScope.scope($0), config: config) }
        norm = LayerNormLayer(root.scope("norm"), dim: d, eps: config.layerNormEps)
        try root.finish(model: config.architecture)
    }

    public enum InputError: Error, CustomStringConvertible {
        case shape([Int], expected: [Int])
        case workspace(batch: Int, capacity: Int)

        public var description: String {
            switch self {
            case .shape(let s, let e): return "images of shape \(s), expected \(e) (f32)"
            case .workspace(let b, let c): return "a batch of \(b) images in a workspace planned for \(c)"
            }
        }
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
    public func callAsFunction(_ images: Tensor, hiddenStates: Bool = false, features: Bool = false,
                               workspace: Workspace? = nil) throws -> Output {
        let c = config
        guard images.rank == 4, images.dtype == .f32, images.shape[0] > 0,
              Array(images.shape.dropFirst()) == [c.inChannels, c.imageSize, c.imageSize] else {
            throw InputError.shape(images.shape, expected: [images.shape.first ?? 1, c.inChannels, c.imageSize, c.imageSize])
        }
        let batch = images.shape[0]
        let ws = workspace ?? makeWorkspace(batch: batch)
        guard batch <= ws.capacity else { throw InputError.workspace(batch: batch, capacity: ws.capacity) }
        let tokens = c.tokens, d = c.embedDim
        let states = hiddenStates ? (0..<c.depth).map { _ in Tensor(zeros: [batch, tokens, d]) } : []
        let embedding = Tensor(zeros: [batch, d])
        let normed = features ? Tensor(zeros: [batch, tokens, d]) : nil
        embedding.withMutableFloats { e in
            forward(images: images.float32().floatPointer, batch: batch, workspace: ws, embedding: e.baseAddress!,
                    features: normed.map { $0.mutableFloatPointer },
                    hiddenStates: hiddenStates ? { i, x in
                        states[i].withMutableFloats { $0.baseAddress!.update(from: x, count: batch * tokens * d) }
                    } : nil)
        }
        return Output(embedding: embedding, features: normed, hiddenStates: states)
    }

    /// The forward pass over raw buffers: images [batch, C, H, W] -> embedding [batch, D],
    /// and features [batch, tokens, D] when given. `hiddenStates(i, x)` sees block i's
    /// output x [batch, tokens, D] (valid only during the call). batch <= workspace.capacity.
    public func forward(images: UnsafePointer<Float>, batch: Int, workspace: Workspace,
                        embedding: UnsafeMutablePointer<Float>, features: UnsafeMutablePointer<Float>? = nil,
                        hiddenStates: ((Int, UnsafePointer<Float>) -> Void)? = nil) {
        precondition(batch <= workspace.capacity, "batch \(batch) in a workspace for \(workspace.capacity)")
        let tokens = config.tokens, d = config.embedDim, x = workspace.stream
        embed(images, batch: batch, into: x, workspace: workspace)
        for (i, block) in blocks.enumerated() {
            block(x, batch: batch, tokens: tokens, workspace: workspace)
            hiddenStates?(i, x)
        }
        if let features {
            norm(out: features, inp: x, rows: batch * tokens)
            for b in 0..<batch { (embedding + b * d).update(from: features + b * tokens * d, count: d) }
        } else {
            for b in 0..<batch { norm(out: embedding + b * d, inp: x + b * tokens * d, rows: 1) }
        }
    }

    /// x[b] = [cls | patch_embed(images[b])] + pos_embed for every image b.
    private func embed(_ images: UnsafePointer<Float>, batch: Int, into x: UnsafeMutablePointer<Float>, workspace: Workspace) {
        let tokens = config.tokens, d = config.embedDim, pos = posEmbed.floatPointer
        for b in 0..<batch {
            let xb = x + b * tokens * d
            xb.update(from: pos, count: tokens * d)
            Residual.forward(x: xb, row: clsToken.floatPointer, rows: 1, cols: d)
        }
        patchEmbed(accumulateInto: x, images: images, batch: batch, patches: workspace.wide)
    }

    /// Scratch for batches of up to `batch` images, planned once and reused by every block.
    public func makeWorkspace(batch: Int) -> Workspace { Workspace(config: config, capacity: batch) }
}

extension VisionTransformer {
    /// The activation memory of a forward pass, sized up front for a batch capacity:
    /// the residual stream, a normed copy, the LayerScale branch and one wide
    /// buffer shared by the im2col patches, packed qkv and the MLP hidden layer.
    public final class Workspace: @unchecked Sendable {
        public let capacity: Int
        private let arena: Arena
        let stream, normed, branch, wide: UnsafeMutablePointer<Float>

        init(config c: Config, capacity: Int) {
            self.capacity = capacity
            let rows = capacity * c.tokens, d = c.embedDim
            let wideCount = max(rows * 3 * d, rows * c.mlpScratchWidth,
                                capacity * (c.tokens - 1) * c.inChannels * c.patchSize * c.patchSize)
            let (arena, buffers) = Arena.carve([rows * d, rows * d, c.layerScale ? rows * d : 0, wideCount])
            self.arena = arena
            (stream, normed, branch, wide) = (buffers[0], buffers[1], buffers[2], buffers[3])
        }

        /// Bytes of activation memory held.
        public var byteCount: Int { arena.byteCount }
    }
}

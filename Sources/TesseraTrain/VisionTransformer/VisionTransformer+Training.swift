import TesseraCore
import TesseraFormats
import TesseraModels

extension VisionTransformer {
    /// A model whose weights are the live buffers of `parameters` (views, not copies), so
    /// that optimizer steps on the parameters are what the next forward pass computes with.
    public init(training parameters: ParameterSet, config: Config) throws {
        try self.init(weights: parameters.stateDict(), config: config)
    }

    /// What one block's backward pass needs from its forward pass (rows R = batch · tokens,
    /// D = embed dim, F = fc1 width, G = fc2 input width, H = heads, T = tokens):
    /// h1 = norm1(x) [R,D], mean1/rstd1 [R], qkv [R,3D], probs [B,H,T,T], a = attention [R,D],
    /// p = proj(a) [R,D] (LayerScale only), mid = x + ls1(p) [R,D], h2 = norm2(mid) [R,D],
    /// mean2/rstd2 [R], f = fc1(h2) [R,F], g = gate(f) [R,G], q = fc2(g) [R,D] (LayerScale only).
    final class BlockCache {
        let h1, mean1, rstd1, qkv, probs, a, p, mid, h2, mean2, rstd2, f, g, q: UnsafeMutablePointer<Float>

        /// The sizes of h1 ... q, in the order of the properties.
        static func sizes(_ c: Config, batch: Int) -> [Int] {
            let r = batch * c.tokens, d = c.embedDim, ls = c.layerScale ? r * d : 0
            return [r * d, r, r, 3 * r * d, batch * c.numHeads * c.tokens * c.tokens, r * d, ls,
                    r * d, r * d, r, r, r * c.mlpHidden, r * c.mlpGated, ls]
        }

        init(_ c: Config, batch: Int, arena: Arena) {
            let b = arena.take(Self.sizes(c, batch: batch))
            (h1, mean1, rstd1, qkv, probs, a, p) = (b[0], b[1], b[2], b[3], b[4], b[5], b[6])
            (mid, h2, mean2, rstd2, f, g, q) = (b[7], b[8], b[9], b[10], b[11], b[12], b[13])
        }
    }

    /// The activations of one micro-batch, planned up front: the im2col patches, every
    /// block's input (the residual stream, depth + 1 states, the last being the final block's
    /// output), the final norm's statistics of the class rows and the class embedding, and
    /// the block caches: one per block, or a single shared one when `recompute` is set
    /// (activation checkpointing: the backward pass re-runs each block's forward from its
    /// saved input, trading one extra forward for depth-fold less memory).
    public final class TrainingActivations: @unchecked Sendable {
        public let batch: Int
        public let recompute: Bool
        let arena: Arena
        let cols: UnsafeMutablePointer<Float>
        let states: [UnsafeMutablePointer<Float>]
        let clsMean, clsRstd, embedding: UnsafeMutablePointer<Float>
        let caches: [BlockCache]
        /// Backward scratch: the gradient of the residual stream dx [R,D], of a LayerScale
        /// branch [R,D], of a block's narrow activations dh [R,D], of the gate input or packed
        /// qkv dwide [R, max(3D, F)], and of the gate output dgate [R,G].
        let dx, dbranch, dh, dwide, dgate: UnsafeMutablePointer<Float>

        public init(config c: Config, batch: Int, recompute: Bool = false) {
            self.batch = batch
            self.recompute = recompute
            let arena = Arena(floats: Self.floatCount(config: c, batch: batch, recompute: recompute))
            self.arena = arena
            let b = arena.take(Self.fixedSizes(c, batch: batch))
            (cols, clsMean, clsRstd, embedding) = (b[0], b[1], b[2], b[3])
            (dx, dbranch, dh, dwide, dgate) = (b[4], b[5], b[6], b[7], b[8])
            states = arena.take(Array(repeating: batch * c.tokens * c.embedDim, count: c.depth + 1))
            caches = (0..<(recompute ? 1 : c.depth)).map { _ in BlockCache(c, batch: batch, arena: arena) }
        }

        /// The sizes of cols, clsMean, clsRstd, embedding, dx, dbranch, dh, dwide, dgate.
        static func fixedSizes(_ c: Config, batch: Int) -> [Int] {
            let r = batch * c.tokens, d = c.embedDim
            let colsCount = batch * (c.tokens - 1) * c.inChannels * c.patchSize * c.patchSize
            return [colsCount, batch, batch, batch * d, r * d, r * d, r * d, r * max(3 * d, c.mlpHidden), r * c.mlpGated]
        }

        /// Bytes of activation memory held.
        public var byteCount: Int { arena.byteCount }

        /// Floats an instance plans for (without allocating them): the patches, the backward
        /// scratch, depth + 1 residual states and the block caches.
        public static func floatCount(config c: Config, batch: Int, recompute: Bool) -> Int {
            let r = batch * c.tokens, d = c.embedDim
            return Arena.size(fixedSizes(c, batch: batch) + Array(repeating: r * d, count: c.depth + 1))
                + (recompute ? 1 : c.depth) * Arena.size(BlockCache.sizes(c, batch: batch))
        }

        func cache(_ block: Int) -> BlockCache { caches[recompute ? 0 : block] }
    }

    /// The forward pass of `images` [batch, C, H, W] keeping what `backward` needs in
    /// `activations` (planned for exactly this batch). Returns the output of the last block
    /// [batch, tokens, D] (the distillation hidden state) and the class embedding
    /// norm(x)[:, 0] [batch, D], both views into `activations`.
    @discardableResult
    public func forward(_ images: Tensor, activations act: TrainingActivations)
        throws -> (lastHidden: UnsafePointer<Float>, embedding: UnsafePointer<Float>) {
        let c = config, batch = act.batch, tokens = c.tokens, d = c.embedDim
        guard images.dtype == .f32, images.shape == [batch, c.inChannels, c.imageSize, c.imageSize] else {
            throw InputError.shape(images.shape, expected: [batch, c.inChannels, c.imageSize, c.imageSize])
        }
        // x0 = [cls | patch_embed(images)] + pos_embed; the patch rows go through states[1] as scratch.
        let patches = act.states[1]
        PatchEmbedding.forward(out: patches, cols: act.cols, image: images.floatPointer, weight: patchEmbed.proj.weight.floatPointer,
                               bias: patchEmbed.proj.bias?.floatPointer, batch: batch, channels: c.inChannels,
                               height: c.imageSize, width: c.imageSize, patch: c.patchSize, dim: d)
        TokenEmbedding.forward(out: act.states[0], patches: patches, cls: clsToken.floatPointer, pos: posEmbed.floatPointer,
                               batch: batch, count: tokens - 1, dim: d)
        for i in 0..<c.depth {
            blockForward(i, activations: act)
        }
        // embedding[b] = norm(x[b, 0]), statistics kept for the backward pass.
        let last = act.states[c.depth]
        for b in 0..<batch {
            LayerNorm.forward(out: act.embedding + b * d, mean: act.clsMean + b, rstd: act.clsRstd + b,
                              inp: last + b * tokens * d, weight: norm.weight.floatPointer, bias: norm.bias.floatPointer,
                              rows: 1, cols: d, eps: norm.eps)
        }
        return (UnsafePointer(last), UnsafePointer(act.embedding))
    }

    /// Block i from states[i] to states[i + 1], filling its cache:
    /// mid = x + ls1(proj(attn(norm1(x)))),  out = mid + ls2(fc2(gate(fc1(norm2(mid))))).
    func blockForward(_ i: Int, activations act: TrainingActivations) {
        let c = config, blk = blocks[i], s = act.cache(i)
        let rows = act.batch * c.tokens, d = c.embedDim
        let x = act.states[i], out = act.states[i + 1]
        LayerNorm.forward(out: s.h1, mean: s.mean1, rstd: s.rstd1, inp: x, weight: blk.norm1.weight.floatPointer,
                          bias: blk.norm1.bias.floatPointer, rows: rows, cols: d, eps: blk.norm1.eps)
        Linear.forward(out: s.qkv, inp: s.h1, weight: blk.attn.qkv.weight.floatPointer, bias: blk.attn.qkv.bias?.floatPointer,
                       rows: rows, inFeatures: d, outFeatures: 3 * d)
        TesseraCore.Attention.forward(out: s.a, probs: s.probs, qkv: s.qkv, batch: act.batch, tokens: c.tokens,
                                      heads: c.numHeads, headDim: c.headDim)
        addBranch(to: s.mid, from: x, layer: blk.attn.proj, input: s.a, scale: blk.ls1?.gamma, keep: s.p, rows: rows)
        LayerNorm.forward(out: s.h2, mean: s.mean2, rstd: s.rstd2, inp: s.mid, weight: blk.norm2.weight.floatPointer,
                          bias: blk.norm2.bias.floatPointer, rows: rows, cols: d, eps: blk.norm2.eps)
        Linear.forward(out: s.f, inp: s.h2, weight: blk.mlp.fc1.weight.floatPointer, bias: blk.mlp.fc1.bias?.floatPointer,
                       rows: rows, inFeatures: d, outFeatures: c.mlpHidden)
        switch c.mlp {
        case .gelu: GELU.forward(out: s.g, inp: s.f, count: rows * c.mlpHidden)
        case .swiGLUPacked: SwiGLU.forward(out: s.g, inp: s.f, rows: rows, hidden: c.mlpGated)
        }
        addBranch(to: out, from: s.mid, layer: blk.mlp.fc2, input: s.g, scale: blk.ls2?.gamma, keep: s.q, rows: rows)
    }

    /// y = x + scale ⊙ layer(input) (scale = identity when nil); with a scale the product
    /// layer(input) is kept in `keep` for the gradient of the scale.
    private func addBranch(to y: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>, layer: LinearLayer,
                           input: UnsafePointer<Float>, scale: Tensor?, keep: UnsafeMutablePointer<Float>, rows: Int) {
        let d = layer.outFeatures
        let product = scale == nil ? y : keep
        Linear.forward(out: product, inp: input, weight: layer.weight.floatPointer, bias: layer.bias?.floatPointer,
                       rows: rows, inFeatures: layer.inFeatures, outFeatures: d)
        if let scale {
            TesseraCore.LayerScale.forward(out: y, inp: keep, gamma: scale.floatPointer, rows: rows, cols: d)
        }
        Residual.forward(x: y, inp: x, scale: nil, rows: rows, cols: d)
    }
}

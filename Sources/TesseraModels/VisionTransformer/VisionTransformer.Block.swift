import TesseraCore

extension VisionTransformer {
    /// A pre-norm transformer block (`blocks.i`):
    ///   mid = x + ls1 ⊙ attn(norm1(x))
    ///   out = mid + ls2 ⊙ mlp(norm2(mid))
    /// (ls1, ls2 = identity without LayerScale). docs/models.md §2.
    public struct Block: Sendable {
        public let norm1: LayerNormLayer
        public let attn: Attention
        public let ls1: LayerScale?
        public let norm2: LayerNormLayer
        public let mlp: Mlp
        public let ls2: LayerScale?

        init(_ scope: WeightScope, config: Config) {
            let d = config.embedDim
            norm1 = LayerNormLayer(scope.scope("norm1"), dim: d, eps: config.layerNormEps)
            attn = Attention(scope.scope("attn"), config: config)
            ls1 = config.layerScale ? LayerScale(scope.scope("ls1"), dim: d) : nil
            norm2 = LayerNormLayer(scope.scope("norm2"), dim: d, eps: config.layerNormEps)
            mlp = Mlp(scope.scope("mlp"), config: config)
            ls2 = config.layerScale ? LayerScale(scope.scope("ls2"), dim: d) : nil
        }

        /// x[batch·tokens, D] = block(x), in place. The intermediate values go to `buffers`:
        /// a workspace's shared scratch for inference, or a `BlockActivations`' saved
        /// buffers for training (the same arithmetic either way, so the two agree bit for bit).
        public func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens: Int, buffers b: BlockBuffers) {
            let rows = batch * tokens, d = norm1.dim
            norm1(out: b.h1, mean: b.mean1, rstd: b.rstd1, inp: x, rows: rows)
            attn.forward(out: b.a, qkv: b.qkv, probs: b.probs, x: b.h1, batch: batch, tokens: tokens)
            if b.mean2 == nil && rowBlocksPay { return branchesInRowBlocks(x, rows: rows, buffers: b) }
            addBranch(to: x, layer: attn.proj, input: b.a, scale: ls1, product: b.p, rows: rows)
            b.mid?.update(from: x, count: rows * d)
            norm2(out: b.h2, mean: b.mean2, rstd: b.rstd2, inp: x, rows: rows)
            mlp.forward(gate: b.g, preactivation: b.f, x: b.h2, rows: rows)
            addBranch(to: x, layer: mlp.fc2, input: b.g, scale: ls2, product: b.q, rows: rows)
        }

        /// Whether inference takes the residual branches in row blocks: int8 layers, and bf16 ones
        /// whose MLP weights stay in cache from one block to the next (ViT-B's 9 MB, not a
        /// GigaPath's 38 MB: re-read from memory for every block, they cost its forward 10%).
        var rowBlocksPay: Bool {
            mlp.fc1.isInt8 || (mlp.fc1.isBf16 && 2 * (mlp.fc1.weight.count + mlp.fc2.weight.count) <= Self.cachedMLPBytes)
        }

        /// What the bf16 MLP weights may weigh for `rowBlocksPay`.
        static let cachedMLPBytes = 16 << 20

        /// Rows the int8 and bf16 inference paths take through the block's residual branches at a time.
        static let blockRows = 48

        /// `forward` after the attention, when `rowBlocksPay`: each thread takes its
        /// rows `blockRows` at a time through proj's residual add, norm2, the MLP and fc2's
        /// residual add, so that the rows of x stay in cache from one add to the next and fc1's
        /// output [block, F] from the GEMM through the gate to fc2's quantisation, instead of
        /// going to memory and back (ViT-B: 19 MB per batch of 8 for fc1's output alone).
        /// Every row gets the same operations as in the whole-matrix order, so the same bits.
        /// A block's attention rows are read before norm2 overwrites them (they share a buffer);
        /// a thread's blocks reuse its own share of the f and g scratch.
        private func branchesInRowBlocks(_ x: UnsafeMutablePointer<Float>, rows: Int, buffers b: BlockBuffers) {
            let d = norm2.dim, width = mlp.fc1.outFeatures, gated = mlp.fc2.inFeatures
            Parallel.chunks(rows) { range in
                let f = b.f + range.lowerBound * width, g = b.g == b.f ? f : b.g + range.lowerBound * gated
                for start in stride(from: range.lowerBound, to: range.upperBound, by: Self.blockRows) {
                    let m = min(Self.blockRows, range.upperBound - start), xs = x + start * d, h = b.h2 + start * d
                    addBranch(to: xs, layer: attn.proj, input: b.a + start * d, scale: ls1, product: b.p + start * d, rows: m)
                    norm2(out: h, inp: xs, rows: m)
                    mlp.forward(gate: g, preactivation: f, x: h, rows: m)
                    addBranch(to: xs, layer: mlp.fc2, input: g, scale: ls2, product: b.q + start * d, rows: m)
                }
            }
        }

        /// x += scale ⊙ layer(input). Without a scale the GEMM accumulates straight
        /// into x; with one, layer(input) is written to `product` first (LayerScale's
        /// backward needs it). Not inlined: its four call sites would each carry a copy of
        /// every precision's path (the aarch64 engine's size is a goal).
        @inline(never)
        private func addBranch(to x: UnsafeMutablePointer<Float>, layer: LinearLayer, input: UnsafePointer<Float>,
                               scale: LayerScale?, product: UnsafeMutablePointer<Float>, rows: Int) {
            guard let scale else {
                layer.accumulate(into: x, inp: input, rows: rows)
                return
            }
            layer(out: product, inp: input, rows: rows)
            Residual.forward(x: x, inp: product, scale: scale.gamma.floatPointer, rows: rows, cols: layer.outFeatures)
        }
    }
}

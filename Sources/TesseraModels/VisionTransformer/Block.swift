import TesseraCore

extension VisionTransformer {
    /// A pre-norm transformer block (`blocks.i`):
    ///   x = x + ls1 ⊙ attn(norm1(x))
    ///   x = x + ls2 ⊙ mlp(norm2(x))
    /// (ls1, ls2 = identity without LayerScale).
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

        /// Updates x[batch·tokens, D] in place, using the workspace's scratch.
        public func callAsFunction(_ x: UnsafeMutablePointer<Float>, batch: Int, tokens: Int, workspace: Workspace) {
            let rows = batch * tokens, h = workspace.normed, wide = workspace.wide
            norm1(out: h, inp: x, rows: rows)
            attn.mixHeads(out: h, x: h, batch: batch, tokens: tokens, packed: wide)
            addBranch(to: x, output: attn.proj, input: h, scale: ls1, rows: rows, workspace: workspace)
            norm2(out: h, inp: x, rows: rows)
            let g = mlp.gate(x: h, rows: rows, scratch: wide)
            addBranch(to: x, output: mlp.fc2, input: g, scale: ls2, rows: rows, workspace: workspace)
        }

        /// x += scale ⊙ layer(input). Without a scale the GEMM accumulates
        /// straight into x; with one, the product goes through `workspace.branch`.
        private func addBranch(to x: UnsafeMutablePointer<Float>, output layer: LinearLayer, input: UnsafePointer<Float>,
                               scale: LayerScale?, rows: Int, workspace: Workspace) {
            guard let scale else {
                layer.accumulate(into: x, inp: input, rows: rows)
                return
            }
            layer(out: workspace.branch, inp: input, rows: rows)
            Residual.forward(x: x, inp: workspace.branch, scale: scale.gamma.floatPointer, rows: rows, cols: layer.outFeatures)
        }
    }
}

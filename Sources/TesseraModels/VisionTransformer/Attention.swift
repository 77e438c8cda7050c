import TesseraCore

extension VisionTransformer {
    /// timm `Attention`: qkv = x W_qkv^T + b (q, k, v packed in that order),
    /// per head softmax(q k^T / sqrt(D/H)) v, then `proj`.
    public struct Attention: Sendable {
        public let qkv: LinearLayer
        public let proj: LinearLayer
        public let numHeads: Int

        init(_ scope: WeightScope, config: Config) {
            let d = config.embedDim
            qkv = LinearLayer(scope.scope("qkv"), inFeatures: d, outFeatures: 3 * d)
            proj = LinearLayer(scope.scope("proj"), inFeatures: d, outFeatures: d)
            numHeads = config.numHeads
        }

        /// The mixed heads before `proj`: heads[batch·tokens, D] from x[batch·tokens, D]
        /// (heads may alias x: x is read only by the qkv product); packed is [batch·tokens, 3D].
        public func mixHeads(out heads: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                             batch: Int, tokens: Int, packed: UnsafeMutablePointer<Float>) {
            qkv(out: packed, inp: x, rows: batch * tokens)
            TesseraCore.Attention.forward(out: heads, qkv: packed, batch: batch, tokens: tokens,
                                          heads: numHeads, headDim: proj.inFeatures / numHeads)
        }
    }
}

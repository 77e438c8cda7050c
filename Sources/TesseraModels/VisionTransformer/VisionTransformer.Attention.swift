import TesseraCore

extension VisionTransformer {
    /// timm `Attention`: qkv = x W_qkv^T + b (q, k, v packed in that order),
    /// per head softmax(q k^T / sqrt(D/H)) v, then `proj` (applied by the block).
    public struct Attention: Sendable {
        public let qkv: LinearLayer
        public let proj: LinearLayer
        public let heads: Int

        init(_ scope: WeightScope, config: Config) {
            let d = config.embedDim
            qkv = LinearLayer(scope.scope("qkv"), inFeatures: d, outFeatures: 3 * d)
            proj = LinearLayer(scope.scope("proj"), inFeatures: d, outFeatures: d)
            heads = config.heads
        }

        /// The mixed heads before `proj`: out[batch·tokens, D] from x[batch·tokens, D], through
        /// qkv [batch·tokens, 3D]; the attention weights [batch, heads, tokens, tokens] go to
        /// `probs` when given. `out` may alias `x` (x is read only by the qkv product). Int8 `qkv`
        /// weights make the attention products int8 too (`Int8Attention`), bf16 ones bf16 (`Bf16Attention`),
        /// except when `probs` is kept.
        public func forward(out: UnsafeMutablePointer<Float>, qkv packed: UnsafeMutablePointer<Float>,
                            probs: UnsafeMutablePointer<Float>?, x: UnsafePointer<Float>, batch: Int, tokens: Int) {
            qkv(out: packed, inp: x, rows: batch * tokens)
            let headDim = proj.inFeatures / heads
            if probs == nil, qkv.isInt8 {
                Int8Attention.forward(out: out, qkv: packed, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
            } else if probs == nil, qkv.isBf16 {
                Bf16Attention.forward(out: out, qkv: packed, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
            } else {
                MultiHeadAttention.forward(out: out, probs: probs, qkv: packed, batch: batch, tokens: tokens,
                                           heads: heads, headDim: headDim)
            }
        }
    }
}

import TesseraCore

extension SlideEncoder {
    /// torchscale `EncoderLayer` (pre-LN, sub-LN), checkpoint prefix `encoder.layers.i`:
    ///   mid = x + self_attn(self_attn_layer_norm(x))
    ///   out = mid + ffn(final_layer_norm(mid))            docs/models.md §3
    public struct EncoderLayer: Sendable {
        public let selfAttnLayerNorm: LayerNormLayer
        public let selfAttn: SelfAttention
        public let finalLayerNorm: LayerNormLayer
        public let ffn: FeedForward

        init(_ p: WeightScope, config c: Config) {
            selfAttnLayerNorm = LayerNormLayer(p.scope("self_attn_layer_norm"), dim: c.embedDim, eps: SlideEncoder.encoderEps)
            selfAttn = SelfAttention(p.scope("self_attn"), config: c)
            finalLayerNorm = LayerNormLayer(p.scope("final_layer_norm"), dim: c.embedDim, eps: SlideEncoder.encoderEps)
            ffn = FeedForward(p.scope("ffn"), dim: c.embedDim, hidden: c.ffnDim)
        }

        /// x[tokens, D] = layer(x), in place; intermediate values go to `buffers` (a workspace's
        /// scratch for inference, a `LayerActivations`' saved buffers for training).
        public func forward(_ x: UnsafeMutablePointer<Float>, tokens: Int, buffers b: LayerBuffers) {
            selfAttnLayerNorm(out: b.a, mean: b.aMean, rstd: b.aRstd, inp: x, rows: tokens)
            selfAttn.forward(residual: x, input: b.a, tokens: tokens, buffers: b)
            b.mid?.update(from: x, count: tokens * selfAttnLayerNorm.dim)
            finalLayerNorm(out: b.f, mean: b.fMean, rstd: b.fRstd, inp: x, rows: tokens)
            ffn.forward(residual: x, input: b.f, tokens: tokens, buffers: b)
        }
    }
}

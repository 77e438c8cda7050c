import TesseraCore

extension SlideEncoder {
    /// torchscale `MultiheadAttention` with dilated attention and sub-LN, prefix `self_attn`:
    ///   o = dilated_attention(q_proj(a), k_proj(a), v_proj(a));  x += out_proj(inner_attn_ln(o))
    public struct SelfAttention: Sendable {
        public let qProj: LinearLayer, kProj: LinearLayer, vProj: LinearLayer
        public let innerAttnLn: LayerNormLayer
        public let outProj: LinearLayer
        public let heads: Int
        public let branches: [DilatedAttention.Branch]

        init(_ p: WeightScope, config c: Config) {
            let d = c.embedDim
            qProj = LinearLayer(p.scope("q_proj"), inFeatures: d, outFeatures: d)
            kProj = LinearLayer(p.scope("k_proj"), inFeatures: d, outFeatures: d)
            vProj = LinearLayer(p.scope("v_proj"), inFeatures: d, outFeatures: d)
            innerAttnLn = LayerNormLayer(p.scope("inner_attn_ln"), dim: d, eps: SlideEncoder.encoderEps)
            outProj = LinearLayer(p.scope("out_proj"), inFeatures: d, outFeatures: d)
            heads = c.heads
            branches = c.branches
        }

        /// residual[tokens, D] += attention(input[tokens, D]), through b.q, b.k, b.v, b.o, b.o2 (and b.lse).
        func forward(residual: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, tokens: Int, buffers b: LayerBuffers) {
            let d = qProj.outFeatures
            qProj(out: b.q, inp: input, rows: tokens)
            kProj(out: b.k, inp: input, rows: tokens)
            vProj(out: b.v, inp: input, rows: tokens)
            DilatedAttention.forward(out: b.o, lse: b.lse, q: b.q, k: b.k, v: b.v, tokens: tokens,
                                     heads: heads, headDim: d / heads, branches: branches, bf16: qProj.isBf16)
            innerAttnLn(out: b.o2, mean: b.o2Mean, rstd: b.o2Rstd, inp: b.o, rows: tokens)
            outProj.accumulate(into: residual, inp: b.o2, rows: tokens)
        }
    }
}

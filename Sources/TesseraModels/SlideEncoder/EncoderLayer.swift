import TesseraCore

extension SlideEncoder {
    /// torchscale `EncoderLayer` (pre-LN, sub-LN), checkpoint prefix `encoder.layers.i`:
    ///   x = x + self_attn(self_attn_layer_norm(x))
    ///   x = x + ffn(final_layer_norm(x))
    struct EncoderLayer {
        let selfAttnLayerNorm: LayerNormLayer
        let selfAttn: SelfAttention
        let finalLayerNorm: LayerNormLayer
        let ffn: FeedForward

        init(_ p: WeightScope, config c: SlideEncoderConfig) {
            selfAttnLayerNorm = LayerNormLayer(p.scope("self_attn_layer_norm"), dim: c.embedDim, eps: SlideEncoder.encoderEps)
            selfAttn = SelfAttention(p.scope("self_attn"), config: c)
            finalLayerNorm = LayerNormLayer(p.scope("final_layer_norm"), dim: c.embedDim, eps: SlideEncoder.encoderEps)
            ffn = FeedForward(p.scope("ffn"), dim: c.embedDim, hidden: c.ffnDim)
        }

        /// x[tokens, D] = layer(x), in place.
        func forward(_ x: UnsafeMutablePointer<Float>, tokens: Int, workspace w: Workspace) {
            selfAttnLayerNorm(out: w.normed, inp: x, rows: tokens)
            selfAttn.forward(residual: x, normed: w.normed, tokens: tokens, workspace: w)
            finalLayerNorm(out: w.normed, inp: x, rows: tokens)
            ffn.forward(residual: x, normed: w.normed, tokens: tokens, workspace: w)
        }
    }

    /// torchscale `MultiheadAttention` with dilated attention and sub-LN, prefix `self_attn`:
    ///   o = inner_attn_ln(dilated_attention(q_proj(a), k_proj(a), v_proj(a)));  x += out_proj(o)
    struct SelfAttention {
        let qProj: LinearLayer, kProj: LinearLayer, vProj: LinearLayer
        let innerAttnLn: LayerNormLayer
        let outProj: LinearLayer
        let heads: Int
        let branches: [DilatedAttention.Branch]

        init(_ p: WeightScope, config c: SlideEncoderConfig) {
            let d = c.embedDim
            qProj = LinearLayer(p.scope("q_proj"), inFeatures: d, outFeatures: d)
            kProj = LinearLayer(p.scope("k_proj"), inFeatures: d, outFeatures: d)
            vProj = LinearLayer(p.scope("v_proj"), inFeatures: d, outFeatures: d)
            innerAttnLn = LayerNormLayer(p.scope("inner_attn_ln"), dim: d, eps: SlideEncoder.encoderEps)
            outProj = LinearLayer(p.scope("out_proj"), inFeatures: d, outFeatures: d)
            heads = c.heads
            branches = c.branches
        }

        /// residual[tokens, D] += attention(normed); `normed` is overwritten.
        func forward(residual: UnsafeMutablePointer<Float>, normed: UnsafeMutablePointer<Float>,
                     tokens: Int, workspace w: Workspace) {
            let d = qProj.outFeatures
            qProj(out: w.q, inp: normed, rows: tokens)
            kProj(out: w.k, inp: normed, rows: tokens)
            vProj(out: w.v, inp: normed, rows: tokens)
            DilatedAttention.forward(out: normed, q: w.q, k: w.k, v: w.v, tokens: tokens,
                                     heads: heads, headDim: d / heads, branches: branches)
            innerAttnLn(out: normed, inp: normed, rows: tokens)
            outProj.accumulate(into: residual, inp: normed, rows: tokens)
        }
    }

    /// torchscale `FeedForwardNetwork` with sub-LN, prefix `ffn`:
    ///   x += fc2(ffn_layernorm(gelu(fc1(f))))   (exact erf GELU)
    struct FeedForward {
        let fc1: LinearLayer
        let ffnLayernorm: LayerNormLayer
        let fc2: LinearLayer

        init(_ p: WeightScope, dim: Int, hidden: Int) {
            fc1 = LinearLayer(p.scope("fc1"), inFeatures: dim, outFeatures: hidden)
            ffnLayernorm = LayerNormLayer(p.scope("ffn_layernorm"), dim: hidden, eps: SlideEncoder.encoderEps)
            fc2 = LinearLayer(p.scope("fc2"), inFeatures: hidden, outFeatures: dim)
        }

        /// residual[tokens, D] += ffn(normed[tokens, D]), a chunk of rows at a
        /// time so the hidden activations stay [chunk, hidden].
        func forward(residual: UnsafeMutablePointer<Float>, normed: UnsafePointer<Float>,
                     tokens: Int, workspace w: Workspace) {
            let dim = fc1.inFeatures, hidden = fc1.outFeatures
            var start = 0
            while start < tokens {
                let rows = min(Workspace.ffnRows, tokens - start)
                fc1(out: w.hidden, inp: normed + start * dim, rows: rows)
                GELU.forward(out: w.hidden, inp: w.hidden, count: rows * hidden)
                ffnLayernorm(out: w.hidden, inp: w.hidden, rows: rows)
                fc2.accumulate(into: residual + start * dim, inp: w.hidden, rows: rows)
                start += rows
            }
        }
    }

    /// Activation buffers of one forward pass, allocated once: the residual stream x
    /// and the scratch of every layer.
    final class Workspace {
        /// Token rows per feed-forward chunk.
        static let ffnRows = 1024
        private let arena: Arena
        let x, normed, q, k, v, hidden: UnsafeMutablePointer<Float>

        init(tokens: Int, dim: Int, hidden: Int) {
            let rows = tokens * dim
            let (arena, b) = Arena.carve([rows, rows, rows, rows, rows, min(tokens, Self.ffnRows) * hidden])
            self.arena = arena
            (x, normed, q, k, v, self.hidden) = (b[0], b[1], b[2], b[3], b[4], b[5])
        }
    }
}

import TesseraCore

extension SlideEncoder {
    /// torchscale `EncoderLayer` (pre-LN, sub-LN), checkpoint prefix `encoder.layers.i`:
    ///   x = x + self_attn(self_attn_layer_norm(x))
    ///   x = x + ffn(final_layer_norm(x))
    struct EncoderLayer {
        let selfAttnLayerNorm: NormLayer
        let selfAttn: SelfAttention
        let finalLayerNorm: NormLayer
        let ffn: FeedForward

        init(_ p: Parameters, config c: SlideEncoderConfig) throws {
            selfAttnLayerNorm = try NormLayer(p.child("self_attn_layer_norm"), width: c.embedDim, eps: SlideEncoder.encoderEps)
            selfAttn = try SelfAttention(p.child("self_attn"), config: c)
            finalLayerNorm = try NormLayer(p.child("final_layer_norm"), width: c.embedDim, eps: SlideEncoder.encoderEps)
            ffn = try FeedForward(p.child("ffn"), dim: c.embedDim, hidden: c.ffnDim)
        }

        /// x[tokens, D] = layer(x), in place.
        func forward(_ x: UnsafeMutablePointer<Float>, tokens: Int, workspace w: Workspace) {
            selfAttnLayerNorm.forward(out: w.normed, inp: x, rows: tokens)
            selfAttn.forward(residual: x, normed: w.normed, tokens: tokens, workspace: w)
            finalLayerNorm.forward(out: w.normed, inp: x, rows: tokens)
            ffn.forward(residual: x, normed: w.normed, tokens: tokens, workspace: w)
        }
    }

    /// torchscale `MultiheadAttention` with dilated attention and sub-LN, prefix `self_attn`:
    ///   o = inner_attn_ln(dilated_attention(q_proj(a), k_proj(a), v_proj(a)));  x += out_proj(o)
    struct SelfAttention {
        let qProj: LinearLayer, kProj: LinearLayer, vProj: LinearLayer
        let innerAttnLn: NormLayer
        let outProj: LinearLayer
        let heads: Int
        let branches: [DilatedAttention.Branch]

        init(_ p: Parameters, config c: SlideEncoderConfig) throws {
            let d = c.embedDim
            qProj = try LinearLayer(p.child("q_proj"), in: d, out: d)
            kProj = try LinearLayer(p.child("k_proj"), in: d, out: d)
            vProj = try LinearLayer(p.child("v_proj"), in: d, out: d)
            innerAttnLn = try NormLayer(p.child("inner_attn_ln"), width: d, eps: SlideEncoder.encoderEps)
            outProj = try LinearLayer(p.child("out_proj"), in: d, out: d)
            heads = c.heads
            branches = c.branches
        }

        /// residual[tokens, D] += attention(normed); `normed` is overwritten.
        func forward(residual: UnsafeMutablePointer<Float>, normed: UnsafeMutablePointer<Float>,
                     tokens: Int, workspace w: Workspace) {
            let d = qProj.outFeatures
            qProj.forward(out: w.q, inp: normed, rows: tokens)
            kProj.forward(out: w.k, inp: normed, rows: tokens)
            vProj.forward(out: w.v, inp: normed, rows: tokens)
            DilatedAttention.forward(out: normed, q: w.q, k: w.k, v: w.v, tokens: tokens,
                                     heads: heads, headDim: d / heads, branches: branches)
            innerAttnLn.forward(out: normed, inp: normed, rows: tokens)
            outProj.accumulate(into: residual, inp: normed, rows: tokens)
        }
    }

    /// torchscale `FeedForwardNetwork` with sub-LN, prefix `ffn`:
    ///   x += fc2(ffn_layernorm(gelu(fc1(f))))   (exact erf GELU)
    struct FeedForward {
        let fc1: LinearLayer
        let ffnLayernorm: NormLayer
        let fc2: LinearLayer

        init(_ p: Parameters, dim: Int, hidden: Int) throws {
            fc1 = try LinearLayer(p.child("fc1"), in: dim, out: hidden)
            ffnLayernorm = try NormLayer(p.child("ffn_layernorm"), width: hidden, eps: SlideEncoder.encoderEps)
            fc2 = try LinearLayer(p.child("fc2"), in: hidden, out: dim)
        }

        /// residual[tokens, D] += ffn(normed[tokens, D]), a chunk of rows at a
        /// time so the hidden activations stay [chunk, hidden].
        func forward(residual: UnsafeMutablePointer<Float>, normed: UnsafePointer<Float>,
                     tokens: Int, workspace w: Workspace) {
            let dim = fc1.inFeatures, hidden = fc1.outFeatures
            var start = 0
            while start < tokens {
                let rows = min(Workspace.ffnRows, tokens - start)
                fc1.forward(out: w.hidden, inp: normed + start * dim, rows: rows)
                GELU.forward(out: w.hidden, inp: w.hidden, count: rows * hidden)
                ffnLayernorm.forward(out: w.hidden, inp: w.hidden, rows: rows)
                fc2.accumulate(into: residual + start * dim, inp: w.hidden, rows: rows)
                start += rows
            }
        }
    }

    /// Activation buffers of one forward pass, allocated once.
    final class Workspace {
        /// Token rows per feed-forward chunk.
        static let ffnRows = 1024
        let normed, q, k, v, hidden: UnsafeMutablePointer<Float>

        init(tokens: Int, dim: Int, hidden: Int) {
            normed = .allocate(capacity: tokens * dim)
            q = .allocate(capacity: tokens * dim)
            k = .allocate(capacity: tokens * dim)
            v = .allocate(capacity: tokens * dim)
            self.hidden = .allocate(capacity: min(tokens, Self.ffnRows) * hidden)
        }

        deinit {
            normed.deallocate(); q.deallocate(); k.deallocate(); v.deallocate(); hidden.deallocate()
        }
    }
}

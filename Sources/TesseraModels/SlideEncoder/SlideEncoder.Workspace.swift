import TesseraCore

extension SlideEncoder {
    /// The scratch of an inference forward pass over `tokens` tokens, allocated once: the
    /// residual stream x, one normed buffer (norm outputs and the attention output), q, k, v,
    /// and one feed-forward chunk of hidden activations.
    final class Workspace {
        private let arena: Arena
        let x, normed, q, k, v, hidden: UnsafeMutablePointer<Float>

        init(config c: Config, tokens: Int) {
            let rows = tokens * c.embedDim, chunk = min(tokens, FeedForward.chunkRows) * c.ffnDim
            (arena, (x, normed, q, k, v, hidden)) = Arena.planned { a in
                (a.take(rows), a.take(rows), a.take(rows), a.take(rows), a.take(rows), a.take(chunk))
            }
        }

        var layerBuffers: LayerBuffers {
            LayerBuffers(a: normed, q: q, k: k, v: v, o: normed, o2: normed, f: normed, h: hidden, g: hidden, g2: hidden,
                         mid: nil, aMean: nil, aRstd: nil, o2Mean: nil, o2Rstd: nil, fMean: nil, fRstd: nil,
                         g2Mean: nil, g2Rstd: nil, lse: nil, hiddenStride: 0)
        }
    }
}

extension SlideEncoder {
    /// Where one encoder layer's forward pass writes (N tokens, D width, F ffn width):
    /// a = self_attn_layer_norm(x) [N,D]; q, k, v [N,D]; o = dilated attention [N,D];
    /// o2 = inner_attn_ln(o) [N,D]; mid = x + out_proj(o2) [N,D]; f = final_layer_norm(mid) [N,D];
    /// h = fc1(f), g = gelu(h), g2 = ffn_layernorm(g), chunk by chunk (`hiddenStride`);
    /// each LayerNorm's row statistics [N]; and the attention's per-branch log-sum-exps lse
    /// [branches, N, heads] (`DilatedAttention.forward`). Inference aliases a, o, o2, f onto one
    /// buffer, h, g, g2 onto one chunk, and keeps no statistics or lse; training saves every one.
    public struct LayerBuffers {
        public let a, q, k, v, o, o2, f, h, g, g2: UnsafeMutablePointer<Float>
        public let mid, aMean, aRstd, o2Mean, o2Rstd, fMean, fRstd, g2Mean, g2Rstd, lse: UnsafeMutablePointer<Float>?
        /// Floats between the hidden rows of consecutive chunks' starts, per token.
        public let hiddenStride: Int
    }
}

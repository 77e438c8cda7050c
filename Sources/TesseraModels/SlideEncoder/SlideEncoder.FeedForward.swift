import TesseraCore

extension SlideEncoder {
    /// torchscale `FeedForwardNetwork` with sub-LN, prefix `ffn`:
    ///   x += fc2(ffn_layernorm(gelu(fc1(f))))   (exact erf GELU)
    public struct FeedForward: Sendable {
        /// Token rows per chunk, so that inference's hidden activations stay [chunk, F].
        public static let chunkRows = 1024
        public let fc1: LinearLayer
        public let ffnLayernorm: LayerNormLayer
        public let fc2: LinearLayer

        init(_ p: WeightScope, dim: Int, hidden: Int) {
            fc1 = LinearLayer(p.scope("fc1"), inFeatures: dim, outFeatures: hidden)
            ffnLayernorm = LayerNormLayer(p.scope("ffn_layernorm"), dim: hidden, eps: SlideEncoder.encoderEps)
            fc2 = LinearLayer(p.scope("fc2"), inFeatures: hidden, outFeatures: dim)
        }

        /// residual[tokens, D] += ffn(input[tokens, D]), a chunk of rows at a time, through
        /// h = fc1, g = gelu(h), g2 = ffn_layernorm(g); chunk rows start `b.hiddenStride` floats
        /// apart (0: every chunk reuses one scratch chunk; F: each keeps its own rows).
        func forward(residual: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, tokens: Int, buffers b: LayerBuffers) {
            let dim = fc1.inFeatures, hidden = fc1.outFeatures
            var start = 0
            while start < tokens {
                let rows = min(Self.chunkRows, tokens - start), at = start * b.hiddenStride
                fc1(out: b.h + at, inp: input + start * dim, rows: rows)
                GELU.forward(out: b.g + at, inp: b.h + at, count: rows * hidden)
                ffnLayernorm(out: b.g2 + at, mean: b.g2Mean.map { $0 + start }, rstd: b.g2Rstd.map { $0 + start },
                             inp: b.g + at, rows: rows)
                fc2.accumulate(into: residual + start * dim, inp: b.g2 + at, rows: rows)
                start += rows
            }
        }
    }
}

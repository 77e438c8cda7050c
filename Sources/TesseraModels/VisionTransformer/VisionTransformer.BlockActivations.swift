import TesseraCore

extension VisionTransformer {
    /// One block's saved activations, every buffer of `BlockBuffers` its own, for the
    /// backward pass (shapes there).
    public final class BlockActivations {
        public let h1, mean1, rstd1, qkv, probs, a, p, mid, h2, mean2, rstd2, f, g, q: UnsafeMutablePointer<Float>

        /// Carves the buffers for `batch` images from `arena`.
        public init(_ c: Config, batch: Int, arena: Arena) {
            let r = batch * c.tokens, d = c.embedDim, scaled = c.layerScale ? r * d : 0
            h1 = arena.take(r * d)
            mean1 = arena.take(r)
            rstd1 = arena.take(r)
            qkv = arena.take(r * 3 * d)
            probs = arena.take(batch * c.heads * c.tokens * c.tokens)
            a = arena.take(r * d)
            p = arena.take(scaled)
            mid = arena.take(r * d)
            h2 = arena.take(r * d)
            mean2 = arena.take(r)
            rstd2 = arena.take(r)
            f = arena.take(r * c.mlpHidden)
            g = arena.take(r * c.mlpGated)
            q = arena.take(scaled)
        }

        public var buffers: BlockBuffers {
            BlockBuffers(h1: h1, qkv: qkv, a: a, p: p, h2: h2, f: f, g: g, q: q,
                         mean1: mean1, rstd1: rstd1, mean2: mean2, rstd2: rstd2, probs: probs, mid: mid)
        }
    }
}

import TesseraCore

extension SlideEncoder {
    /// One encoder layer's saved activations for the backward pass: every buffer of
    /// `LayerBuffers` its own (shapes there), the hidden ones for all N tokens.
    public final class LayerActivations {
        public let a, q, k, v, o, o2, mid, f, h, g, g2: UnsafeMutablePointer<Float>
        public let aMean, aRstd, o2Mean, o2Rstd, fMean, fRstd, g2Mean, g2Rstd, lse: UnsafeMutablePointer<Float>
        let ffnDim: Int

        public init(_ c: Config, tokens n: Int, arena: Arena) {
            let d = c.embedDim, f = c.ffnDim
            ffnDim = f
            a = arena.take(n * d)
            q = arena.take(n * d)
            k = arena.take(n * d)
            v = arena.take(n * d)
            o = arena.take(n * d)
            o2 = arena.take(n * d)
            mid = arena.take(n * d)
            self.f = arena.take(n * d)
            h = arena.take(n * f)
            g = arena.take(n * f)
            g2 = arena.take(n * f)
            aMean = arena.take(n)
            aRstd = arena.take(n)
            o2Mean = arena.take(n)
            o2Rstd = arena.take(n)
            fMean = arena.take(n)
            fRstd = arena.take(n)
            g2Mean = arena.take(n)
            g2Rstd = arena.take(n)
            lse = arena.take(c.branches.count * n * c.heads)
        }

        public var buffers: LayerBuffers {
            LayerBuffers(a: a, q: q, k: k, v: v, o: o, o2: o2, f: f, h: h, g: g, g2: g2, mid: mid,
                         aMean: aMean, aRstd: aRstd, o2Mean: o2Mean, o2Rstd: o2Rstd, fMean: fMean, fRstd: fRstd,
                         g2Mean: g2Mean, g2Rstd: g2Rstd, lse: lse, hiddenStride: ffnDim)
        }
    }
}

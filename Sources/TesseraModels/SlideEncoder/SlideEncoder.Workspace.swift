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
                         g2Mean: nil, g2Rstd: nil, hiddenStride: 0)
        }
    }
}

import TesseraCore

extension VisionTransformer {
    /// The scratch of an inference forward pass, planned once for a batch capacity and
    /// reused by every block: the residual stream, a normed copy, the LayerScale branch
    /// and one wide buffer shared by the im2col patches, the packed qkv and the MLP.
    public final class Workspace: @unchecked Sendable {
        public let capacity: Int
        private let arena: Arena
        let stream, normed, branch, wide: UnsafeMutablePointer<Float>
        private let config: Config

        public init(config c: Config, capacity: Int) {
            self.capacity = capacity
            config = c
            let rows = capacity * c.tokens, d = c.embedDim
            let wideCount = max(rows * 3 * d, rows * c.mlpScratchWidth, capacity * (c.tokens - 1) * c.patchLength)
            (arena, (stream, normed, branch, wide)) = Arena.planned { a in
                (a.take(rows * d), a.take(rows * d), a.take(c.layerScale ? rows * d : 0), a.take(wideCount))
            }
        }

        /// A block's buffers for `rows` rows, aliased onto the scratch: norm outputs and the
        /// attention output share `normed`; qkv and the MLP share `wide` (the SwiGLU gate
        /// after fc1's output); LayerScale products go through `branch`; nothing is saved.
        func blockBuffers(rows: Int) -> BlockBuffers {
            let gate = config.mlp == .swiGLUPacked ? wide + rows * config.mlpHidden : wide
            return BlockBuffers(h1: normed, qkv: wide, a: normed, p: branch, h2: normed, f: wide, g: gate, q: branch,
                                mean1: nil, rstd1: nil, mean2: nil, rstd2: nil, probs: nil, mid: nil)
        }

        /// Bytes of activation memory held.
        public var byteCount: Int { arena.byteCount }
    }
}

extension VisionTransformer {
    /// Where one block's forward pass writes its intermediate values (R = batch·tokens rows,
    /// D = width, F = fc1 width, G = fc2 input width, H heads, T tokens):
    /// h1 = norm1(x) [R,D] with mean1/rstd1 [R]; qkv [R,3D]; probs [B,H,T,T]; a = attention [R,D];
    /// p = proj(a) [R,D] (LayerScale only); mid = x + ls1(p) [R,D]; h2 = norm2(mid) [R,D] with
    /// mean2/rstd2 [R]; f = fc1(h2) [R,F]; g = gate(f) [R,G]; q = fc2(g) [R,D] (LayerScale only).
    /// Inference aliases them onto a workspace's few buffers and leaves the optional ones out;
    /// training points every one at its own saved buffer.
    public struct BlockBuffers {
        public let h1, qkv, a, p, h2, f, g, q: UnsafeMutablePointer<Float>
        public let mean1, rstd1, mean2, rstd2, probs, mid: UnsafeMutablePointer<Float>?
    }
}

import TesseraCore

extension VisionTransformer {
    /// What a training forward pass saves for the backward pass, planned up front for one
    /// micro-batch: the im2col patches cols [B·(T-1), C·p·p]; the residual stream before and
    /// after every block, states[0...depth] [B,T,D] (states[depth] is the last block's output,
    /// the distillation hidden state); the final norm's statistics of the class rows clsMean,
    /// clsRstd [B] and the class embedding [B,D]; and the blocks' activations: one per block,
    /// or one shared when `recompute` is set (activation checkpointing: the backward pass
    /// re-runs each block's forward from its saved input, trading one extra forward for a
    /// depth-fold smaller plan).
    public final class Activations: @unchecked Sendable {
        public let batch: Int
        public let recompute: Bool
        private let arena: Arena
        public let cols: UnsafeMutablePointer<Float>
        public let states: [UnsafeMutablePointer<Float>]
        public let clsMean, clsRstd, embedding: UnsafeMutablePointer<Float>
        private let blocks: [BlockActivations]

        public init(config: Config, batch: Int, recompute: Bool = false) {
            (arena, (cols, states, clsMean, clsRstd, embedding, blocks)) = Arena.planned { a in
                Self.layout(config, batch: batch, recompute: recompute, arena: a)
            }
            self.batch = batch
            self.recompute = recompute
        }

        private static func layout(_ c: Config, batch: Int, recompute: Bool, arena a: Arena) -> (
            UnsafeMutablePointer<Float>, [UnsafeMutablePointer<Float>], UnsafeMutablePointer<Float>,
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, [BlockActivations]
        ) {
            let rows = batch * c.tokens
            return (a.take(batch * (c.tokens - 1) * c.patchLength),
                    (0...c.depth).map { _ in a.take(rows * c.embedDim) },
                    a.take(batch), a.take(batch), a.take(batch * c.embedDim),
                    (0..<(recompute ? 1 : c.depth)).map { _ in BlockActivations(c, batch: batch, arena: a) })
        }

        /// Floats an instance plans for, counted without allocating them.
        public static func floatCount(config: Config, batch: Int, recompute: Bool) -> Int {
            Arena.count { _ = layout(config, batch: batch, recompute: recompute, arena: $0) }
        }

        /// Block i's saved activations (the shared set when recomputing).
        public func block(_ i: Int) -> BlockActivations { blocks[recompute ? 0 : i] }

        /// Bytes of activation memory held.
        public var byteCount: Int { arena.byteCount }
    }
}

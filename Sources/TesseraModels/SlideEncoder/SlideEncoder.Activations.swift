import TesseraCore

extension SlideEncoder {
    /// What a training forward pass over one slide (N = tiles + 1 tokens) saves for the backward
    /// pass, planned up front: the residual stream before and after every layer,
    /// states[0...depth] [N,D]; encoded = encoder.layer_norm(states[depth]) [N,D] with its row
    /// statistics encodedMean/encodedRstd [N]; the mean of the encoded tile tokens pooled [D];
    /// the statistics of every `norm` row: layer i's CLS (normMean/normRstd[i], i = 0...depth),
    /// then the encoder output's CLS (depth + 1) and the pooled row (depth + 2); and the layers'
    /// activations: one per layer, or one shared when `recompute` re-runs each layer's forward
    /// during the backward pass.
    public final class Activations: @unchecked Sendable {
        public let tiles: Int
        public let recompute: Bool
        private let arena: Arena
        public let states: [UnsafeMutablePointer<Float>]
        public let encoded, encodedMean, encodedRstd, pooled, normMean, normRstd: UnsafeMutablePointer<Float>
        private let layers: [LayerActivations]

        public init(config: Config, tiles: Int, recompute: Bool = false) {
            self.tiles = tiles
            self.recompute = recompute
            (arena, (states, encoded, encodedMean, encodedRstd, pooled, normMean, normRstd, layers)) = Arena.planned { a in
                let n = tiles + 1, d = config.embedDim
                return ((0...config.depth).map { _ in a.take(n * d) }, a.take(n * d), a.take(n), a.take(n), a.take(d),
                        a.take(config.depth + 3), a.take(config.depth + 3),
                        (0..<(recompute ? 1 : config.depth)).map { _ in LayerActivations(config, tokens: n, arena: a) })
            }
        }

        /// Layer l's saved activations (the shared set when recomputing).
        public func layer(_ l: Int) -> LayerActivations { layers[recompute ? 0 : l] }

        public var byteCount: Int { arena.byteCount }
    }
}

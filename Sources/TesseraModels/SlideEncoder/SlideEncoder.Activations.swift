import TesseraCore

extension SlideEncoder {
    /// What a training forward pass over one slide (N = tiles + 1 tokens) saves for the backward
    /// pass, planned up front: the residual stream before and after every layer,
    /// states[0...depth] [N,D]; encoded = encoder.layer_norm(states[depth]) [N,D] with its row
    /// statistics encodedMean/encodedRstd [N]; the mean of the encoded tile tokens pooled [D];
    /// the mean of each state's tile tokens layerMeans [(depth + 1) x D];
    /// the statistics of every `norm` row: layer i's CLS (normMean/normRstd[i], i = 0...depth),
    /// then the encoder output's CLS (depth + 1), the pooled row (depth + 2) and layer i's mean
    /// (depth + 3 + i); and the layers'
    /// activations: one per layer, or one shared when `recompute` re-runs each layer's forward
    /// during the backward pass.
    public final class Activations: @unchecked Sendable {
        public let tiles: Int
        public let recompute: Bool
        private let arena: Arena
        public let states: [UnsafeMutablePointer<Float>]
        public let encoded, encodedMean, encodedRstd, pooled, layerMeans, normMean, normRstd: UnsafeMutablePointer<Float>
        private let layers: [LayerActivations]

        public init(config: Config, tiles: Int, recompute: Bool = false) {
            self.tiles = tiles
            self.recompute = recompute
            (arena, (states, encoded, encodedMean, encodedRstd, pooled, layerMeans, normMean, normRstd, layers)) = Arena.planned { a in
                let n = tiles + 1, d = config.embedDim, slots = Self.normSlots(depth: config.depth)
                return ((0...config.depth).map { _ in a.take(n * d) }, a.take(n * d), a.take(n), a.take(n), a.take(d),
                        a.take((config.depth + 1) * d), a.take(slots), a.take(slots),
                        (0..<(recompute ? 1 : config.depth)).map { _ in LayerActivations(config, tokens: n, arena: a) })
            }
        }

        /// The `norm` rows of one slide: depth + 1 CLS rows, the encoder output, the pooled row
        /// and depth + 1 layer means.
        static func normSlots(depth: Int) -> Int { 2 * depth + 4 }

        /// The `norm` slot of layer i's mean row.
        public static func layerMeanSlot(_ i: Int, depth: Int) -> Int { depth + 3 + i }

        /// Layer l's saved activations (the shared set when recomputing).
        public func layer(_ l: Int) -> LayerActivations { layers[recompute ? 0 : l] }

        public var byteCount: Int { arena.byteCount }
    }
}

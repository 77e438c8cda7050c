import TesseraCore
import TesseraModels

extension SlideEncoder {
    /// One slide's training memory (N = tiles + 1 tokens): what the forward pass saves
    /// (`Activations`) and the backward pass's scratch: dx [N,D] (d loss / d the residual
    /// stream), dn, dq, dk, dv [N,D] and dwide, dwide2 [N,F].
    public final class TrainingActivations: @unchecked Sendable {
        public let saved: Activations
        private let arena: Arena
        let dx, dn, dq, dk, dv, dwide, dwide2: UnsafeMutablePointer<Float>

        public init(config: Config, tiles: Int, recompute: Bool = false) {
            saved = Activations(config: config, tiles: tiles, recompute: recompute)
            let n = tiles + 1, d = config.embedDim, f = config.ffnDim
            (arena, (dx, dn, dq, dk, dv, dwide, dwide2)) = Arena.planned { a in
                (a.take(n * d), a.take(n * d), a.take(n * d), a.take(n * d), a.take(n * d), a.take(n * f), a.take(n * f))
            }
        }

        public var tiles: Int { saved.tiles }
        public var byteCount: Int { saved.byteCount + arena.byteCount }
    }

    /// The training forward pass (`forward(tileEmbeds:cells:saving:)`) into `activations`.
    public func forward(training tileEmbeds: Tensor, cells: [SlideGrid.Cell],
                        activations: TrainingActivations) throws -> SlideEmbeddings {
        try forward(tileEmbeds: tileEmbeds, cells: cells, saving: activations.saved)
    }

    /// A model whose weights are the live buffers of `parameters`.
    public init(training parameters: ParameterSet, config: Config) throws {
        try self.init(weights: parameters.stateDict(), config: config)
    }

    /// The gradient buffers of `parameters`, arranged as this model.
    public func gradients(_ parameters: ParameterSet) throws -> Gradients<SlideEncoder> {
        Gradients(tree: try SlideEncoder(weights: parameters.gradientDict(), config: config, name: "gradients"),
                  parameters: parameters)
    }
}

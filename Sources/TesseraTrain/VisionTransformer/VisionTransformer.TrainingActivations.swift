import TesseraCore
import TesseraModels

extension VisionTransformer {
    /// One micro-batch's training memory: what the forward pass saves (`Activations`) and the
    /// backward pass's scratch: the gradient of the residual stream dx [R,D], of a LayerScale
    /// branch dbranch [R,D], of a block's narrow activations dh [R,D], of the gate input or the
    /// packed qkv dwide [R, max(3D, F)], and of the gate output dgate [R,G] (R = batch·tokens).
    public final class TrainingActivations: @unchecked Sendable {
        public let saved: Activations
        private let arena: Arena
        let dx, dbranch, dh, dwide, dgate: UnsafeMutablePointer<Float>

        public init(config: Config, batch: Int, recompute: Bool = false) {
            saved = Activations(config: config, batch: batch, recompute: recompute)
            (arena, (dx, dbranch, dh, dwide, dgate)) = Arena.planned { Self.scratch(config, batch: batch, arena: $0) }
        }

        private static func scratch(_ c: Config, batch: Int, arena a: Arena) -> (
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
            UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>
        ) {
            let r = batch * c.tokens, d = c.embedDim
            return (a.take(r * d), a.take(r * d), a.take(r * d), a.take(r * max(3 * d, c.mlpHidden)), a.take(r * c.mlpGated))
        }

        public var batch: Int { saved.batch }

        /// Bytes of activation memory held, saved values and scratch.
        public var byteCount: Int { saved.byteCount + arena.byteCount }

        /// Floats an instance plans for, counted without allocating them.
        public static func floatCount(config: Config, batch: Int, recompute: Bool) -> Int {
            Activations.floatCount(config: config, batch: batch, recompute: recompute)
                + Arena.count { _ = scratch(config, batch: batch, arena: $0) }
        }
    }

    /// The training forward pass (`forward(_:saving:)`) into `activations`.
    @discardableResult
    public func forward(_ images: Tensor, activations: TrainingActivations)
        throws -> (lastHidden: UnsafePointer<Float>, embedding: UnsafePointer<Float>) {
        try forward(images, saving: activations.saved)
    }

    /// The training forward pass over raw images [activations.batch, C, H, W].
    @discardableResult
    public func forward(images: UnsafePointer<Float>, activations: TrainingActivations)
        -> (lastHidden: UnsafePointer<Float>, embedding: UnsafePointer<Float>) {
        forward(images: images, saving: activations.saved)
    }

    /// A model whose weights are the live buffers of `parameters` (views, not copies), so
    /// that optimizer steps on the parameters are what the next forward pass computes with.
    public init(training parameters: ParameterSet, config: Config) throws {
        try self.init(weights: parameters.stateDict(), config: config)
    }

    /// The gradient buffers of `parameters`, arranged as this model.
    public func gradients(_ parameters: ParameterSet) throws -> Gradients<VisionTransformer> {
        Gradients(tree: try VisionTransformer(weights: parameters.gradientDict(), config: config), parameters: parameters)
    }
}

import TesseraCore

extension VisionTransformer {
    /// The block's feed-forward up to fc2's input (the block applies fc2):
    /// GELU: g = gelu(fc1(x)), [rows, F];  SwiGLUPacked: [a | b] = fc1(x), g = silu(a) ⊙ b, [rows, F/2].
    public struct Mlp: Sendable {
        public let kind: MlpKind
        public let fc1: LinearLayer
        public let fc2: LinearLayer

        init(_ scope: WeightScope, config: Config) {
            kind = config.mlp
            fc1 = LinearLayer(scope.scope("fc1"), inFeatures: config.embedDim, outFeatures: config.mlpHidden)
            fc2 = LinearLayer(scope.scope("fc2"), inFeatures: config.mlpGated, outFeatures: config.embedDim)
        }

        /// f = fc1(x) [rows, F] and the gate g [rows, fc2.inFeatures] from x [rows, D];
        /// g may alias f for GELU (the backward pass then has no f: inference only).
        /// Not inlined, for the aarch64 engine's size: a block calls it from two places.
        @inline(never)
        public func forward(gate g: UnsafeMutablePointer<Float>, preactivation f: UnsafeMutablePointer<Float>,
                            x: UnsafePointer<Float>, rows: Int) {
            fc1(out: f, inp: x, rows: rows)
            switch kind {
            case .gelu: GELU.forward(out: g, inp: f, count: rows * fc1.outFeatures)
            case .swiGLUPacked: SwiGLU.forward(out: g, inp: f, rows: rows, hidden: fc2.inFeatures)
            }
        }
    }
}

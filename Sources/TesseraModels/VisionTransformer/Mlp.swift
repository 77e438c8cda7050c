import TesseraCore

extension VisionTransformer {
    /// The block's feed-forward, fc1 -> gate -> fc2 (see `MlpKind`):
    /// GELU: g = gelu(fc1(x)), [rows, H];  SwiGLUPacked: [a | b] = fc1(x), g = silu(a) ⊙ b, [rows, H/2].
    public struct Mlp: Sendable {
        public let kind: MlpKind
        public let fc1: LinearLayer
        public let fc2: LinearLayer

        init(_ scope: WeightScope, config: Config) {
            kind = config.mlp
            fc1 = LinearLayer(scope.scope("fc1"), inFeatures: config.embedDim, outFeatures: config.mlpHidden)
            fc2 = LinearLayer(scope.scope("fc2"), inFeatures: config.mlpGated, outFeatures: config.embedDim)
        }

        /// The gated activations g[rows, fc2.inFeatures] (returned, inside `scratch`)
        /// from x[rows, D]; scratch holds rows · `Config.mlpScratchWidth` floats.
        public func gate(x: UnsafePointer<Float>, rows: Int, scratch: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
            switch kind {
            case .gelu:
                // fc1's bias is added inside the GELU sweep rather than before the GEMM.
                fc1(out: scratch, inp: x, rows: rows, bias: false)
                if let bias = fc1.bias {
                    GELU.forward(out: scratch, inp: scratch, bias: bias.floatPointer, rows: rows, cols: fc1.outFeatures)
                } else {
                    GELU.forward(out: scratch, inp: scratch, count: rows * fc1.outFeatures)
                }
                return UnsafePointer(scratch)
            case .swiGLUPacked:
                fc1(out: scratch, inp: x, rows: rows)
                let gated = scratch + rows * fc1.outFeatures
                SwiGLU.forward(out: gated, inp: scratch, rows: rows, hidden: fc2.inFeatures)
                return UnsafePointer(gated)
            }
        }
    }

    /// timm `LayerScale`: y = gamma ⊙ x, gamma [D] (blocks built with `init_values`).
    public struct LayerScale: Sendable {
        public let gamma: Tensor

        init(_ scope: WeightScope, dim: Int) {
            gamma = scope.tensor("gamma", shape: [dim])
        }
    }
}

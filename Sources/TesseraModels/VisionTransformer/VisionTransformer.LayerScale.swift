import TesseraCore

extension VisionTransformer {
    /// timm `LayerScale`: y = gamma ⊙ x, gamma [D] (blocks built with `init_values`).
    public struct LayerScale: Sendable {
        public let gamma: Tensor

        init(_ scope: WeightScope, dim: Int) {
            gamma = scope.tensor("gamma", shape: [dim])
        }
    }
}

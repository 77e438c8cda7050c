import TesseraCore
import TesseraModels

extension ParameterSet {
    /// A freshly initialised student of architecture `config`, as timm initialises it
    /// (see `TimmInitialization.vit`), from `seed`. LayerScale starts at `initValues`.
    public convenience init(freshViT config: VisionTransformer.Config, seed: UInt64, initValues: Float = 1e-5) {
        self.init(zeros: config.parameterShapes)
        var rng = RandomGenerator(seed: seed)
        TimmInitialization.vit(self, rng: &rng, initValues: initValues, swiGLU: config.mlp == .swiGLUPacked)
    }
}

import TesseraBundle
import TesseraModels

/// The tile encoder's bundle description and the model configuration are one
/// another's image: `BundleTileEncoder(config).config == config` for a loaded model.
extension BundleTileEncoder {
    /// The bundle's description of a loaded model's `config` (whose MLP width is the weights').
    public init(_ config: VisionTransformer.Config) {
        self.init(architecture: config.architecture, imageSize: config.imageSize, patchSize: config.patchSize,
                  inChans: config.inChans, embedDim: config.embedDim, depth: config.depth, heads: config.heads,
                  mlpHidden: config.mlpHidden, mlp: config.mlp == .gelu ? .gelu : .swiGLUPacked,
                  layerScale: config.layerScale, layerNormEps: config.layerNormEps)
    }

    /// The model configuration this describes.
    public var config: VisionTransformer.Config {
        var config = VisionTransformer.Config(
            architecture: architecture, imageSize: imageSize, patchSize: patchSize, inChans: inChans,
            embedDim: embedDim, depth: depth, heads: heads, mlpRatio: Double(mlpHidden) / Double(embedDim),
            mlp: mlp == .gelu ? .gelu : .swiGLUPacked, layerScale: layerScale)
        // Exact, not recomputed from the ratio (timm rounds its mlp_ratio).
        config.mlpHidden = mlpHidden
        config.layerNormEps = layerNormEps
        return config
    }
}

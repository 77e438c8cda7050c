/// A timm ViT tile encoder: class token, position embedding covering the class
/// slot, pre-norm blocks, final norm, class-token pooling, no head.
public struct BundleTileEncoder: Equatable, Sendable {
    /// timm's architecture name.
    public var architecture: String
    public var imageSize: Int
    public var patchSize: Int
    public var inChans: Int
    public var embedDim: Int
    public var depth: Int
    public var heads: Int
    /// fc1's output width (2F for SwiGLU-packed, whose fc2 takes F).
    public var mlpHidden: Int
    public var mlp: BundleMlpKind
    /// Every block has LayerScale (`ls1.gamma`, `ls2.gamma`).
    public var layerScale: Bool
    public var layerNormEps: Float

    public init(architecture: String, imageSize: Int, patchSize: Int, inChans: Int, embedDim: Int, depth: Int,
                heads: Int, mlpHidden: Int, mlp: BundleMlpKind, layerScale: Bool, layerNormEps: Float) {
        self.architecture = architecture
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.inChans = inChans
        self.embedDim = embedDim
        self.depth = depth
        self.heads = heads
        self.mlpHidden = mlpHidden
        self.mlp = mlp
        self.layerScale = layerScale
        self.layerNormEps = layerNormEps
    }
}

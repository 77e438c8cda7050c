import TesseraCore

extension VisionTransformer {
    /// The hyper-parameters of a timm `VisionTransformer` that Tessera runs:
    /// class token, absolute position embedding covering the class slot,
    /// pre-norm blocks, final norm, class-token pooling, no head.
    public struct Config: Equatable, Sendable {
        /// timm's architecture name (the model's identity in outputs).
        public var architecture: String
        public var imageSize = 224
        public var patchSize = 16
        public var inChans = 3
        public var embedDim: Int
        public var depth: Int
        public var heads: Int
        /// timm's `mlp_ratio`; fc1's width starts as int(embedDim * mlpRatio),
        /// as timm computes it, and the loader takes the real one from the weights.
        public var mlpRatio: Double = 4
        /// Output width of fc1 (2F for SwiGLUPacked, whose fc2 takes F).
        public var mlpHidden: Int
        public var mlp: MlpKind = .gelu
        /// timm's `init_values`: when set, every block has `ls1.gamma`, `ls2.gamma`.
        public var layerScale = false
        public var layerNormEps: Float = 1e-6

        public init(architecture: String, imageSize: Int = 224, patchSize: Int = 16, inChans: Int = 3,
                    embedDim: Int, depth: Int, heads: Int, mlpRatio: Double = 4, mlp: MlpKind = .gelu,
                    layerScale: Bool = false) {
            self.architecture = architecture
            self.imageSize = imageSize
            self.patchSize = patchSize
            self.inChans = inChans
            self.embedDim = embedDim
            self.depth = depth
            self.heads = heads
            self.mlpRatio = mlpRatio
            self.mlpHidden = Int(Double(embedDim) * mlpRatio)
            self.mlp = mlp
            self.layerScale = layerScale
        }

        public var gridSize: Int { imageSize / patchSize }
        /// Patch tokens plus the class token: 197 at 224 px with patch 16.
        public var tokens: Int { gridSize * gridSize + 1 }
        public var headDim: Int { embedDim / heads }
        /// Input width of fc2: F = fc1's width, halved by SwiGLUPacked's gate.
        public var mlpGated: Int { mlp == .swiGLUPacked ? mlpHidden / 2 : mlpHidden }
        /// Width of an im2col row: C·p·p.
        public var patchLength: Int { inChans * patchSize * patchSize }
        /// Floats of scratch per row the MLP's gate needs: fc1's output, plus the gated half for SwiGLU.
        public var mlpScratchWidth: Int { mlpHidden + (mlp == .swiGLUPacked ? mlpGated : 0) }

        /// Whether the sizes derived from the positive dimensions fit an Int, in bytes of f32:
        /// the token count, the attention scores of one image, the largest weights, a row of
        /// MLP scratch per token. A config.json may ask for a 2^62-pixel image; this is checked
        /// before any of them is computed.
        public var sizesFit: Bool {
            func bytes(_ factors: [Int]) -> Bool {
                var product = 4
                for factor in factors {
                    let (p, overflow) = product.multipliedReportingOverflow(by: factor)
                    if overflow { return false }
                    product = p
                }
                return true
            }
            guard bytes([gridSize, gridSize]) else { return false }
            let tokens = self.tokens
            return bytes([tokens, tokens, embedDim]) && bytes([inChans, patchSize, patchSize, embedDim])
                && bytes([3, embedDim, embedDim]) && bytes([2, mlpHidden, embedDim]) && bytes([2, mlpHidden, tokens])
        }

        /// Parameters of the model this config describes (no head).
        public var parameterCount: Int {
            parameterShapes.reduce(0) { $0 + $1.shape.reduce(1, *) }
        }

        /// Multiply-adds of one image's forward pass, summed over its GEMMs and
        /// attention products (`products(batch: 1)`; element-wise work excluded); FLOPs are twice this.
        public var multiplyAdds: Int { products(batch: 1).reduce(0) { $0 + $1.multiplyAdds } }
    }
}

extension VisionTransformer.Config {
    /// Architectures by name; `gigapath` is Prov-GigaPath's tile encoder.
    public static let presets: [String: VisionTransformer.Config] = [
        "vit_small_patch16_224": .init(architecture: "vit_small_patch16_224", embedDim: 384, depth: 12, heads: 6),
        "vit_base_patch16_224": .init(architecture: "vit_base_patch16_224", embedDim: 768, depth: 12, heads: 12),
        "vit_large_patch16_224": .init(architecture: "vit_large_patch16_224", embedDim: 1024, depth: 24, heads: 16),
        "vit_giant_patch14_dinov2": .init(architecture: "vit_giant_patch14_dinov2", imageSize: 518, patchSize: 14,
                                          embedDim: 1536, depth: 40, heads: 24, mlpRatio: 2.66667 * 2,
                                          mlp: .swiGLUPacked, layerScale: true),
        "gigapath": .init(architecture: "vit_giant_patch14_dinov2", imageSize: 224, patchSize: 16,
                          embedDim: 1536, depth: 40, heads: 24, mlpRatio: 5.33334,
                          mlp: .swiGLUPacked, layerScale: true),
    ]

    /// A preset by name (`hf_hub:prov-gigapath/prov-gigapath` means `gigapath`).
    public static func preset(_ name: String) throws(VisionTransformerError) -> VisionTransformer.Config {
        let key = name == "hf_hub:prov-gigapath/prov-gigapath" ? "gigapath" : name
        guard let config = presets[key] else {
            throw VisionTransformerError.unknownArchitecture(
                name, known: presets.keys.sorted())
        }
        return config
    }
}

extension VisionTransformer.Config {
    /// The architecture a timm state dict implies: width, depth, patch size,
    /// image size, MLP kind and LayerScale from the tensor shapes; the head
    /// count cannot be seen in the weights, so it is `heads`, else `defaultHeads(width:)`.
    public static func inferred(from dict: StateDict, heads: Int? = nil,
                                architecture: String = "vit (inferred)") throws(VisionTransformerError) -> VisionTransformer.Config {
        typealias E = VisionTransformerError
        guard let proj = dict["patch_embed.proj.weight"]?.shape, proj.count == 4, proj[2] == proj[3] else {
            throw E.cannotInfer("no 4-d patch_embed.proj.weight")
        }
        let dim = proj[0]
        guard let pos = dict["pos_embed"]?.shape, pos.count == 3, pos[2] == dim else {
            throw E.cannotInfer("no pos_embed [1, tokens, \(dim)]")
        }
        guard pos[1] >= 2, proj[2] > 0 else { throw E.cannotInfer("pos_embed \(Tensor.describe(pos)), patch \(proj[2]): no patch tokens") }
        let grid = Int(Double(pos[1] - 1).squareRoot())
        guard grid * grid == pos[1] - 1 else { throw E.cannotInfer("pos_embed has \(pos[1]) tokens, not 1 + a square") }
        var depth = 0
        while dict["blocks.\(depth).norm1.weight"] != nil { depth += 1 }
        guard depth > 0 else { throw E.cannotInfer("no blocks.0") }
        guard let fc1 = dict["blocks.0.mlp.fc1.weight"]?.shape, let fc2 = dict["blocks.0.mlp.fc2.weight"]?.shape,
              fc1.count == 2, fc2.count == 2 else { throw E.cannotInfer("no blocks.0.mlp.fc1/fc2 weights") }
        let mlp: VisionTransformer.MlpKind
        if fc1[0] == fc2[1] { mlp = .gelu }
        else if fc1[0] == 2 * fc2[1] { mlp = .swiGLUPacked }
        else { throw E.cannotInfer("fc1 out \(fc1[0]) and fc2 in \(fc2[1]) fit neither Mlp nor SwiGLUPacked") }
        let heads = heads ?? Self.defaultHeads(width: dim)
        guard dim > 0, heads > 0, dim % heads == 0 else { throw E.invalid("embed dim \(dim) is not a multiple of \(heads) heads") }
        var config = VisionTransformer.Config(
            architecture: architecture, imageSize: grid * proj[2], patchSize: proj[2], inChans: proj[1],
            embedDim: dim, depth: depth, heads: heads, mlpRatio: Double(fc1[0]) / Double(dim),
            mlp: mlp, layerScale: dict["blocks.0.ls1.gamma"] != nil)
        config.mlpHidden = fc1[0]
        return config
    }
}

extension VisionTransformer.Config {
    /// timm's parameter names and shapes for this architecture, in timm's order, as the
    /// model's tree asks for them.
    public var parameterShapes: [(name: String, shape: [Int])] {
        WeightScope.parameterShapes { _ = VisionTransformer($0, validated: self) }
    }
}

extension VisionTransformer.Config {
    /// The head count assumed for weights without a config: timm's head width of 64 (every ViT
    /// preset, GigaPath included), or 32 below a width of 128 (the small test students).
    public static func defaultHeads(width: Int) -> Int {
        max(1, width < 128 ? width / 32 : width / 64)
    }
}

extension VisionTransformer {
    /// The feed-forward of a block: timm's `Mlp` (fc1 -> exact GELU -> fc2) or
    /// `SwiGLUPacked` (fc1 -> split in halves a, b -> silu(a) * b -> fc2).
    public enum MlpKind: String, Sendable {
        case gelu
        case swiGLUPacked
    }
}

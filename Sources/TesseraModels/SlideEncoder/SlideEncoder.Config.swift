import TesseraCore

extension SlideEncoder {
    /// The hyper-parameters of a LongNetViT slide encoder. Widths and depth come from the
    /// tensor shapes; the rest from `config.json` when there is one, else the real model's
    /// values (`gigapath_slide_enc12l768d`).
    public struct Config: Sendable, Equatable {
        public var inChans: Int
        public var embedDim: Int
        public var depth: Int
        public var ffnDim: Int
        public var heads: Int
        /// The (segment length, dilation ratio) branches of every layer's attention.
        public var branches: [DilatedAttention.Branch]
        /// Positions live on a gridSize x gridSize grid of tiles.
        public var gridSize: Int
        /// Level-0 pixels per grid cell.
        public var tileSize: Double

        public static let defaultHeads = 16
        public static let defaultBranches: [DilatedAttention.Branch] = zip(
            [1024, 5792, 32768, 185363, 1_048_576], [1, 2, 4, 8, 16]
        ).map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) }
        public static let defaultGridSize = 1000
        public static let defaultTileSize = 256.0

        public init(inChans: Int, embedDim: Int, depth: Int, ffnDim: Int, heads: Int,
                    branches: [DilatedAttention.Branch] = defaultBranches, gridSize: Int = defaultGridSize,
                    tileSize: Double = defaultTileSize) {
            self.inChans = inChans
            self.embedDim = embedDim
            self.depth = depth
            self.ffnDim = ffnDim
            self.heads = heads
            self.branches = branches
            self.gridSize = gridSize
            self.tileSize = tileSize
        }

        /// What a `config.json` may set (format: fixtures/slide_encoder/config.json); read on the host.
        public struct File: Sendable, Equatable {
            public var inChans: Int?
            public var embedDim: Int?
            public var depth: Int?
            public var heads: Int?
            public var branches: [DilatedAttention.Branch]?
            public var gridSize: Int?
            public var tileSize: Double?
            /// The `classifier` section of a fine-tuned run's config.json: the slide-level head
            /// after this encoder (nil: the file has none).
            public var classifier: SlideClassifier.Head?

            public init() {}
        }

        /// The configuration of the checkpoint `weights` (read from `file`, named in errors):
        /// widths, FFN size and depth from the shapes; heads from `heads`, else the config file,
        /// else 16; branches, grid and tile size from the config file (at `configPath`).
        public static func inferred(from weights: StateDict, file: String, configFile: File = File(),
                                    configPath: String = "config.json", heads: Int? = nil) throws(SlideEncoderError) -> Config {
            guard let projShape = weights["patch_embed.proj.weight"]?.shape else {
                throw SlideEncoderError.missingTensor(name: "patch_embed.proj.weight", file: file)
            }
            guard projShape.count == 2, projShape.allSatisfy({ $0 > 0 }) else {
                throw SlideEncoderError.notASlideEncoder(
                    file: file, reason: "patch_embed.proj.weight has shape \(Tensor.describe(projShape)), not [D, in_chans] (a tile encoder?)")
            }
            let dim = projShape[0], inChans = projShape[1]
            var depth = 0
            while weights["encoder.layers.\(depth).self_attn.q_proj.weight"] != nil { depth += 1 }
            guard depth > 0, let fc1Shape = weights["encoder.layers.0.ffn.fc1.weight"]?.shape else {
                throw SlideEncoderError.notASlideEncoder(file: file, reason: "no encoder.layers.0 (self_attn.q_proj, ffn.fc1)")
            }
            guard fc1Shape.count == 2, fc1Shape[0] > 0 else {
                throw SlideEncoderError.notASlideEncoder(
                    file: file, reason: "encoder.layers.0.ffn.fc1.weight has shape \(Tensor.describe(fc1Shape)), not [FFN, \(dim)]")
            }
            for (key, value, actual) in [("in_chans", configFile.inChans, inChans), ("embed_dim", configFile.embedDim, dim),
                                         ("depth", configFile.depth, depth)] {
                if let value, value != actual {
                    throw SlideEncoderError.badConfig(path: configPath, reason: "'\(key)' is \(value) but the checkpoint has \(actual)")
                }
            }
            let config = Config(inChans: inChans, embedDim: dim, depth: depth, ffnDim: fc1Shape[0],
                                heads: heads ?? configFile.heads ?? defaultHeads,
                                branches: configFile.branches ?? defaultBranches,
                                gridSize: configFile.gridSize ?? defaultGridSize,
                                tileSize: configFile.tileSize ?? defaultTileSize)
            try config.validate(source: heads == nil ? configPath : "heads")
            return config
        }

        /// prov-gigapath's parameter names and shapes for this configuration, as the model's tree asks for them.
        public var parameterShapes: [(name: String, shape: [Int])] {
            WeightScope.parameterShapes { _ = SlideEncoder($0, config: self) }
        }

        /// Sizes every division and table relies on; `source` is named in the error.
        public func validate(source: String) throws(SlideEncoderError) {
            guard heads > 0, embedDim % heads == 0 else {
                throw SlideEncoderError.badConfig(path: source, reason: "\(heads) heads do not divide the width \(embedDim)")
            }
            guard embedDim % 4 == 0 else {
                throw SlideEncoderError.badConfig(path: source, reason: "width \(embedDim) is not a multiple of 4 (2-D sine-cosine positions)")
            }
        }
    }
}

import TesseraCore
import TesseraModels

extension VisionTransformer {
    /// A tile encoder loaded from disk, with what identifies it in outputs.
    public struct Loaded: Sendable {
        public let model: VisionTransformer
        /// The state dict the model was built from (its tensors are the model's).
        public let weights: StateDict
        /// The weights file that was read.
        public let weightsPath: String
        /// The SHA-256 (hex) of the bytes that were read (`Checkpoint.weightsSHA256`).
        public var weightsSHA256: String { checkpoint.weightsSHA256 }
        let checkpoint: Checkpoint
        /// Where the architecture came from: "config.json", "preset", or "shapes".
        public let configSource: String
    }

    /// Loads a Hugging Face timm directory (`config.json` + `model.safetensors` or
    /// `pytorch_model.bin`) or a weights file in any form `Checkpoint.open` reads
    /// (safetensors, torch zip or legacy, timm training checkpoints). The
    /// architecture comes, in order, from the directory's `config.json`, from
    /// `architecture` (a preset name), or from the shapes (heads = D/64). When both
    /// a config.json and `architecture` are given they must agree. The Linear layers compute
    /// in `precision`.
    public static func load(path: String, architecture: String? = nil, precision: ComputePrecision = .f32) throws -> Loaded {
        let checkpoint = try Checkpoint.open(path: path)
        let config: Config, source: String
        if let json = checkpoint.config {
            config = try Config(timmConfig: json, path: (path.hasSuffix("/") ? path : path + "/") + "config.json")
            source = "config.json"
            if let architecture, try Config.preset(architecture).architecture != config.architecture {
                throw VisionTransformerError.invalid("the architecture \(architecture) contradicts config.json's \(config.architecture)")
            }
        } else if let architecture {
            config = try Config.preset(architecture)
            source = "preset"
        } else {
            config = try Config.inferred(from: checkpoint.stateDict)
            source = "shapes"
        }
        return Loaded(model: try VisionTransformer(weights: checkpoint.stateDict, config: config, precision: precision), weights: checkpoint.stateDict,
                      weightsPath: checkpoint.weightsPath, checkpoint: checkpoint, configSource: source)
    }
}

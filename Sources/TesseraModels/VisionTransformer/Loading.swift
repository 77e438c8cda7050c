import Foundation
import TesseraFormats

extension VisionTransformer {
    /// A tile encoder loaded from disk, with what identifies it in outputs.
    public struct Loaded: Sendable {
        public let model: VisionTransformer
        /// The weights file that was read.
        public let weightsPath: String
        /// Where the architecture came from: "config.json", "preset", or "shapes".
        public let configSource: String
    }

    /// Loads a Hugging Face timm directory (`config.json` + `model.safetensors`)
    /// or a weights file. The architecture comes, in order, from the directory's
    /// `config.json`, from `architecture` (a preset name), or from the shapes
    /// (heads = D/64). When both a config.json and `architecture` are given they
    /// must agree.
    public static func load(path: String, architecture: String? = nil) throws -> Loaded {
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        guard exists else { throw ConfigError.unreadable(path: path, reason: "no such file or directory") }
        let weightsPath: String
        var timm: TimmConfig?
        if isFolder.boolValue {
            let candidates = ["model.safetensors"].map { path + "/" + $0 }
            guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw ConfigError.unreadable(path: path, reason: "a model directory needs model.safetensors")
            }
            weightsPath = found
            let configPath = path + "/config.json"
            if FileManager.default.fileExists(atPath: configPath) { timm = try TimmConfig.read(path: configPath) }
        } else {
            weightsPath = path
        }
        let weights = try SafeTensors.read(path: weightsPath)
        let config: Config, source: String
        if let timm {
            config = try timm.resolved()
            source = "config.json"
            if let architecture, try Config.preset(architecture).architecture != config.architecture {
                throw ConfigError.invalid("--arch \(architecture) contradicts config.json's \(config.architecture)")
            }
        } else if let architecture {
            config = try Config.preset(architecture)
            source = "preset"
        } else {
            config = try Config.inferred(from: weights)
            source = "shapes"
        }
        return Loaded(model: try VisionTransformer(weights: weights, config: config), weightsPath: weightsPath,
                      configSource: source)
    }
}

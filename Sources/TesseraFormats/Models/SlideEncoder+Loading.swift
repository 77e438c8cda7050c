import Foundation
import TesseraCore
import TesseraModels

extension SlideEncoder {
    /// Loads a slide encoder from a checkpoint file (safetensors, or a torch zip / legacy
    /// checkpoint holding `{"model": state_dict}` as prov-gigapath ships it, another usual
    /// wrapper, or a bare state dict: whatever `Checkpoint.open` reads) or from the
    /// directory holding one; `config.json` beside it is read when present.
    public static func load(path: String, heads: Int? = nil) throws -> SlideEncoder {
        try loaded(path: path, heads: heads).model
    }

    /// A slide encoder loaded from disk, with the state dict it was built from.
    public struct Loaded: Sendable {
        public let model: SlideEncoder
        /// prov-gigapath's names; the tensors are the model's.
        public let weights: StateDict
        /// The checkpoint file that was read.
        public let weightsPath: String
        /// The SHA-256 (hex) of the bytes that were read (`Checkpoint.weightsSHA256`).
        public var weightsSHA256: String { checkpoint.weightsSHA256 }
        let checkpoint: Checkpoint
    }

    /// `load(path:heads:)`, keeping the state dict and the file.
    public static func loaded(path: String, heads: Int? = nil) throws -> Loaded {
        let file = try checkpointFile(path)
        let configPath = (file as NSString).deletingLastPathComponent + "/config.json"
        let configFile = FileManager.default.fileExists(atPath: configPath)
            ? try SlideEncoder.Config.File(path: configPath) : SlideEncoder.Config.File()
        let checkpoint = try Checkpoint.open(path: file)
        let weights = checkpoint.stateDict
        let config = try SlideEncoder.Config.inferred(from: weights, file: file, configFile: configFile,
                                                      configPath: configPath, heads: heads)
        return Loaded(model: try SlideEncoder(weights: weights, config: config, name: "\(file) (slide encoder)"),
                      weights: weights, weightsPath: file, checkpoint: checkpoint)
    }

    /// `path` itself, or the checkpoint inside the directory `path`: the first of
    /// slide_encoder.safetensors, slide_encoder.pth, model.safetensors, or the only
    /// *.safetensors / *.pth file.
    public static func checkpointFile(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MappedFile.Error.open(path: path, errno: ENOENT)
        }
        guard isDirectory.boolValue else { return path }
        for name in ["slide_encoder.safetensors", "slide_encoder.pth", "model.safetensors"]
        where FileManager.default.fileExists(atPath: path + "/" + name) {
            return path + "/" + name
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        for ext in ["safetensors", "pth"] {
            let matches = files.filter { $0.hasSuffix("." + ext) }
            if matches.count == 1 { return path + "/" + matches[0] }
        }
        throw SlideEncoderError.noCheckpoint(directory: path)
    }
}

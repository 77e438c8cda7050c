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

    /// A slide encoder loaded from disk, with the state dict it was built from, and the
    /// fine-tuned classifier after it when the checkpoint is a run's (`ClassificationHead`).
    public struct Loaded: Sendable {
        public let model: SlideEncoder
        /// prov-gigapath's names (without a run's `slide_encoder.` prefix); the tensors are the model's.
        public let weights: StateDict
        /// The checkpoint file that was read.
        public let weightsPath: String
        /// The SHA-256 (hex) of the bytes that were read (`Checkpoint.weightsSHA256`).
        public var weightsSHA256: String { checkpoint.weightsSHA256 }
        /// The fine-tuned head: config.json's `classifier` section with the checkpoint's `classifier.0`.
        public let classifier: SlideClassifier?
        /// The classifier's tensors under the checkpoint's names (`classifier.0.weight`,
        /// `classifier.0.bias`); empty without a classifier.
        public let classifierWeights: StateDict
        let checkpoint: Checkpoint
    }

    /// upstream's `ClassificationHead.state_dict()` holds the slide encoder under this prefix,
    /// beside the classifier (`classifier.0.*`).
    public static let runPrefix = "slide_encoder"

    /// `load(path:heads:)`, keeping the state dict and the file. A checkpoint whose names carry
    /// `slide_encoder.` (a fine-tuned run's `model.safetensors`, upstream's `checkpoint.pt`)
    /// holds the slide encoder there and the classifier beside it, which config.json's
    /// `classifier` section describes: one without the other is refused, naming both files.
    public static func loaded(path: String, heads: Int? = nil, precision: ComputePrecision = .f32) throws -> Loaded {
        let file = try checkpointFile(path)
        let configPath = (file as NSString).deletingLastPathComponent + "/config.json"
        let configFile = FileManager.default.fileExists(atPath: configPath)
            ? try SlideEncoder.Config.File(path: configPath) : SlideEncoder.Config.File()
        let checkpoint = try Checkpoint.open(path: file)
        let all = checkpoint.stateDict
        let prefixed = all.names.contains { $0.hasPrefix(runPrefix + ".") }
        let weights = prefixed ? all.scoped(runPrefix) : all
        var rest = StateDict()
        if prefixed { for (name, tensor) in all.entries where !name.hasPrefix(runPrefix + ".") { rest.set(name, tensor) } }
        let config = try SlideEncoder.Config.inferred(from: weights, file: file, configFile: configFile,
                                                      configPath: configPath, heads: heads)
        let model = try SlideEncoder(weights: weights, config: config, name: "\(file) (slide encoder)", precision: precision)
        var classifier: SlideClassifier?
        switch (configFile.classifier, rest.count) {
        case (nil, 0):
            break
        case (.some, 0):
            throw SlideEncoderError.badConfig(
                path: configPath, reason: "has a '\(SlideClassifier.Head.configKey)' section, but \(file) holds no classifier weights "
                    + "(classifier.0.weight and .bias beside slide_encoder.*, as a fine-tuned run saves them)")
        case (nil, _):
            throw SlideEncoderError.badConfig(
                path: file, reason: "holds \(MessageText.list(rest.names)) beside the slide encoder (a fine-tuned classifier?), "
                    + "but \(configPath) has no '\(SlideClassifier.Head.configKey)' section saying its feature layers, pooling, "
                    + "setting and classes")
        case (let head?, _):
            try head.check(depth: config.depth, path: configPath)
            let scope = WeightScope(rest)
            let built = SlideClassifier(scope, head: head, embedDim: config.embedDim)
            do { try scope.finish(model: "\(file) (classifier)") } catch { throw SlideEncoderError.weights(error) }
            classifier = built
        }
        return Loaded(model: model, weights: weights, weightsPath: file, classifier: classifier,
                      classifierWeights: rest, checkpoint: checkpoint)
    }

    /// `path` itself, or the checkpoint inside the directory `path`: the first of
    /// slide_encoder.safetensors, slide_encoder.pth, model.safetensors, checkpoint.pt (upstream's
    /// fine-tuning), or the only *.safetensors / *.pth file.
    public static func checkpointFile(_ path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MappedFile.Error.open(path: path, errno: ENOENT)
        }
        guard isDirectory.boolValue else { return path }
        for name in ["slide_encoder.safetensors", "slide_encoder.pth", "model.safetensors", "checkpoint.pt"]
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

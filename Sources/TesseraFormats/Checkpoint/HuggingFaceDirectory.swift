import Foundation
import TesseraCore

/// A folder in the Hugging Face timm layout: `config.json` and the weights as
/// `model.safetensors` (preferred, as `timm` itself prefers it) or `pytorch_model.bin`.
struct HuggingFaceDirectory {
    static let weightsFiles = ["model.safetensors", "pytorch_model.bin"]

    let weightsPath: String
    let config: JSONValue?

    /// nil when `path` is not a directory.
    init?(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return nil
        }
        let folder = path.hasSuffix("/") ? path : path + "/"
        guard let weights = Self.weightsFiles.map({ folder + $0 }).first(where: FileManager.default.fileExists) else {
            throw FormatError(path: path, problem: .noWeightsInDirectory)
        }
        weightsPath = weights
        let configPath = folder + "config.json"
        if FileManager.default.fileExists(atPath: configPath) {
            let file = try MappedFile.checked(configPath)
            config = try JSONParser.parse(file.bytes, path: configPath)
        } else {
            config = nil
        }
    }
}

import TesseraCore

/// A model's weights opened from whatever form they come in: a safetensors
/// file, a PyTorch zip or legacy checkpoint (told apart by their first bytes,
/// never by the extension), or a Hugging Face timm directory (`config.json`
/// beside `model.safetensors` or `pytorch_model.bin`), which opens as one model.
public struct Checkpoint: Sendable {
    public enum Format: String, Sendable {
        case safetensors
        case torchZip = "torch zip"
        case torchLegacy = "torch legacy"
    }

    /// The path that was opened (file or directory).
    public let path: String
    /// The weights file that was read: `path` itself, or the file inside the directory.
    public let weightsPath: String
    public let format: Format
    /// True for a Hugging Face directory.
    public let isDirectory: Bool
    /// How the state dict was found inside a torch checkpoint (wrapper key,
    /// stripped prefix), nil when the tensors were at the top (always so for safetensors).
    public let wrapper: String?
    /// The directory's `config.json`, when there is one.
    public let config: JSONValue?
    public let stateDict: StateDict
    /// The weights file as it was mapped and read: the bytes `stateDict` came from, whatever the
    /// path names by now.
    public let weightsFile: MappedFile

    /// The SHA-256 (hex) of `weightsFile`'s bytes, the ones that were read (not of the path
    /// again: a file replaced meanwhile would name other weights than those that ran).
    public var weightsSHA256: String { SHA256.hex(SHA256.digest(weightsFile.bytes)) }

    /// "safetensors", "torch zip", ..., or "hf directory (torch zip: pytorch_model.bin)".
    public var formatDescription: String {
        guard isDirectory else { return format.rawValue }
        let file = weightsPath.split(separator: "/").last.map(String.init) ?? weightsPath
        return "hf directory (\(format.rawValue): \(file))"
    }

    /// Opens `path`; `key` picks the wrapper inside a torch checkpoint
    /// ("state_dict_ema", ...) instead of the default choice.
    public static func open(path: String, key: String? = nil) throws -> Checkpoint {
        if let directory = try HuggingFaceDirectory(path: path) {
            return try open(weights: directory.weightsPath, key: key, requested: path, directory: directory)
        }
        return try open(weights: path, key: key, requested: path, directory: nil)
    }

    private static func open(weights: String, key: String?, requested: String,
                             directory: HuggingFaceDirectory?) throws -> Checkpoint {
        let file = try MappedFile.checked(weights)
        let format = try Format.detect(file)
        let stateDict: StateDict
        let wrapper: String?
        switch format {
        case .safetensors:
            if let key { throw FormatError(path: weights, problem: .noWrapperKeys(key: key)) }
            stateDict = try SafeTensors.read(file)
            wrapper = nil
        case .torchZip, .torchLegacy:
            (stateDict, wrapper) = try torchStateDict(file, key: key)
        }
        return Checkpoint(path: requested, weightsPath: weights, format: format, isDirectory: directory != nil,
                          wrapper: wrapper, config: directory?.config, stateDict: stateDict, weightsFile: file)
    }
}

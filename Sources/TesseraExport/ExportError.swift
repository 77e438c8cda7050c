/// Why a bundle cannot be made from the given models or run folder.
public enum ExportError: Error, CustomStringConvertible {
    /// The tile encoder's architecture name is not an identifier (a name inferred from shapes).
    case architectureName(String)
    /// The slide encoder's grid cell is not a whole number of pixels.
    case tileSize(Double)
    /// The models do not fit together.
    case mismatch(String)
    /// A distillation run folder that cannot be read as one.
    case run(path: String, reason: String)

    public var description: String {
        switch self {
        case .architectureName(let name):
            return "the tile encoder's architecture '\(name)' cannot name it in a bundle (1...256 characters of "
                + "A-Z a-z 0-9 _ . -): name the architecture (a preset, or a config.json beside the weights)"
        case .tileSize(let size):
            return "the slide encoder's tile size \(size) is not a whole number of pixels"
        case .mismatch(let why):
            return why
        case .run(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}

/// What can go wrong building or running a tile encoder; every case says where.
public enum VisionTransformerError: Error, CustomStringConvertible {
    case unknownArchitecture(String, known: [String])
    case unreadable(path: String, reason: String)
    case cannotInfer(String)
    case invalid(String)
    case weights(WeightMismatch)
    case badInput(String)

    public var description: String {
        switch self {
        case .unknownArchitecture(let name, let known):
            return "unknown architecture '\(name)' (known: \(known.joined(separator: ", ")))"
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .cannotInfer(let why): return "cannot infer the architecture from the weights: \(why)"
        case .invalid(let why): return "invalid configuration: \(why)"
        case .weights(let mismatch): return mismatch.description
        case .badInput(let why): return why
        }
    }
}

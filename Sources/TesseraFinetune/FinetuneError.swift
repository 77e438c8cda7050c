/// What went wrong in a fine-tuning or probe run, naming the file, the slide or the field.
public enum FinetuneError: Error, CustomStringConvertible, Equatable {
    /// A task config, labels CSV, split file or feature file that cannot be used: the file and why.
    case badInput(file: String, reason: String)

    public var description: String {
        switch self {
        case .badInput(let file, let reason): return "\(file): \(reason)"
        }
    }
}

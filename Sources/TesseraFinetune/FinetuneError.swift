/// What went wrong in a fine-tuning or probe run, naming the file, the slide or the field.
public enum FinetuneError: Error, CustomStringConvertible, Equatable {
    /// A task config, labels CSV, split file or feature file that cannot be used: the file and why.
    case badInput(file: String, reason: String)
    /// A field of a task config (`label_dict`, `setting`, ...) that is missing or wrong: the file, the field and why.
    case badField(file: String, field: String, reason: String)
    /// A row of a CSV file (labels, splits) that cannot be used: the file, the data row (1 = the first
    /// row after the header) and why.
    case badRow(file: String, row: Int, reason: String)
    /// Inputs of a computation that do not fit together (metrics of [S, C] probabilities and
    /// labels, a probe's options): what is wrong.
    case badArgument(String)
    /// A slide's loss is not finite: training stops before the optimizer, the last checkpoint intact.
    case nonFinite(slide: String, epoch: Int, step: Int, loss: Double)

    public var description: String {
        switch self {
        case .badInput(let file, let reason): return "\(file): \(reason)"
        case .badField(let file, let field, let reason): return "\(file): \(field): \(reason)"
        case .badRow(let file, let row, let reason): return "\(file): data row \(row): \(reason)"
        case .badArgument(let reason): return reason
        case .nonFinite(let slide, let epoch, let step, let loss):
            return "slide \(slide) (epoch \(epoch), step \(step + 1)): the loss is \(loss); stopped before the optimizer step, "
                + "the last checkpoint is intact (a lower --lr, or a look at the slide's features, may help)"
        }
    }
}

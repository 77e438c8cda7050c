import TesseraBundle
import TesseraIO

/// Why the engine stopped: a bundle the reader refused, tensors that do not make the
/// configured models, a slide it cannot run, or an output it cannot write.
public enum EdgeError: Error, CustomStringConvertible {
    /// The bundle itself (header, manifest, layout, a tensor's checksum or encoding).
    case bundle(BundleError)
    /// The bundle at `path` is well formed, but its tensors or configuration do not make the model `model`.
    case model(path: String, model: String, reason: String)
    /// The tiles, a tile buffer or the slide folder.
    case input(String)
    /// Writing the output file at `path`.
    case output(path: String, reason: String)
    /// An output refused before any work (its folder, its kind, or one of the inputs under another name).
    case unsafeOutput(OutputError)
    /// The bundle at `path` passed every check, yet its models gave a NaN or infinite value:
    /// `what` names the output, the tile (or element) and the value.
    case nonFinite(path: String, what: String)

    public var description: String {
        switch self {
        case .bundle(let error): return error.description
        case .model(let path, let model, let reason): return "\(path): the \(model) cannot be built: \(reason)"
        case .input(let reason): return reason
        case .output(let path, let reason): return "\(path): cannot write the output: \(reason)"
        case .unsafeOutput(let error): return error.description
        case .nonFinite(let path, let what):
            return "\(path): the models give a non-finite output, \(what): refused (the weights or the tile transform overflow f32)"
        }
    }
}

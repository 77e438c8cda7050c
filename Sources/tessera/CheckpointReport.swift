import TesseraCore
import TesseraFormats

/// What `tessera inspect` prints about a checkpoint, as text or as JSON.
struct CheckpointReport {
    let checkpoint: Checkpoint

    init(_ checkpoint: Checkpoint) { self.checkpoint = checkpoint }

    var json: JSONValue {
        let dict = checkpoint.stateDict
        return .object([
            ("path", .string(checkpoint.path)),
            ("weights", .string(checkpoint.weightsPath)),
            ("format", .string(checkpoint.format.rawValue)),
            ("hf_directory", .bool(checkpoint.isDirectory)),
            ("wrapper", checkpoint.wrapper.map { .string($0) } ?? .null),
            ("tensor_count", .number(String(dict.count))),
            ("parameter_count", .number(String(dict.parameterCount))),
            ("metadata", JSONValue(sortedStrings: dict.metadata)),
            ("config", checkpoint.config ?? .null),
            ("tensors", .array(dict.entries.map { entry in
                .object([
                    ("name", .string(entry.name)),
                    ("dtype", .string(entry.tensor.dtype.rawValue)),
                    ("shape", .array(entry.tensor.shape.map { .number(String($0)) })),
                ])
            })),
        ])
    }

    var text: String {
        let dict = checkpoint.stateDict
        var lines = [
            "path        \(checkpoint.path)",
            "format      \(checkpoint.formatDescription)",
            "wrapper     \(checkpoint.wrapper ?? "none")",
            "tensors     \(dict.count)",
            "parameters  \(Self.grouped(dict.parameterCount))",
        ]
        for key in dict.metadata.keys.sorted() { lines.append("metadata    \(key) = \(dict.metadata[key] ?? "")") }
        if let config = checkpoint.config { lines.append("config      \(config.serialized())") }
        let tensors = dict.entries
        let width = tensors.map(\.name.count).max() ?? 0
        lines.append("")
        for (name, tensor) in tensors {
            let padded = name + String(repeating: " ", count: width - name.count)
            let dtype = tensor.dtype.rawValue + String(repeating: " ", count: 5 - tensor.dtype.rawValue.count)
            lines.append("\(padded)  \(dtype) \(tensor.shape)")
        }
        return lines.joined(separator: "\n")
    }

    /// 1234567 -> "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        return digits.enumerated().map { i, c in
            (i > 0 && (digits.count - i) % 3 == 0 ? "," : "") + String(c)
        }.joined()
    }
}

import TesseraCore

extension SafeTensors {
    /// What `write` does to floating-point tensors; integer and bool tensors
    /// are always written as they are.
    public enum OutputDType: String, CaseIterable, Sendable {
        case keep, f32, f16, bf16

        public func dtype(for source: DType) -> DType {
            guard source.isFloatingPoint else { return source }
            switch self {
            case .keep: return source
            case .f32: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        }
    }

    /// Writes `dict` in its own order, atomically (temporary file + rename),
    /// streaming tensor by tensor: converted tensors go through a bounded
    /// buffer and mapped source pages are released once written, so memory
    /// stays far below the file size. `progress(written, total)` counts data bytes.
    /// What the reader would refuse is refused before anything is written: a
    /// tensor named `__metadata__`, a header above `headerLimit`, and an output
    /// path that is not a regular file (see `OutputPath`).
    public static func write(_ dict: StateDict, to path: String, dtype: OutputDType = .keep,
                             progress: ((_ written: Int, _ total: Int) -> Void)? = nil) throws(FormatError) {
        let tensors = dict.entries
        if dict[metadataKey] != nil { throw FormatError(path: path, tensor: metadataKey, problem: .reservedName) }
        let targets = tensors.map { dtype.dtype(for: $0.tensor.dtype) }
        let sizes = zip(tensors, targets).map { $0.tensor.count * $1.size }
        let header = headerBytes(names: tensors.map { $0.name }, shapes: tensors.map { $0.tensor.shape },
                                 dtypes: targets, sizes: sizes, metadata: dict.metadata)
        guard header.count <= headerLimit else {
            throw FormatError(path: path, problem: .headerTooLarge(length: UInt64(header.count), limit: headerLimit))
        }
        let total = sizes.reduce(0, +)
        let file = try AtomicFile(path: path)
        // The length, then the header. withUnsafeBytes rethrows untyped errors: the typed one travels in a Result.
        let head = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * $0)) } + header
        try head.withUnsafeBytes { bytes in Result { () throws(FormatError) in try file.write(bytes) } }.get()
        var written = 0
        for (entry, target) in zip(tensors, targets) {
            try TensorStream.write(entry.tensor, as: target, to: file) { bytes in
                written += bytes
                progress?(written, total)
            }
        }
        try file.commit()
    }

    /// The JSON header, `__metadata__` first (keys sorted), then the tensors
    /// in order with consecutive offsets, padded with spaces to a multiple of 8.
    static func headerBytes(names: [String], shapes: [[Int]], dtypes: [DType], sizes: [Int],
                            metadata: [String: String]) -> [UInt8] {
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append((metadataKey, JSONValue(sortedStrings: metadata)))
        }
        var offset = 0
        for i in names.indices {
            members.append((names[i], .object([
                ("dtype", .string(dtypes[i].rawValue)),
                ("shape", .array(shapes[i].map { .number(String($0)) })),
                ("data_offsets", .array([.number(String(offset)), .number(String(offset + sizes[i]))])),
            ])))
            offset += sizes[i]
        }
        var bytes = Array(JSONValue.object(members).serialized().utf8)
        bytes.append(contentsOf: repeatElement(0x20, count: (8 - bytes.count % 8) % 8))
        return bytes
    }
}

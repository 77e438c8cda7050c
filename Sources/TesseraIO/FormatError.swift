import CPosix

/// What is wrong with a checkpoint file, and where: the file, the tensor when
/// one is concerned, and the byte offset in the file when one is known.
public struct FormatError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let tensor: String?
    public let offset: Int?
    public let problem: Problem

    public init(path: String, tensor: String? = nil, offset: Int? = nil, problem: Problem) {
        self.path = path
        self.tensor = tensor
        self.offset = offset
        self.problem = problem
    }

    public enum Problem: Equatable, Sendable {
        case fileTooShort(size: Int)
        case headerTooLarge(length: UInt64, limit: Int)
        case headerPastEnd(length: UInt64, available: Int)
        case invalidUTF8
        case malformedJSON(expected: String)
        case nestingTooDeep(limit: Int)
        case duplicateKey(String)
        case headerNotObject
        case malformedEntry(String)
        case numberOutOfRange(String)
        case unknownDType(String)
        case shapeOverflow(shape: [Int])
        case byteSizeMismatch(expected: Int, actual: Int)
        case offsetsPastEnd(end: Int, dataSize: Int)
        case overlapping(previous: String)
        case gap(start: Int, end: Int)
        case metadataNotStrings(key: String)
        case unknownFormat
        case noWeightsInDirectory
        case noWrapperKeys(key: String)
        case notARegularFile
        /// An output path that names something other than a regular file ("directory", "FIFO", ...).
        case notAnOutputFile(kind: String)
        /// A tensor name the safetensors format reserves ("__metadata__").
        case reservedName
        case io(operation: String, errno: Int32)
    }

    /// At most a few lines however long the names and values in the file are.
    public var description: String {
        var where_ = path
        if let tensor { where_ += ": tensor '\(MessageText.excerpt(tensor))'" }
        if let offset { where_ += ": at byte \(offset)" }
        return MessageText.capped("\(where_): \(problem.explanation)")
    }
}

extension FormatError.Problem {
    public var explanation: String {
        switch self {
        case .fileTooShort(let size):
            return "file of \(size) bytes is too short to be a checkpoint"
        case .headerTooLarge(let length, let limit):
            return "header length \(length) exceeds the limit of \(limit) bytes"
        case .headerPastEnd(let length, let available):
            return "header length \(length) runs past the end of the file (\(available) bytes after the length field; truncated?)"
        case .invalidUTF8:
            return "header is not valid UTF-8"
        case .malformedJSON(let expected):
            return "malformed JSON: expected \(expected)"
        case .nestingTooDeep(let limit):
            return "JSON nesting deeper than \(limit) levels"
        case .duplicateKey(let key):
            return "duplicate key '\(MessageText.excerpt(key))'"
        case .headerNotObject:
            return "header is not a JSON object"
        case .malformedEntry(let what):
            return "malformed entry: \(what)"
        case .numberOutOfRange(let literal):
            return "number \(MessageText.excerpt(literal)) is not a non-negative integer that fits in 64 bits"
        case .unknownDType(let name):
            return "unknown dtype '\(MessageText.excerpt(name))'"
        case .shapeOverflow(let shape):
            return "shape \(MessageText.numbers(shape)) has more bytes than fit in 64 bits"
        case .byteSizeMismatch(let expected, let actual):
            return "shape and dtype need \(expected) bytes but data_offsets span \(actual)"
        case .offsetsPastEnd(let end, let dataSize):
            return "data_offsets end \(end) is past the data area of \(dataSize) bytes (truncated?)"
        case .overlapping(let previous):
            return "data overlaps tensor '\(MessageText.excerpt(previous))'"
        case .gap(let start, let end):
            return "data bytes \(start)..<\(end) belong to no tensor"
        case .metadataNotStrings(let key):
            return "__metadata__ value for '\(MessageText.excerpt(key))' is not a string"
        case .unknownFormat:
            return "not a safetensors, PyTorch zip or legacy PyTorch file (unrecognised first bytes)"
        case .noWeightsInDirectory:
            return "directory holds neither model.safetensors nor pytorch_model.bin"
        case .noWrapperKeys(let key):
            return "safetensors files hold no wrapper keys (asked for '\(MessageText.excerpt(key))')"
        case .notARegularFile:
            return "not a regular file"
        case .notAnOutputFile(let kind):
            return "is a \(kind), not a regular file: outputs are written as regular files only"
        case .reservedName:
            return "the name is reserved by safetensors for the header's metadata; rename the tensor"
        case .io(let operation, let errno):
            return "\(operation) failed: \(String(cString: strerror(errno)))"
        }
    }
}

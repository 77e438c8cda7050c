import TesseraCore

/// What is wrong with a bundle, and where: the file, the tensor when one is
/// concerned, and the byte offset in the file when one is known.
public struct BundleError: Error, Equatable, CustomStringConvertible {
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
        // The file and its header.
        case cannotOpen(reason: String)
        case fileTooShort(size: Int)
        case badMagic
        case unsupportedVersion(UInt32, supported: ClosedRange<UInt32>)
        case reservedNotZero
        case manifestLength(UInt64, limit: Int)
        case manifestPastEnd(length: Int, available: Int)
        case manifestChecksum(expected: String, actual: String)
        // The manifest's fields.
        case manifestUndecodable
        case manifestNotCanonical(reencodedLength: Int, firstDifference: Int)
        case missingField(String)
        case fieldOfNewerVersion(field: String, version: UInt32, bundleVersion: UInt32)
        case outOfRange(field: String, value: String, expected: String)
        case unknownEnumValue(field: String, value: Int)
        case invalidText(field: String, rule: String)
        case badNumber(field: String, expected: String)
        case duplicate(field: String, value: String)
        case inconsistent(String)
        // Tensors as declared.
        case rankTooHigh(rank: Int, limit: Int)
        case zeroDimension(shape: [UInt64])
        case shapeOverflow(shape: [UInt64])
        case storedLength(expected: Int, declared: UInt64)
        case rawLength(expected: Int, declared: UInt64)
        case decompressedTooLarge(total: Int, limit: Int)
        case outsideComponents
        case componentWithoutTensors(String)
        case missingTensor(referencedBy: String)
        case wrongShape(expected: [Int], actual: [Int])
        case wrongDType(expected: String, actual: String)
        case scalesShared(with: String)
        // The layout of the data area.
        case misaligned
        case overlaps(previous: String)
        case gap(start: Int, end: Int)
        case pastEnd(end: UInt64, fileSize: Int)
        case paddingNotZero
        case trailingBytes(start: Int, end: Int)
        // A tensor's bytes, checked when it is read.
        case tensorChecksum(expected: String, actual: String)
        case zstdInvalid(String)
        case zstdContentSize(declared: UInt64?, expected: Int)
        case zstdExpandsPastRawLength(rawLength: Int)
        case zstdShort(produced: Int, expected: Int)
        case zstdTrailingData(frameLength: Int, storedLength: Int)
        case badScale(row: Int)
        // What the writer refuses.
        case unsupportedDType(String)
        case nonFinite(element: Int)
        case beyondF16(element: Int)
        /// A finite f32 value that rounds to infinity in bf16 (within half a bf16 step of f32's largest).
        case beyondBF16(element: Int)
    }

    public var description: String {
        // The mapping's own message already names the file.
        if case .cannotOpen(let reason) = problem { return reason }
        var place = path
        if let tensor { place += ": tensor '\(tensor)'" }
        if let offset { place += ": at byte \(offset)" }
        return "\(place): \(problem.explanation)"
    }
}

extension BundleError.Problem {
    var explanation: String {
        switch self {
        case .cannotOpen(let reason):
            return reason
        case .fileTooShort(let size):
            return "file of \(size) bytes is shorter than the \(BundleFormat.headerSize)-byte bundle header"
        case .badMagic:
            return "not a Tessera bundle (the first 8 bytes are not \\x89TSB\\r\\n\\x1a\\n)"
        case .unsupportedVersion(let version, let supported):
            return "format version \(version) is not supported (this reader knows versions \(supported.lowerBound) to \(supported.upperBound))"
        case .reservedNotZero:
            return "reserved header bytes 12..<16 and 56..<64 must be zero"
        case .manifestLength(let length, let limit):
            return "manifest length \(length) is not in 1...\(limit)"
        case .manifestPastEnd(let length, let available):
            return "manifest of \(length) bytes runs past the end of the file (\(available) bytes after the header; truncated?)"
        case .manifestChecksum(let expected, let actual):
            return "manifest SHA-256 is \(actual), the header says \(expected) (corrupted)"
        case .manifestUndecodable:
            return "manifest is not a valid tessera.bundle.Manifest protobuf message"
        case .manifestNotCanonical(let length, let first):
            return "manifest is not in canonical protobuf encoding (re-encoded it has \(length) bytes, differing at manifest byte \(first))"
        case .missingField(let field):
            return "required field '\(field)' is missing"
        case .fieldOfNewerVersion(let field, let version, let bundleVersion):
            return "'\(field)' is a format version \(version) field, but the bundle declares version \(bundleVersion) "
                + "(a version \(bundleVersion) reader would ignore it and compute something else)"
        case .outOfRange(let field, let value, let expected):
            return "'\(field)' is \(value), expected \(expected)"
        case .unknownEnumValue(let field, let value):
            return "'\(field)' has the unknown value \(value) (written by a newer Tessera?)"
        case .invalidText(let field, let rule):
            return "'\(field)' must be \(rule)"
        case .badNumber(let field, let expected):
            return "'\(field)' must be \(expected)"
        case .duplicate(let field, let value):
            return "'\(field)' holds '\(value)' twice"
        case .inconsistent(let why):
            return "inconsistent configuration: \(why)"
        case .rankTooHigh(let rank, let limit):
            return "rank \(rank) exceeds the limit of \(limit)"
        case .zeroDimension(let shape):
            return "shape \(format(shape)) has a zero dimension"
        case .shapeOverflow(let shape):
            return "shape \(format(shape)) has more bytes than fit in a signed 64-bit size"
        case .storedLength(let expected, let declared):
            return "stored length is \(declared), but dtype and shape need \(expected) bytes"
        case .rawLength(let expected, let declared):
            return "raw length is \(declared), but dtype and shape need \(expected) bytes"
        case .decompressedTooLarge(let total, let limit):
            return "compressed tensors would decompress to \(total) bytes, over the limit of \(limit)"
        case .outsideComponents:
            return "name belongs to no component present in the bundle (tile_encoder., slide_encoder., teacher_head., classifier.)"
        case .componentWithoutTensors(let component):
            return "component '\(component)' is configured but has no tensors"
        case .missingTensor(let referrer):
            return "tensor is referenced by \(referrer) but not in the bundle"
        case .wrongShape(let expected, let actual):
            return "shape \(format(actual)), expected \(format(expected))"
        case .wrongDType(let expected, let actual):
            return "dtype \(actual), expected \(expected)"
        case .scalesShared(let other):
            return "scale tensor is already the scales of '\(other)'"
        case .misaligned:
            return "offset is not a multiple of \(BundleFormat.alignment)"
        case .overlaps(let previous):
            return "data overlaps \(previous)"
        case .gap(let start, let end):
            return "bytes \(start)..<\(end) before this tensor belong to nothing (more than alignment padding)"
        case .pastEnd(let end, let fileSize):
            return "data ends at byte \(end), past the end of the file (\(fileSize) bytes; truncated?)"
        case .paddingNotZero:
            return "alignment padding must be zero"
        case .trailingBytes(let start, let end):
            return "bytes \(start)..<\(end) after the last tensor belong to nothing"
        case .tensorChecksum(let expected, let actual):
            return "stored bytes have SHA-256 \(actual), the manifest says \(expected) (corrupted)"
        case .zstdInvalid(let reason):
            return "zstd data is invalid: \(reason)"
        case .zstdContentSize(let declared, let expected):
            let said = declared.map { "declares \($0) bytes" } ?? "does not declare its content size"
            return "zstd frame \(said), expected \(expected)"
        case .zstdExpandsPastRawLength(let rawLength):
            return "zstd data expands past its raw length of \(rawLength) bytes (refused before inflating further)"
        case .zstdShort(let produced, let expected):
            return "zstd data gives \(produced) bytes, expected \(expected)"
        case .zstdTrailingData(let frameLength, let storedLength):
            return "stored bytes hold more than one zstd frame (the first ends at \(frameLength) of \(storedLength))"
        case .badScale(let row):
            return "scale of row \(row) is negative, not finite or above \(Int8Quantisation.maxScale) (127 x it, the row's "
                + "largest weight, would be beyond F16's range)"
        case .unsupportedDType(let dtype):
            return "dtype \(dtype) cannot be bundled (F32, F16 and BF16 tensors can)"
        case .nonFinite(let element):
            return "element \(element) is not finite (NaN or infinite)"
        case .beyondF16(let element):
            return "element \(element) is beyond the range of F16"
        case .beyondBF16(let element):
            return "element \(element) rounds to infinity in BF16"
        }
    }

    private func format<T: BinaryInteger>(_ shape: [T]) -> String {
        "[" + shape.map { String($0) }.joined(separator: ", ") + "]"
    }
}

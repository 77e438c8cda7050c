import TesseraCore

/// The validated layout of a safetensors file: header length, then every
/// tensor's dtype, shape and byte range, checked against each other and
/// against the data area before any tensor is made. Embeddable: the edge's
/// resumed dataset runs check earlier outputs with it; TesseraFormats' reader
/// makes the tensors.
public struct SafeTensorsHeader {
    public struct Entry {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range relative to the start of the data area.
        public let range: Range<Int>
    }

    /// Entries in data order (ascending offsets).
    public let entries: [Entry]
    public let metadata: [String: String]
    /// File offset of the data area.
    public let dataStart: Int

    /// Validates the whole file `bytes` (read from `path`) without touching tensor data.
    public init(file bytes: UnsafeRawBufferPointer, path: String) throws(FormatError) {
        guard bytes.count >= 8 else { throw FormatError(path: path, problem: .fileTooShort(size: bytes.count)) }
        let length = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard length <= UInt64(SafeTensors.headerLimit) else {
            throw FormatError(path: path, offset: 0, problem: .headerTooLarge(length: length, limit: SafeTensors.headerLimit))
        }
        let dataStart = 8 + Int(length)
        guard dataStart <= bytes.count else {
            throw FormatError(path: path, offset: 0, problem: .headerPastEnd(length: length, available: bytes.count - 8))
        }
        try self.init(json: UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), path: path,
                      dataStart: dataStart, dataSize: bytes.count - dataStart)
    }

    /// `json` is the header text; the data area starts at file offset `dataStart`
    /// and holds `dataSize` bytes.
    public init(json: UnsafeRawBufferPointer, path: String, dataStart: Int, dataSize: Int) throws(FormatError) {
        let document = try JSONParser.parse(json, path: path, baseOffset: 8)
        guard case .object(let members) = document else {
            throw FormatError(path: path, offset: 8, problem: .headerNotObject)
        }
        var entries: [Entry] = []
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == SafeTensors.metadataKey {
                metadata = try Self.metadata(value, path: path)
            } else {
                entries.append(try Self.entry(name, value, path: path, dataSize: dataSize))
            }
        }
        // Stable sort: zero-byte tensors sharing an offset keep header order.
        let ordered = entries.enumerated().sorted {
            ($0.element.range.lowerBound, $0.element.range.upperBound, $0.offset)
                < ($1.element.range.lowerBound, $1.element.range.upperBound, $1.offset)
        }.map { $0.element }
        try Self.checkCoverage(ordered, path: path, dataStart: dataStart, dataSize: dataSize)
        self.entries = ordered
        self.metadata = metadata
        self.dataStart = dataStart
    }

    private static func metadata(_ value: JSONValue, path: String) throws(FormatError) -> [String: String] {
        guard case .object(let members) = value else {
            throw FormatError(path: path, problem: .malformedEntry("__metadata__ is not an object"))
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard let string = value.string else { throw FormatError(path: path, problem: .metadataNotStrings(key: key)) }
            metadata[key] = string
        }
        return metadata
    }

    private static func entry(_ name: String, _ value: JSONValue, path: String, dataSize: Int) throws(FormatError) -> Entry {
        func fail(_ problem: FormatError.Problem) -> FormatError { FormatError(path: path, tensor: name, problem: problem) }
        guard case .object(let fields) = value else { throw fail(.malformedEntry("not an object")) }
        for field in fields where !["dtype", "shape", "data_offsets"].contains(field.key) {
            throw fail(.malformedEntry("unexpected field '\(MessageText.excerpt(field.key))'"))
        }
        guard let dtypeName = value["dtype"]?.string else { throw fail(.malformedEntry("dtype missing or not a string")) }
        guard let dtype = DType(rawValue: dtypeName) else { throw fail(.unknownDType(dtypeName)) }
        let shape = try integers(value["shape"], field: "shape", fail: fail)
        let offsets = try integers(value["data_offsets"], field: "data_offsets", fail: fail)
        guard offsets.count == 2 else { throw fail(.malformedEntry("data_offsets has \(offsets.count) values, not 2")) }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else { throw fail(.malformedEntry("data_offsets begin \(begin) after end \(end)")) }
        guard let byteCount = Checked.product([dtype.size] + shape) else { throw fail(.shapeOverflow(shape: shape)) }
        guard end <= dataSize else { throw fail(.offsetsPastEnd(end: end, dataSize: dataSize)) }
        guard byteCount == end - begin else { throw fail(.byteSizeMismatch(expected: byteCount, actual: end - begin)) }
        return Entry(name: name, dtype: dtype, shape: shape, range: begin..<end)
    }

    /// A JSON array of non-negative integers that fit in `Int`.
    private static func integers(_ value: JSONValue?, field: String, fail: (FormatError.Problem) -> FormatError) throws(FormatError) -> [Int] {
        guard case .array(let elements) = value else { throw fail(.malformedEntry("\(field) missing or not an array")) }
        return try elements.map { element throws(FormatError) in
            guard case .number(let literal) = element else { throw fail(.malformedEntry("\(field) holds a non-number")) }
            guard let n = element.nonNegativeInt else { throw fail(.numberOutOfRange(literal)) }
            return n
        }
    }

    /// The ranges, in order, must tile the data area exactly: no overlap, no gap.
    private static func checkCoverage(_ ordered: [Entry], path: String, dataStart: Int, dataSize: Int) throws(FormatError) {
        var cursor = 0
        var previous: String?
        for entry in ordered {
            if entry.range.lowerBound < cursor, let previous {
                throw FormatError(path: path, tensor: entry.name, offset: dataStart + entry.range.lowerBound,
                                  problem: .overlapping(previous: previous))
            }
            if entry.range.lowerBound > cursor {
                throw FormatError(path: path, offset: dataStart + cursor,
                                  problem: .gap(start: cursor, end: entry.range.lowerBound))
            }
            cursor = entry.range.upperBound
            previous = entry.name
        }
        if cursor != dataSize {
            throw FormatError(path: path, offset: dataStart + cursor, problem: .gap(start: cursor, end: dataSize))
        }
    }
}

import TesseraCore

extension SafeTensors {
    /// The `__metadata__` strings of the safetensors file at `path`, after checking that the file
    /// is whole: its header parses and its tensors' data end exactly where the file does (a file
    /// cut short, or grown, is refused). What a resumed dataset run asks of an earlier output
    /// before skipping its slide; embeddable (TesseraFormats' reader validates every tensor).
    public static func metadata(ofFileAt path: String) throws(FormatError) -> [String: String] {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch { throw FormatError(path: path, problem: .notARegularFile) }
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw FormatError(path: path, problem: .fileTooShort(size: bytes.count)) }
        let length = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard length <= UInt64(headerLimit), 8 + Int(length) <= bytes.count else {
            throw FormatError(path: path, offset: 0, problem: .headerPastEnd(length: length, available: bytes.count - 8))
        }
        let dataSize = bytes.count - 8 - Int(length)
        guard case .object(let members) = try JSONParser.parse(UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + Int(length))]),
                                                               path: path, baseOffset: 8) else {
            throw FormatError(path: path, offset: 8, problem: .headerNotObject)
        }
        var metadata: [String: String] = [:], end = 0
        for (name, value) in members {
            if name == metadataKey {
                guard case .object(let strings) = value else { throw FormatError(path: path, problem: .malformedEntry("__metadata__ is not an object")) }
                for (key, value) in strings {
                    guard let string = value.string else { throw FormatError(path: path, problem: .metadataNotStrings(key: key)) }
                    metadata[key] = string
                }
            } else if case .array(let offsets)? = value["data_offsets"], offsets.count == 2, let stop = offsets[1].nonNegativeInt {
                end = max(end, stop)
            } else {
                throw FormatError(path: path, tensor: name, problem: .malformedEntry("no data_offsets"))
            }
        }
        guard end == dataSize else { throw FormatError(path: path, problem: .offsetsPastEnd(end: end, dataSize: dataSize)) }
        return metadata
    }
}

import TesseraCore

/// safetensors: an 8-byte little-endian header length N, N bytes of JSON
/// header, then the data area. https://github.com/huggingface/safetensors
public enum SafeTensors {
    /// Header lengths above this are refused (the Rust reference uses the same bound).
    public static let headerLimit = 100_000_000

    /// Maps the file and returns its tensors as zero-copy views, in data order.
    /// Everything is validated before the first tensor is made.
    public static func read(path: String) throws -> StateDict {
        try read(MappedFile.checked(path))
    }

    static func read(_ file: MappedFile) throws -> StateDict {
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw FormatError(path: file.path, problem: .fileTooShort(size: bytes.count)) }
        let length = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard length <= UInt64(headerLimit) else {
            throw FormatError(path: file.path, offset: 0, problem: .headerTooLarge(length: length, limit: headerLimit))
        }
        let dataStart = 8 + Int(length)
        guard dataStart <= bytes.count else {
            throw FormatError(path: file.path, offset: 0, problem: .headerPastEnd(length: length, available: bytes.count - 8))
        }
        let header = try SafeTensorsHeader(json: UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart]), path: file.path,
                                           dataStart: dataStart, dataSize: bytes.count - dataStart)
        var dict = StateDict()
        dict.metadata = header.metadata
        for entry in header.entries {
            let range = (dataStart + entry.range.lowerBound)..<(dataStart + entry.range.upperBound)
            dict.set(entry.name, Tensor(dtype: entry.dtype, shape: entry.shape, storage: Storage(file: file, range: range)))
        }
        return dict
    }
}

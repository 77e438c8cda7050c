import TesseraCore

/// The safetensors reader (the format and its writer: TesseraIO's `SafeTensors`).
extension SafeTensors {
    /// Maps the file and returns its tensors as zero-copy views, in data order.
    /// Everything is validated before the first tensor is made.
    public static func read(path: String) throws -> StateDict {
        try read(MappedFile.checked(path))
    }

    /// The tensors of an already mapped file, validated as `read(path:)` validates them.
    public static func read(_ file: MappedFile) throws -> StateDict {
        let header = try SafeTensorsHeader(file: file.bytes, path: file.path)
        var dict = StateDict()
        dict.metadata = header.metadata
        for entry in header.entries {
            let range = (header.dataStart + entry.range.lowerBound)..<(header.dataStart + entry.range.upperBound)
            dict.set(entry.name, Tensor(dtype: entry.dtype, shape: entry.shape, storage: Storage(file: file, range: range)))
        }
        return dict
    }
}

extension SafeTensors {
    /// The metadata of a safetensors file of `size` bytes read through `prefix(n)`, which
    /// returns its first n bytes: only the header is read (for a compressed file, only the
    /// header is decompressed), and validated against `size` as `read` validates it.
    public static func metadata(path: String, size: Int, prefix: (Int) throws -> [UInt8]) throws -> [String: String] {
        guard size >= 8 else { throw FormatError(path: path, problem: .fileTooShort(size: size)) }
        let length = try prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard length <= UInt64(headerLimit) else {
            throw FormatError(path: path, offset: 0, problem: .headerTooLarge(length: length, limit: headerLimit))
        }
        let dataStart = 8 + Int(length)
        guard dataStart <= size else {
            throw FormatError(path: path, offset: 0, problem: .headerPastEnd(length: length, available: size - 8))
        }
        let header = try prefix(dataStart).dropFirst(8).withUnsafeBytes {
            try SafeTensorsHeader(json: $0, path: path, dataStart: dataStart, dataSize: size - dataStart)
        }
        return header.metadata
    }
}
